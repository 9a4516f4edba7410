/**
 * Budgets against Step Functions' hard limits: what a stage costs in history events and
 * transitions, what the definition weighs, and the refusal — naming the stage to split —
 * of a pipeline that would break a limit.
 */
import { describe, expect, it } from 'vitest';
import { compilePipeline, STEP_FUNCTIONS_LIMITS } from '../../../statemachines/index.ts';
import { validateAsl } from '../../support/asl.ts';
import { callback, poll, run, testPipeline, type TestStage } from '../../support/pipeline-builder.ts';

function compile(stages: TestStage[]) {
  const { pipeline, planStage } = testPipeline(stages);
  const result = compilePipeline(pipeline, { planStage });
  expect(validateAsl(result.definition)).toEqual([]);
  return result;
}

const chain = (count: number, step = run('evaluateVariables')): TestStage[] =>
  Array.from({ length: count }, (_, i) => ({
    refId: String(i + 1),
    name: `Stage number ${i + 1}`,
    requisiteStageRefIds: i === 0 ? [] : [String(i)],
    steps: [step],
  }));

describe('the compile report', () => {
  it('counts a simple stage at 12 history events and 3 transitions at worst (2 without its fault path)', () => {
    const { report, json } = compile([{ refId: '1' }]);

    expect(report.historyEventsPerStage).toEqual({ '1': 12 });
    expect(report.transitionsPerStage).toEqual({ '1': 3 });
    // execution: started 1, completion Task 5 + Choice 2 + Succeed 2, succeeded 1
    expect(report.worstCaseHistoryEvents).toBe(11 + 12);
    expect(report.states).toBe(3 + 4);
    expect(report.definitionBytes).toBe(Buffer.byteLength(json, 'utf8'));
    expect(report.limits).toEqual({ historyEvents: 25_000, definitionBytes: 1_048_576, stateNameLength: 80, payloadBytes: 262_144 });
  });

  it.each<[string, TestStage['steps'], number, number]>([
    ['a poll step of 10 polls', [poll('wait', 10)], 10 * 7 + 9 * 2 + 5, 3 * 10 - 1 + 1],
    ['a poll step with no budget (100 polls)', [poll('wait')], 100 * 7 + 99 * 2 + 5, 3 * 100 - 1 + 1],
    ['a callback step', [callback('manualJudgment')], 6 + 2 + 5, 3],
    ['three steps', [run('a'), poll('b', 2), run('c')], 7 + (2 * 7 + 2) + 7 + 5, 2 + 5 + 2 + 1],
  ])('counts %s', (_, steps, events, transitions) => {
    const { report } = compile([{ refId: '1', steps }]);
    expect(report.historyEventsPerStage['1']).toBe(events);
    expect(report.transitionsPerStage['1']).toBe(transitions);
  });

  it('counts Parallel states and branch ends in the execution', () => {
    const { report } = compile([
      { refId: '1' },
      { refId: '2', requisiteStageRefIds: ['1'] },
      { refId: '3', requisiteStageRefIds: ['1'] },
      { refId: '4', requisiteStageRefIds: ['2', '3'] },
    ]);
    expect(report.worstCaseHistoryEvents).toBe(11 + 4 * 12 + 4 + 2 * 2);
  });

  it('budgets the execution-window step at 3 polls', () => {
    const { report } = compile([{ refId: '1', executionWindow: true }]);
    expect(report.historyEventsPerStage['1']).toBe(3 * 7 + 2 * 2 + 7 + 5);
  });

  it('reports UTF-8 bytes for names that are not ASCII', () => {
    const { pipeline, planStage } = testPipeline([{ refId: 'étape', name: 'Déploiement' }], { name: 'Déploiement → prod' });
    const { report, json, definition } = compilePipeline(pipeline, { planStage });
    expect(validateAsl(definition)).toEqual([]);
    expect(report.definitionBytes).toBe(Buffer.byteLength(json, 'utf8'));
    expect(report.definitionBytes).toBeGreaterThan(json.length);
  });
});

describe('rejection over a limit', () => {
  it('rejects a stage that alone may exceed 25,000 history events and says to split it', () => {
    const { issues } = compile([
      { refId: '1', name: 'Build' },
      { refId: '2', name: 'Soak', type: 'wait', requisiteStageRefIds: ['1'], steps: [poll('wait', 3600)] },
    ]);

    expect(issues).toEqual([
      {
        pointer: '/stages/1',
        code: 'limit',
        message: "stage 'Soak' may record 32,403 history events (limit 25,000 per execution); split it into a child pipeline or give its polling steps a smaller poll budget",
        severity: 'error',
        value: 32_403,
      },
    ]);
  });

  it('rejects a canary that would exceed 25,000 history events even as a child state machine', () => {
    const { issues, report } = compile([
      { refId: '1', name: 'Build' },
      { refId: '2', name: 'Canary', type: 'kayentaCanary', requisiteStageRefIds: ['1'], steps: [poll('runCanaryIntervals', 3600)] },
    ]);

    expect(report.children).toEqual([{ refId: '2', key: '2', worstCaseHistoryEvents: 32_403 + 4 }]);
    expect(issues).toEqual([
      {
        pointer: '/stages/1',
        code: 'limit',
        message:
          "stage 'Canary' may record 32,407 history events even as a child state machine (limit 25,000 per execution); raise canaryAnalysisIntervalMins or shorten lifetimeDuration, or split the analysis into several kayentaCanary stages",
        severity: 'error',
        value: 32_407,
      },
    ]);
  });

  it('rejects a pipeline whose stages together exceed the limit, naming the largest stages to move', () => {
    const { issues } = compile([
      { refId: '1', name: 'Small' },
      { refId: '2', name: 'Soak east', requisiteStageRefIds: ['1'], steps: [poll('wait', 1500)] },
      { refId: '3', name: 'Soak west', requisiteStageRefIds: ['1'], steps: [poll('wait', 1400)] },
    ]);

    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ pointer: '/stages/1', code: 'limit', severity: 'error' });
    expect(issues[0]!.message).toBe(
      "the pipeline may record 26,137 history events (limit 25,000 per execution) and stage 'Soak east' accounts for 13,503; split it into a child pipeline or give its polling steps a smaller poll budget",
    );
  });

  it('rejects a pipeline of many stages over the limit in one issue that says how far over it is', () => {
    const { issues } = compile(chain(40, poll('wait', 100)));
    expect(issues).toEqual([
      expect.objectContaining({
        pointer: '/stages',
        code: 'limit',
        severity: 'error',
        message: expect.stringMatching(/^the pipeline may record 36,131 history events, about 2 times the limit of 25,000 per execution; split it into child pipelines \(its largest stages: 'Stage number 1' \(903\), 'Stage number 2' \(903\), 'Stage number 3' \(903\)\)$/),
      }),
    ]);
  });

  it('warns above 80% of the history limit, since retries are not counted', () => {
    const { issues } = compile(chain(23, poll('wait', 100)));
    expect(issues).toEqual([expect.objectContaining({ code: 'limit', severity: 'warning', pointer: '/stages/0' })]);
    expect(issues[0]!.message).toMatch(/^the pipeline may record 20,780 history events, close to the limit of 25,000 per execution/);
  });

  it('rejects a definition over 1 MB and names the stage before which to split', () => {
    const { issues, report } = compile(chain(700));

    expect(report.definitionBytes).toBeGreaterThan(STEP_FUNCTIONS_LIMITS.definitionBytes);
    const bytes = issues.filter((issue) => issue.message.includes('bytes'));
    expect(bytes).toHaveLength(1);
    expect(bytes[0]).toMatchObject({ code: 'limit', severity: 'error', value: report.definitionBytes });
    const match = /at the latest before stage 'Stage number (\d+)'/.exec(bytes[0]!.message);
    expect(match).not.toBeNull();
    const stage = Number(match![1]);
    expect(bytes[0]!.pointer).toBe(`/stages/${stage - 1}`);
    // the named stage is where the cumulative definition crosses the limit
    const perStage = report.definitionBytes / 700;
    expect(stage * perStage).toBeGreaterThan(STEP_FUNCTIONS_LIMITS.definitionBytes * 0.95);
    expect(stage * perStage).toBeLessThan(STEP_FUNCTIONS_LIMITS.definitionBytes * 1.05);
  });

  it('accepts what fits', () => {
    const { issues, report } = compile(chain(100));
    expect(issues).toEqual([]);
    expect(report.definitionBytes).toBeLessThan(STEP_FUNCTIONS_LIMITS.definitionBytes);
  });
});
