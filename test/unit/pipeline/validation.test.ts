/**
 * DESIGN.md §2: validation returns every problem at once, each with a JSON pointer, the bad value
 * and the fix in one line. One row per rule, with the exact message the author reads.
 */
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../../core/pipeline/parse.ts';
import { SUPPORTED_STAGE_TYPES_SUMMARY } from '../../../core/pipeline/stage-types/index.ts';
import { errorsOf, issuesOf, pipeline, stage, wait } from './builders.ts';

const SUPPORTED = SUPPORTED_STAGE_TYPES_SUMMARY;

describe('pipeline fields', () => {
  it.each([
    [
      'a missing application',
      { name: 'Deploy', stages: [] },
      { pointer: '/application', code: 'required', message: "'application' is required; add the name of the application that owns this pipeline, e.g. 'hello'" },
    ],
    ['a missing name', { application: 'hello', stages: [] }, { pointer: '/name', code: 'required', message: "'name' is required; add the pipeline's name, e.g. 'Deploy to prod'" }],
    [
      'an application of the wrong type',
      pipeline([], { application: 42 }),
      { pointer: '/application', code: 'wrong-type', message: 'expected the name of the application that owns this pipeline (a string), got 42' },
    ],
    ['a blank name', pipeline([], { name: '  ' }), { pointer: '/name', code: 'invalid-value', message: "expected the pipeline's name, got an empty string" }],
    ['stages that are not a list', pipeline([], { stages: { a: 1 } }), { pointer: '/stages', code: 'wrong-type', message: 'expected a list, got {"a":1}' }],
    ['limitConcurrent that is not a boolean', pipeline([], { limitConcurrent: 'yes' }), { pointer: '/limitConcurrent', code: 'wrong-type', message: "expected true or false, got 'yes'" }],
    ['keepWaitingPipelines that is not a boolean', pipeline([], { keepWaitingPipelines: 1 }), { pointer: '/keepWaitingPipelines', code: 'wrong-type', message: 'expected true or false, got 1' }],
    [
      'a negative maxConcurrentExecutions',
      pipeline([], { maxConcurrentExecutions: -1 }),
      { pointer: '/maxConcurrentExecutions', code: 'invalid-value', message: 'expected a number of executions (at least 0), got -1' },
    ],
    [
      'a fractional maxConcurrentExecutions',
      pipeline([], { maxConcurrentExecutions: 1.5 }),
      { pointer: '/maxConcurrentExecutions', code: 'invalid-value', message: 'expected a number of executions (a whole number), got 1.5' },
    ],
    [
      'an unknown spelEvaluator',
      pipeline([], { spelEvaluator: 'v5' }),
      { pointer: '/spelEvaluator', code: 'invalid-value', message: "expected one of v4, v3, v2, got 'v5'" },
    ],
    [
      'a parameter without a name',
      pipeline([], { parameterConfig: [{ label: 'Env' }] }),
      { pointer: '/parameterConfig/0/name', code: 'required', message: "'name' is required; add the parameter's name, e.g. 'env'" },
    ],
    [
      'an empty parameter name',
      pipeline([], { parameterConfig: [{ name: '' }] }),
      { pointer: '/parameterConfig/0/name', code: 'invalid-value', message: "expected the parameter's name, got an empty string" },
    ],
    [
      'two parameters with the same name',
      pipeline([], { parameterConfig: [{ name: 'env' }, { name: 'version' }, { name: 'env' }] }),
      { pointer: '/parameterConfig/2/name', code: 'invalid-value', message: "parameter 'env' is already defined at index 0; give each parameter a unique name" },
    ],
    [
      'a disabled flag that is not a boolean',
      pipeline([], { disabled: 'false' }),
      { pointer: '/disabled', code: 'wrong-type', message: "expected true or false, got 'false'" },
    ],
  ])('reports %s', (_label, input, expected) => {
    expect(issuesOf(input)).toContainEqual({ severity: 'error', ...expected });
  });

  it('rejects a document that is not an object', () => {
    expect(issuesOf([1, 2])).toEqual([
      { pointer: '', code: 'wrong-type', severity: 'error', message: 'expected a pipeline object {"application": ..., "name": ..., "stages": [...]}, got [1,2]' },
    ]);
  });

  it('warns that maxConcurrentExecutions is ignored while limitConcurrent is true', () => {
    expect(issuesOf(pipeline([], { limitConcurrent: true, maxConcurrentExecutions: 3 }))).toEqual([
      {
        pointer: '/maxConcurrentExecutions',
        code: 'invalid-value',
        severity: 'warning',
        message: 'is ignored while limitConcurrent is true (one execution at a time); set limitConcurrent to false to allow 3 at once',
      },
    ]);
  });

  it('applies Spinnaker defaults to absent fields', () => {
    const { pipeline: parsed } = parsePipeline(pipeline([]));
    expect(parsed).toMatchObject({
      limitConcurrent: false,
      keepWaitingPipelines: false,
      maxConcurrentExecutions: 0,
      spelEvaluator: 'v3',
      disabled: false,
      triggers: [],
      parameterConfig: [],
      expectedArtifacts: [],
      notifications: [],
      legacyOrder: false,
    });
  });

  it('reads parameters, turning numeric defaults and options into strings', () => {
    const { pipeline: parsed } = parsePipeline(pipeline([], { parameterConfig: [{ name: 'replicas', default: 3, hasOptions: true, options: [{ value: 3 }, { value: '5' }] }] }));
    expect(parsed?.parameterConfig[0]).toMatchObject({ name: 'replicas', default: '3', required: false, hasOptions: true, options: [{ value: '3' }, { value: '5' }] });
  });
});

describe('stage graph', () => {
  it('reports a requisite refId that does not exist, listing the known ones', () => {
    const input = pipeline([wait('1'), wait('2', ['1']), wait('3', ['2']), wait('4', ['9'])]);
    expect(errorsOf(input)).toEqual([
      { pointer: '/stages/3/requisiteStageRefIds/0', code: 'requisite-unknown', severity: 'error', message: "refers to stage '9', which does not exist (known refIds: 1, 2, 3, 4)" },
    ]);
  });

  it('reports a cycle with its path', () => {
    const input = pipeline([wait('1', ['3']), wait('2', ['1']), wait('3', ['2'])]);
    expect(errorsOf(input)).toEqual([
      { pointer: '/stages/0/requisiteStageRefIds/0', code: 'cycle', severity: 'error', message: 'stages form a cycle: 1 → 3 → 2 → 1; remove one of these requisiteStageRefIds' },
    ]);
  });

  it('reports a stage that requires itself as a cycle', () => {
    expect(errorsOf(pipeline([wait('1'), wait('2', ['1', '2'])]))).toEqual([
      { pointer: '/stages/1/requisiteStageRefIds/1', code: 'cycle', severity: 'error', message: 'stages form a cycle: 2 → 2; remove one of these requisiteStageRefIds' },
    ]);
  });

  it('reports each independent cycle once, with the shortest path from its first stage', () => {
    const input = pipeline([wait('a', ['b']), wait('b', ['a', 'c']), wait('c', ['b']), wait('x', ['y']), wait('y', ['x'])]);
    expect(errorsOf(input).map((issue) => issue.message)).toEqual([
      'stages form a cycle: a → b → a; remove one of these requisiteStageRefIds',
      'stages form a cycle: x → y → x; remove one of these requisiteStageRefIds',
    ]);
  });

  it('reports duplicate refIds at the later stage', () => {
    expect(errorsOf(pipeline([wait('1'), wait('2', ['1']), wait('1')]))).toEqual([
      {
        pointer: '/stages/2/refId',
        code: 'refid-duplicate',
        severity: 'error',
        message: "refId '1' is already used by stage 'Wait 1' (index 0); give each stage a unique refId, e.g. '3'",
      },
    ]);
  });

  it('reports stages without a refId when others have one, suggesting unused refIds', () => {
    const input = pipeline([wait('1'), { type: 'wait', name: 'Second', waitTime: 1 }, { type: 'wait', name: 'Third', waitTime: 1 }]);
    expect(errorsOf(input)).toEqual([
      { pointer: '/stages/1/refId', code: 'refid-missing', severity: 'error', message: "stage 'Second' has no refId while other stages have one; add a unique refId, e.g. '2'" },
      { pointer: '/stages/2/refId', code: 'refid-missing', severity: 'error', message: "stage 'Third' has no refId while other stages have one; add a unique refId, e.g. '3'" },
    ]);
  });

  it.each([
    [{ refId: '' }, { pointer: '/stages/0/refId', code: 'refid-missing', message: "refId is empty; give the stage a unique refId, e.g. '1'" }],
    [{ refId: true }, { pointer: '/stages/0/refId', code: 'wrong-type', message: 'expected a refId (a string or number), got true' }],
    [{ requisiteStageRefIds: '1' }, { pointer: '/stages/0/requisiteStageRefIds', code: 'wrong-type', message: 'expected a list of refIds, got \'1\'; write e.g. ["1"]' }],
    [{ requisiteStageRefIds: [{}] }, { pointer: '/stages/0/requisiteStageRefIds/0', code: 'wrong-type', message: 'expected a refId (a string or number), got {}' }],
  ])('reports a malformed refId or requisite list %j', (fields, expected) => {
    expect(errorsOf(pipeline([wait('1', [], fields), wait('2')]))).toContainEqual({ severity: 'error', ...expected });
  });

  it('accepts numeric refIds and requisites and normalizes them to strings', () => {
    const { pipeline: parsed, issues } = parsePipeline(pipeline([wait('x', [], { refId: 1 }), wait('x', [], { refId: 2, requisiteStageRefIds: [1] })]));
    expect(issues).toEqual([]);
    expect(parsed?.stages.map((s) => [s.refId, s.requisiteStageRefIds])).toEqual([
      ['1', []],
      ['2', ['1']],
    ]);
  });

  it('warns about a requisite listed twice and keeps it once', () => {
    const { pipeline: parsed, issues } = parsePipeline(pipeline([wait('1'), wait('2', ['1', '1'])]));
    expect(issues).toEqual([{ pointer: '/stages/1/requisiteStageRefIds/1', code: 'invalid-value', severity: 'warning', message: "lists '1' twice; remove the duplicate", value: '1' }]);
    expect(parsed?.stages[1]?.requisiteStageRefIds).toEqual(['1']);
  });
});

describe('legacy pipelines (no refIds)', () => {
  it('run in array order: refIds are synthesized and each stage requires the previous one', () => {
    const input = pipeline([
      { type: 'wait', name: 'First', waitTime: 1 },
      { type: 'manualJudgment', name: 'Second' },
      { type: 'wait', name: 'Third', waitTime: 2 },
    ]);
    const { pipeline: parsed, issues } = parsePipeline(input);
    expect(issues).toEqual([]);
    expect(parsed?.legacyOrder).toBe(true);
    expect(parsed?.stages.map((s) => ({ refId: s.refId, requisites: s.requisiteStageRefIds, name: s.name }))).toEqual([
      { refId: '1', requisites: [], name: 'First' },
      { refId: '2', requisites: ['1'], name: 'Second' },
      { refId: '3', requisites: ['2'], name: 'Third' },
    ]);
  });

  it('keeps the raw document without the synthesized refIds', () => {
    const input = pipeline([{ type: 'wait', name: 'Only', waitTime: 1 }]);
    expect(parsePipeline(input).pipeline?.raw).toEqual(input);
  });

  it('reports requisiteStageRefIds in a pipeline without refIds', () => {
    const input = pipeline([{ type: 'wait', name: 'First', waitTime: 1 }, { type: 'wait', name: 'Second', waitTime: 1, requisiteStageRefIds: ['1'] }]);
    expect(errorsOf(input)).toEqual([
      {
        pointer: '/stages/1/requisiteStageRefIds',
        code: 'refid-missing',
        severity: 'error',
        message: 'no stage has a refId, so stages run in array order and requisiteStageRefIds cannot refer to anything; add a refId to every stage, or remove requisiteStageRefIds',
      },
    ]);
  });

  it('accepts empty requisiteStageRefIds lists in a legacy pipeline', () => {
    expect(issuesOf(pipeline([{ type: 'wait', name: 'First', waitTime: 1, requisiteStageRefIds: [] }]))).toEqual([]);
  });
});

describe('stage types', () => {
  it('reports an unknown stage type with the supported ones', () => {
    expect(errorsOf(pipeline([stage('foo')]))).toEqual([
      { pointer: '/stages/0/type', code: 'stage-type-unknown', severity: 'error', message: `stage type 'foo' is unknown; supported types: ${SUPPORTED}` },
    ]);
  });

  it('suggests the closest supported type for a typo', () => {
    expect(errorsOf(pipeline([stage('manualJudgement')]))[0]?.message).toBe(`stage type 'manualJudgement' is unknown (did you mean 'manualJudgment'?); supported types: ${SUPPORTED}`);
  });

  it('says a Spinnaker stage type is not supported yet', () => {
    expect(errorsOf(pipeline([stage('rollingPush')]))).toEqual([
      { pointer: '/stages/0/type', code: 'stage-type-unsupported', severity: 'error', message: `stage type 'rollingPush' is not supported yet; use one of ${SUPPORTED}` },
    ]);
  });

  it.each(['jenkins', 'travis'])('names the AWS alternative of a %s stage', (type) => {
    expect(errorsOf(pipeline([stage(type)]))).toEqual([
      { pointer: '/stages/0/type', code: 'stage-type-unsupported', severity: 'error', message: `stage type '${type}' is not supported yet (on AWS, run the build with an awsCodeBuild stage: an AWS CodeBuild project with source, environmentVariables and buildspec overrides); use one of ${SUPPORTED}` },
    ]);
  });

  it.each([
    [{ type: undefined }, { pointer: '/stages/0/type', code: 'required', message: `'type' is required; add the stage type, one of ${SUPPORTED}` }],
    [{ type: 7 }, { pointer: '/stages/0/type', code: 'wrong-type', message: `expected a stage type (a string), got 7; use one of ${SUPPORTED}` }],
  ])('reports a missing or malformed stage type %j', (fields, expected) => {
    expect(errorsOf(pipeline([{ ...wait('1'), ...fields }]))).toEqual([{ severity: 'error', ...expected }]);
  });

  it('resolves an alias that names a supported type (as Orca prefers alias)', () => {
    const { pipeline: parsed } = parsePipeline(pipeline([{ ...wait('1'), type: 'waitForIt', alias: 'wait' }]));
    expect(parsed?.stages[0]?.type).toBe('wait');
  });

  it('reports a stage that is not an object', () => {
    expect(errorsOf(pipeline([wait('1'), 'wait']))).toEqual([
      { pointer: '/stages/1', code: 'wrong-type', severity: 'error', message: 'expected a stage object {"refId": ..., "type": ..., "name": ...}, got \'wait\'' },
    ]);
  });

  it('warns about a stage without a name and names it after its type', () => {
    const { pipeline: parsed, issues } = parsePipeline(pipeline([{ refId: '1', type: 'wait', waitTime: 5 }]));
    expect(issues).toEqual([
      { pointer: '/stages/0/name', code: 'required', severity: 'warning', message: "the stage has no name; add one (expressions such as #stage('...') find stages by name)" },
    ]);
    expect(parsed?.stages[0]?.name).toBe('wait');
  });
});

describe('common stage fields', () => {
  it.each([
    [{ failPipeline: 'no' }, { pointer: '/stages/0/failPipeline', code: 'wrong-type', message: "expected true or false, got 'no'" }],
    [{ continuePipeline: 1 }, { pointer: '/stages/0/continuePipeline', code: 'wrong-type', message: 'expected true or false, got 1' }],
    [{ completeOtherBranchesThenFail: 'true' }, { pointer: '/stages/0/completeOtherBranchesThenFail', code: 'wrong-type', message: "expected true or false, got 'true'" }],
    [{ stageTimeoutMs: 0 }, { pointer: '/stages/0/stageTimeoutMs', code: 'invalid-value', message: 'expected a timeout in milliseconds (at least 1), got 0' }],
    [{ stageTimeoutMs: 1.5 }, { pointer: '/stages/0/stageTimeoutMs', code: 'invalid-value', message: 'expected a timeout in milliseconds (a whole number), got 1.5' }],
    [{ stageTimeoutMs: 'long' }, { pointer: '/stages/0/stageTimeoutMs', code: 'wrong-type', message: "expected a timeout in milliseconds, got 'long'" }],
    [{ failOnFailedExpressions: 'yes' }, { pointer: '/stages/0/failOnFailedExpressions', code: 'wrong-type', message: "expected true or false, got 'yes'" }],
    [{ stageEnabled: true }, { pointer: '/stages/0/stageEnabled', code: 'wrong-type', message: 'expected {"type": "expression", "expression": "..."}, got true' }],
    [{ stageEnabled: { type: 'expression' } }, { pointer: '/stages/0/stageEnabled/expression', code: 'required', message: "'expression' is required; add the condition under which the stage runs" }],
    [
      { stageEnabled: { type: 'script', expression: 'true' } },
      { pointer: '/stages/0/stageEnabled/type', code: 'invalid-value', message: "expected 'expression' (the only kind of stageEnabled), got 'script'" },
    ],
    [{ stageEnabled: { expression: '' } }, { pointer: '/stages/0/stageEnabled/expression', code: 'invalid-value', message: 'expected the condition under which the stage runs, got an empty string' }],
    [{ notifications: [{ when: ['stage.failed'] }] }, { pointer: '/stages/0/notifications/0/type', code: 'required', message: "'type' is required; add the notification type, e.g. 'slack' or 'email'" }],
  ])('reports %j', (fields, expected) => {
    expect(errorsOf(pipeline([wait('1', [], fields)]))).toEqual([{ severity: 'error', ...expected }]);
  });

  it.each([
    [{}, 'halt-pipeline'],
    [{ failPipeline: true }, 'halt-pipeline'],
    [{ failPipeline: false }, 'halt-branch'],
    [{ failPipeline: false, completeOtherBranchesThenFail: true }, 'halt-branch-fail-pipeline'],
    [{ failPipeline: true, completeOtherBranchesThenFail: true }, 'halt-pipeline'],
    [{ failPipeline: false, continuePipeline: true }, 'ignore'],
    [{ failPipeline: true, continuePipeline: true }, 'ignore'],
  ])("maps failure flags %j to Spinnaker's failure status: %s", (flags, policy) => {
    expect(parsePipeline(pipeline([wait('1', [], flags)])).pipeline?.stages[0]?.failurePolicy).toBe(policy);
  });

  it('reads stageEnabled, the timeout and notifications', () => {
    const fields = {
      stageEnabled: { type: 'expression', expression: "parameters.env == 'prod'" },
      stageTimeoutMs: 60000,
      notifications: [{ type: 'slack', address: '#deploys', when: ['stage.failed'] }],
    };
    expect(parsePipeline(pipeline([wait('1', [], fields)])).pipeline?.stages[0]).toMatchObject({
      stageEnabled: { type: 'expression', expression: "parameters.env == 'prod'" },
      stageTimeoutMs: 60000,
      failOnFailedExpressions: false,
      notifications: [{ type: 'slack', address: '#deploys', when: ['stage.failed'] }],
    });
  });

  describe('restrictedExecutionWindow', () => {
    const window = (restrictedExecutionWindow: unknown, on = true) => pipeline([wait('1', [], { restrictExecutionDuringTimeWindow: on, restrictedExecutionWindow })]);

    it.each([
      [{ whitelist: [{ startHour: 24, startMin: 0, endHour: 5, endMin: 0 }] }, '/stages/0/restrictedExecutionWindow/whitelist/0/startHour', 'expected an hour (0-23), got 24'],
      [{ whitelist: [{ startHour: 9, startMin: 60, endHour: 5, endMin: 0 }] }, '/stages/0/restrictedExecutionWindow/whitelist/0/startMin', 'expected a minute (0-59), got 60'],
      [{ whitelist: [], days: [0] }, '/stages/0/restrictedExecutionWindow/days/0', 'expected a day of the week (1-7), got 0'],
      [{ whitelist: [], days: [8] }, '/stages/0/restrictedExecutionWindow/days/0', 'expected a day of the week (1-7), got 8'],
      [{ jitter: { enabled: true, minDelay: 60, maxDelay: 10 } }, '/stages/0/restrictedExecutionWindow/jitter', 'jitter minDelay 60 is above maxDelay 10; use minDelay ≤ maxDelay'],
      ['9-17', '/stages/0/restrictedExecutionWindow', 'expected an execution window {"whitelist": [...], "days": [...]}, got \'9-17\''],
    ])('reports %j', (restricted, pointer, message) => {
      expect(issuesOf(window(restricted))).toContainEqual({ pointer, code: expect.any(String), severity: 'error', message });
    });

    it('only warns about a bad window while the restriction is off', () => {
      expect(issuesOf(window({ days: [9] }, false))).toEqual([
        { pointer: '/stages/0/restrictedExecutionWindow/days/0', code: 'invalid-value', severity: 'warning', message: 'expected a day of the week (1-7), got 9' },
      ]);
    });

    it('reads the window only when the restriction is on', () => {
      const restricted = { whitelist: [{ startHour: 9, startMin: 0, endHour: 17, endMin: 30 }], days: [2, 3, 4, 5, 6] };
      expect(parsePipeline(window(restricted)).pipeline?.stages[0]?.executionWindow).toEqual(restricted);
      expect(parsePipeline(window(restricted, false)).pipeline?.stages[0]?.executionWindow).toBeUndefined();
    });

    it('warns when the restriction is on without a window', () => {
      expect(issuesOf(pipeline([wait('1', [], { restrictExecutionDuringTimeWindow: true })]))).toEqual([
        {
          pointer: '/stages/0/restrictExecutionDuringTimeWindow',
          code: 'required',
          severity: 'warning',
          message: 'is true but there is no restrictedExecutionWindow, so the stage may run at any time; add {"whitelist": [{"startHour": 9, "startMin": 0, "endHour": 17, "endMin": 0}]}',
        },
      ]);
    });
  });
});

describe('every issue at once', () => {
  it('reports all problems of a broken pipeline in document order', () => {
    const input = {
      name: 'Broken',
      triggers: [{ type: 'cron', cronExpression: '0 0/12 * * *' }],
      stages: [wait('1', ['3'], { waitTime: 'soon' }), stage('rollingPush', { requisiteStageRefIds: ['1'] }, '2'), wait('3', ['2', '9']), wait('3', [], { type: 'sleep' })],
    };
    expect(errorsOf(input).map((issue) => `${issue.pointer} ${issue.code}`)).toEqual([
      '/application required',
      '/stages/0/requisiteStageRefIds/0 cycle',
      '/stages/0/waitTime wrong-type',
      '/stages/1/type stage-type-unsupported',
      '/stages/2/requisiteStageRefIds/1 requisite-unknown',
      '/stages/3/refId refid-duplicate',
      '/stages/3/type stage-type-unknown',
      '/triggers/0/cronExpression cron',
    ]);
  });

  it('prefixes every pointer with the pointer option', () => {
    const { issues } = parsePipeline(pipeline([wait('1', ['9'])]), { pointer: '/2' });
    expect(issues.map((issue) => issue.pointer)).toEqual(['/2/stages/0/requisiteStageRefIds/0']);
  });

  it('gives every issue a single line under 450 characters', () => {
    const { issues } = parsePipeline({ stages: [stage('findArtifactFromExecution'), 5, { refId: {} }], triggers: [{ type: 'pubsub' }, 3] });
    expect(issues.length).toBeGreaterThan(4);
    for (const issue of issues) {
      expect(issue.message).not.toMatch(/\n/);
      expect(issue.message.length).toBeLessThan(450);
    }
  });

  it('carries the bad value', () => {
    expect(parsePipeline(pipeline([wait('1', [], { waitTime: 'soon' })])).issues[0]).toMatchObject({ pointer: '/stages/0/waitTime', value: 'soon' });
  });
});
