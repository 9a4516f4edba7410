/**
 * Child state machines: a stage that may poll for hours (kayentaCanary, deploy with strategy
 * canary) runs as its own state machine when its worst case passes the threshold or the parent
 * would exceed the history limit; the parent keeps one `startExecution.sync:2` Task, its route
 * and the stage's fault Task. Golden files: test/fixtures/asl/canary-child*.json (regenerate
 * with `UPDATE_GOLDEN=1`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import type { Pipeline } from '../../../core/pipeline/model.ts';
import { parsePipeline } from '../../../core/pipeline/parse.ts';
import { compilePipeline, DEFAULT_CHILD_THRESHOLD_EVENTS, START_CHILD_SYNC_RESOURCE, walkStates, type AslState } from '../../../statemachines/index.ts';
import { createAslEngine, type AslInvokeRequest } from '../../../local/asl-engine.ts';
import { validateAsl } from '../../support/asl.ts';
import { poll, run, testPipeline, type TestStage } from '../../support/pipeline-builder.ts';
import { elapse, settle, waitUntil } from '../../support/simulated-time.ts';

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/asl');
const update = process.env.UPDATE_GOLDEN === '1';

/** A canary's plan as kayentaCanary plans it: warm-up, `intervals` intervals, aggregation. */
const canarySteps = (intervals: number) => [poll('warmupWait', 6), poll('runCanaryIntervals', intervals * 6 + 1), run('aggregateCanaryResults')];

const longCanary: TestStage[] = [
  { refId: '1', name: 'Deploy canary', type: 'deploy', steps: [run('createServerGroup')] },
  { refId: '3', name: 'Canary analysis', type: 'kayentaCanary', requisiteStageRefIds: ['1'], steps: canarySteps(200) },
  { refId: '4', name: 'Promote', requisiteStageRefIds: ['3'] },
];

function compile(stages: readonly TestStage[], options: { childThresholdEvents?: number; children?: boolean } = {}) {
  const { pipeline, planStage } = testPipeline(stages, { name: 'Long canary' });
  const result = compilePipeline(pipeline, { planStage, ...options });
  expect(validateAsl(result.definition)).toEqual([]);
  for (const child of result.children) expect(validateAsl(child.definition)).toEqual([]);
  return result;
}

describe('a stage run as a child state machine', () => {
  it('compiles a long canary to a parent Task and a child definition, matching the golden files', () => {
    // when
    const { definition, json, children, issues, report } = compile(longCanary);

    // then
    expect(issues).toEqual([]);
    expect(JSON.parse(json)).toEqual(definition);
    expect(children.map((child) => [child.key, child.refId])).toEqual([['3', '3']]);
    expect(JSON.parse(children[0]!.json)).toEqual(children[0]!.definition);
    const files: [string, unknown][] = [
      ['canary-child.json', definition],
      ['canary-child.child-3.json', children[0]!.definition],
    ];
    for (const [file, value] of files) {
      const pretty = `${JSON.stringify(value, null, 2)}\n`;
      if (update) writeFileSync(join(fixtures, file), pretty);
      expect(pretty).toBe(readFileSync(join(fixtures, file), 'utf8'));
    }
    expect(report.children).toEqual([{ refId: '3', key: '3', worstCaseHistoryEvents: 4 + 5 + (6 * 7 + 5 * 2) + (1201 * 7 + 1200 * 2) + 7 }]);
  });

  it('keeps the parent to the child Task, its route and the fault Task, and counts 13 events for them', () => {
    const { definition, stateMap, report } = compile(longCanary);

    const states = Object.fromEntries(walkStates(definition)) as Record<string, AslState>;
    const stageStates = Object.entries(stateMap).filter(([, info]) => info.refId === '3');
    expect(stageStates).toEqual([
      ['Canary analysis [3] child', { refId: '3', role: 'child' }],
      ['Canary analysis [3] child route', { refId: '3', role: 'route' }],
      ['Canary analysis [3] fault', { refId: '3', task: '$fault', role: 'fault' }],
    ]);
    expect(states['Canary analysis [3] child']).toMatchObject({
      Resource: START_CHILD_SYNC_RESOURCE,
      Parameters: { StateMachineArn: '${ChildStateMachineArn_3}', 'Name.$': '$.executionId' },
      ResultSelector: { 'status.$': '$.Output.result.status' },
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.fault', Next: 'Canary analysis [3] fault' }],
    });
    expect(states['Canary analysis [3] child route']).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.result.status', StringEquals: 'TERMINAL', Next: 'Complete execution' }],
      Default: 'Promote [4]',
    });
    expect(report.historyEventsPerStage['3']).toBe(13);
    expect(report.worstCaseHistoryEvents).toBe(11 + 12 + 13 + 12);
  });

  it('puts the stage fragment, exactly as it is inline, into the child', () => {
    // given: the same canary, inline because the threshold is above it
    const inline = compile(longCanary, { childThresholdEvents: 1_000_000 });
    const { children } = compile(longCanary);
    expect(inline.children).toEqual([]);

    // then: every state of the stage is in the child, the same but where it leaves the stage
    const inlineStates = Object.fromEntries(walkStates(inline.definition)) as Record<string, AslState>;
    const childStates = children[0]!.definition.States as Record<string, AslState>;
    const stageNames = Object.entries(inline.stateMap).filter(([, info]) => info.refId === '3').map(([name]) => name);
    expect(Object.keys(childStates)).toEqual([...stageNames, 'Stage finished', 'Stage failed']);
    const leaving = (text: string) => text.replace(/"Promote \[4\]"|"Complete execution"/g, '"Stage finished"');
    for (const name of stageNames) {
      const expected = JSON.parse(leaving(JSON.stringify(inlineStates[name]))) as AslState;
      expect(childStates[name], name).toEqual(name.endsWith(' fault') ? { ...expected, Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.fault', Next: 'Stage failed' }] } : expected);
    }
    expect(children[0]!.definition.StartAt).toBe('Canary analysis [3] warmupWait');
  });

  it('emits exactly the inline ASL for a canary under the threshold', () => {
    const short = longCanary.map((stage) => (stage.refId === '3' ? { ...stage, steps: canarySteps(10) } : stage));
    const { children, report, definition } = compile(short);
    expect(children).toEqual([]);
    expect(report.children).toEqual([]);
    expect(JSON.stringify(definition)).not.toContain('startExecution');
    expect(report.historyEventsPerStage['3']).toBeLessThan(DEFAULT_CHILD_THRESHOLD_EVENTS);
  });

  it('moves a canary under the threshold into a child when the parent would exceed the history limit', () => {
    // given: a wait stage of about 22,050 events and a canary of about 3,300
    const stages: TestStage[] = [
      { refId: '1', name: 'Soak', type: 'wait', steps: [poll('wait', 2450)] },
      { refId: '2', name: 'Canary', type: 'kayentaCanary', requisiteStageRefIds: ['1'], steps: canarySteps(60) },
    ];

    // when
    const { issues, report, children } = compile(stages);

    // then
    expect(issues.filter((issue) => issue.severity === 'error')).toEqual([]);
    expect(children.map((child) => child.refId)).toEqual(['2']);
    expect(report.worstCaseHistoryEvents).toBeLessThanOrEqual(25_000);
  });

  it('with children off (an engine that cannot publish them), keeps every stage inline and refuses a pipeline over the limit as before', () => {
    // given the pipeline of the test above, which needs its canary moved out to fit
    const stages: TestStage[] = [
      { refId: '1', name: 'Soak', type: 'wait', steps: [poll('wait', 2450)] },
      { refId: '2', name: 'Canary', type: 'kayentaCanary', requisiteStageRefIds: ['1'], steps: canarySteps(60) },
    ];
    // when
    const { issues, children, definition } = compile(stages, { children: false });
    // then
    expect(children).toEqual([]);
    expect(JSON.stringify(definition)).not.toContain('startExecution');
    expect(issues.filter((issue) => issue.severity === 'error').map((issue) => issue.message).join(' ')).toContain('history events');
    // and a long canary alone stays inline too
    expect(compile(longCanary, { children: false }).children).toEqual([]);
  });

  it('never moves a stage that is no candidate: a long wait is refused as before', () => {
    const { issues, children } = compile([{ refId: '1', name: 'Soak', type: 'wait', steps: [poll('wait', 3000)] }]);
    expect(children).toEqual([]);
    expect(issues).toEqual([expect.objectContaining({ code: 'limit', severity: 'error', message: expect.stringContaining("stage 'Soak' may record") })]);
  });

  it('runs a deploy with strategy canary as a child, but not a red/black deploy', () => {
    const { pipeline, planStage } = testPipeline([
      { refId: '1', name: 'Canary deploy', type: 'deploy', steps: canarySteps(100) },
      { refId: '2', name: 'Red/black deploy', type: 'deploy', requisiteStageRefIds: ['1'], steps: canarySteps(100) },
    ]);
    const strategies = { '1': 'canary', '2': 'redblack' } as Record<string, string>;
    const withClusters: Pipeline = {
      ...pipeline,
      stages: pipeline.stages.map((stage) => ({ ...stage, config: { clusters: [{ strategy: strategies[stage.refId] }] } }) as unknown as Pipeline['stages'][number]),
    };

    const { children } = compilePipeline(withClusters, { planStage });

    expect(children.map((child) => child.refId)).toEqual(['1']);
  });

  it('forces a child below the default threshold when the compile call asks', () => {
    const short = longCanary.map((stage) => (stage.refId === '3' ? { ...stage, steps: canarySteps(2) } : stage));
    expect(compile(short).children).toEqual([]);
    expect(compile(short, { childThresholdEvents: 10 }).children.map((child) => child.key)).toEqual(['3']);
  });

  it('gives children of unsafe refIds a hashed key that names a placeholder', () => {
    const stages: TestStage[] = [
      { refId: 'canary/east', name: 'East', type: 'kayentaCanary', steps: canarySteps(200) },
      { refId: 'canary west', name: 'West', type: 'kayentaCanary', steps: canarySteps(200) },
    ];
    const { children, json } = compile(stages, {});
    expect(children).toHaveLength(2);
    for (const child of children) {
      expect(child.key).toMatch(/^stage-[0-9a-f]{6}$/);
      expect(json).toContain(`\${ChildStateMachineArn_${child.key}}`);
    }
    expect(new Set(children.map((child) => child.key)).size).toBe(2);
  });

  it('keeps children inside Parallel branches with the branch halt as the TERMINAL route', () => {
    const { definition, children } = compile([
      { refId: '1', name: 'Build' },
      { refId: '2', name: 'Canary east', type: 'kayentaCanary', requisiteStageRefIds: ['1'], steps: canarySteps(200) },
      { refId: '3', name: 'Canary west', type: 'kayentaCanary', requisiteStageRefIds: ['1'], steps: canarySteps(200) },
    ]);
    const states = Object.fromEntries(walkStates(definition)) as Record<string, AslState>;
    expect(children.map((child) => child.key)).toEqual(['2', '3']);
    expect(states['Canary east [2] child route']).toMatchObject({ Choices: [{ StringEquals: 'TERMINAL', Next: 'Parallel 1 branch 1 halt' }], Default: 'Parallel 1 branch 1 done' });
  });

  /** A real kayentaCanary stage of `lifetimeMinutes` analysed every minute, parsed and planned by its stage type. */
  const realCanary = (lifetimeMinutes: number) =>
    parsePipeline({
      application: 'hello',
      name: 'Soak canary',
      stages: [
        {
          refId: '1',
          type: 'kayentaCanary',
          name: 'Canary',
          canaryConfig: {
            canaryConfigId: 'latency',
            scopes: [{ controlScope: 'hello-baseline', experimentScope: 'hello-canary' }],
            lifetimeDuration: `PT${lifetimeMinutes}M`,
            canaryAnalysisIntervalMins: 1,
          },
        },
      ],
    });

  it('compiles a canary of 440 intervals, which used to be refused, into a child', () => {
    const parsed = realCanary(440);
    expect(parsed.issues.filter((issue) => issue.severity === 'error')).toEqual([]);

    const { issues, children, report } = compilePipeline(parsed.pipeline!);

    expect(issues).toEqual([]);
    expect(children.map((child) => child.refId)).toEqual(['1']);
    expect(report.children[0]!.worstCaseHistoryEvents).toBeLessThanOrEqual(25_000);
    expect(validateAsl(children[0]!.definition)).toEqual([]);
  });

  it('refuses at validation a canary that even a child could not hold, naming the field and the fix', () => {
    const parsed = realCanary(463);
    expect(parsed.issues.filter((issue) => issue.severity === 'error')).toEqual([
      expect.objectContaining({
        pointer: '/stages/0/canaryConfig/canaryAnalysisIntervalMins',
        message: expect.stringMatching(/^the canary runs 463 intervals, more than the 462 one stage can poll for even in its own child state machine \(25,000 history events\); raise canaryAnalysisIntervalMins/),
      }),
    ]);
  });
});

describe('a child state machine on the local engine', () => {
  const CHILD_ARN = 'arn:aws:states:local:000000000000:stateMachine:test/3';

  /** The long canary compiled, the parent's placeholder resolved to CHILD_ARN, on an engine whose runner answers from `answer`. */
  function setUp(answer: (request: { stageRefId?: string; task: string }) => unknown, waits: 'skipped' | 'real' = 'skipped') {
    const { json, children } = compile(longCanary);
    const parent = JSON.parse(json.replace('${ChildStateMachineArn_3}', CHILD_ARN));
    const requests: AslInvokeRequest[] = [];
    const engine = createAslEngine({
      invoke: async (request) => {
        requests.push(request);
        return answer(request.payload as { stageRefId?: string; task: string });
      },
      ...(waits === 'skipped' ? { waitOverrideMs: 0 } : {}),
      childDefinition: (arn) => (arn === CHILD_ARN ? children[0]!.definition : undefined),
    });
    const calls = () => requests.map((request) => `${request.executionId} ${(request.payload as { task: string }).task}`);
    return { engine, parent, calls };
  }

  it('runs the stage inside the child with the parent execution id, then goes on in the parent', async () => {
    // given: the canary polls once, then every step succeeds
    let polled = false;
    const { engine, parent, calls } = setUp(({ task }) => {
      if (task === 'runCanaryIntervals' && !polled) {
        polled = true;
        return { status: 'RUNNING', waitSeconds: 60 };
      }
      if (task === 'warmupWait' || task === 'runCanaryIntervals') return { status: 'NEXT' };
      return { status: 'SUCCEEDED' };
    });

    // when
    const outcome = await engine.start(parent, { executionId: 'e-1' }).result;

    // then
    expect(outcome.status).toBe('SUCCEEDED');
    expect(calls()).toEqual([
      'e-1 createServerGroup',
      'e-1/Canary analysis [3] child warmupWait',
      'e-1/Canary analysis [3] child runCanaryIntervals',
      'e-1/Canary analysis [3] child runCanaryIntervals',
      'e-1/Canary analysis [3] child aggregateCanaryResults',
      'e-1 evaluateVariables',
      'e-1 $complete',
    ]);
  });

  it('halts the parent when the child stage answers TERMINAL', async () => {
    const { engine, parent, calls } = setUp(({ task }) => (task === 'warmupWait' ? { status: 'TERMINAL' } : { status: task === '$complete' ? 'TERMINAL' : 'SUCCEEDED' }));

    const outcome = await engine.start(parent, { executionId: 'e-2' }).result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Gennaker.ExecutionFailed' });
    expect(calls()).toEqual(['e-2 createServerGroup', 'e-2/Canary analysis [3] child warmupWait', 'e-2 $complete']);
  });

  it("records the stage's fault in the parent when the child fails", async () => {
    // given: the stage's step and its fault Task fail inside the child
    const { engine, parent, calls } = setUp(({ task, stageRefId }) => {
      if (stageRefId === '3' && task !== '$fault' && task !== 'warmupWait') throw Object.assign(new Error('boom'), { name: 'Gennaker.InvariantViolated' });
      if (stageRefId === '3' && task === '$fault' && !calls().some((call) => call.startsWith('e-3 $fault'))) {
        if (calls().filter((call) => call.endsWith('$fault')).length === 1) throw Object.assign(new Error('store down'), { name: 'Gennaker.InvariantViolated' });
        return { status: 'STOPPED' };
      }
      return { status: task === 'warmupWait' ? 'NEXT' : 'SUCCEEDED' };
    });

    // when
    const outcome = await engine.start(parent, { executionId: 'e-3' }).result;

    // then: the child failed, the parent's fault Task recorded it and the pipeline went on
    expect(outcome.status).toBe('SUCCEEDED');
    expect(calls()).toEqual([
      'e-3 createServerGroup',
      'e-3/Canary analysis [3] child warmupWait',
      'e-3/Canary analysis [3] child runCanaryIntervals',
      'e-3/Canary analysis [3] child $fault',
      'e-3 $fault',
      'e-3 evaluateVariables',
      'e-3 $complete',
    ]);
  });

  it('aborts the child when the parent is aborted', async () => {
    // given: a canary that waits an hour between polls (a real Wait)
    const { engine, parent, calls } = setUp(
      ({ task }) => (task === 'runCanaryIntervals' ? { status: 'RUNNING', waitSeconds: 3600 } : { status: task === 'warmupWait' ? 'NEXT' : 'SUCCEEDED' }),
      'real',
    );
    // (on simulated time: the hour passes at no cost)
    vi.useFakeTimers();
    try {
      const run = engine.start(parent, { executionId: 'e-4' });
      await waitUntil(() => calls().includes('e-4/Canary analysis [3] child runCanaryIntervals'));

      // when
      run.abort();

      // then: both end at once, and the child polls no more, not even hours later
      expect(await settle(run.result, 0)).toEqual({ status: 'ABORTED' });
      await elapse(3 * 3600_000);
      expect(calls().at(-1)).toBe('e-4/Canary analysis [3] child runCanaryIntervals');
      expect(calls().filter((call) => call.endsWith('runCanaryIntervals'))).toHaveLength(1);
      expect(engine.pendingCallbacks('e-4')).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('fails the child Task when the named state machine does not exist', async () => {
    const { json } = compile(longCanary);
    const engine = createAslEngine({ invoke: async () => ({ status: 'SUCCEEDED' }) });

    const outcome = await engine.start(JSON.parse(json), { executionId: 'e-5' }).result;

    // the fault Task records it (answering SUCCEEDED here), and the pipeline goes on
    expect(outcome.status).toBe('SUCCEEDED');
  });
});

