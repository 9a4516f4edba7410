/**
 * Validation never throws on user input (DESIGN.md §2): arbitrary values, arbitrary JSON,
 * pipeline-shaped documents with random fields, arbitrary text, arbitrary cron expressions.
 * And its results keep their promises: a pipeline iff no error, every pointer inside the
 * document, every message one line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePipeline, readPipelineDocument, serializePipeline } from '../../../core/pipeline/parse.ts';
import { SUPPORTED_STAGE_TYPES, planStage } from '../../../core/pipeline/stage-types/index.ts';
import { SUPPORTED_TRIGGER_TYPES } from '../../../core/pipeline/triggers/index.ts';
import { nextFireTime, parseCron, toEventBridgeCron } from '../../../core/triggers/cron.ts';

const RUNS = 400;

function checkResult(input: unknown, base = '') {
  const { pipeline, issues } = parsePipeline(input, { pointer: base });
  expect(pipeline === undefined).toBe(issues.some((issue) => issue.severity === 'error'));
  for (const issue of issues) {
    expect(issue.pointer.startsWith(base)).toBe(true);
    expect(issue.message).not.toMatch(/[\n\r]/);
    expect(issue.message.length).toBeGreaterThan(0);
  }
  if (pipeline) {
    expect(serializePipeline(pipeline)).toEqual(JSON.parse(JSON.stringify(input)));
    for (const stage of pipeline.stages) expect(planStage(stage).length).toBeGreaterThan(0);
  }
  return pipeline;
}

/** A JSON value biased towards what the fields expect: numbers, numeric strings, templates. */
const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer({ min: -5, max: 5000 }).map(String),
  fc.constantFrom('${parameters.x}', '${ #stage("a")[ }', '${', 'true', '', '0 0 12 * * ?', 'v(1', 'https://x.example', 'redblack', 'current_asg_dynamic'),
  fc.boolean(),
);

const FIELDS = [
  'waitTime', 'epochMillis', 'url', 'method', 'waitForCompletion', 'statusJsonPath', 'successStatuses', 'application', 'pipeline', 'clusters',
  'cluster', 'credentials', 'regions', 'target', 'action', 'capacity', 'canaryConfig', 'preconditions', 'variables', 'judgmentInputs',
  'stageEnabled', 'failPipeline', 'continuePipeline', 'stageTimeoutMs', 'restrictExecutionDuringTimeWindow', 'restrictedExecutionWindow', 'notifications', 'alias',
];

const stageArbitrary = fc.record(
  {
    refId: fc.oneof(fc.constantFrom('1', '2', '3', '4'), fc.integer({ min: 1, max: 4 }), fc.constant(undefined)),
    requisiteStageRefIds: fc.oneof(fc.array(fc.constantFrom('1', '2', '3', '4', 9), { maxLength: 3 }), fc.constant(undefined), fieldValue),
    type: fc.oneof(fc.constantFrom(...SUPPORTED_STAGE_TYPES), fc.constantFrom('deployManifest', 'sleep'), fieldValue),
    name: fc.oneof(fc.string({ maxLength: 8 }), fc.constant(undefined)),
    extra: fc.dictionary(fc.constantFrom(...FIELDS), fieldValue, { maxKeys: 5 }),
  },
  { requiredKeys: ['type'] },
).map(({ extra, ...fields }) => {
  const stage: Record<string, unknown> = { ...extra };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) stage[key] = value;
  return stage;
});

const triggerArbitrary = fc
  .record({
    type: fc.oneof(fc.constantFrom(...SUPPORTED_TRIGGER_TYPES, 'jenkins', 'travis'), fieldValue),
    enabled: fc.oneof(fc.boolean(), fieldValue),
    extra: fc.dictionary(fc.constantFrom('cronExpression', 'id', 'source', 'project', 'slug', 'branch', 'tag', 'repository', 'status', 'payloadConstraints', 'pubsubSystem', 'subscriptionName', 'attributeConstraints'), fieldValue, { maxKeys: 4 }),
  })
  .map(({ extra, ...fields }) => ({ ...extra, ...fields }));

const pipelineArbitrary = fc
  .record({
    application: fc.oneof(fc.constant('hello'), fieldValue),
    name: fc.oneof(fc.constant('Deploy'), fieldValue),
    stages: fc.oneof(fc.array(stageArbitrary, { maxLength: 5 }), fieldValue),
    triggers: fc.oneof(fc.array(triggerArbitrary, { maxLength: 3 }), fc.constant([])),
    limitConcurrent: fc.oneof(fc.boolean(), fieldValue),
    parameterConfig: fc.oneof(fc.constant([]), fc.array(fc.record({ name: fc.constantFrom('env', 'env', 'x', '') }), { maxLength: 3 }), fieldValue),
  })
  .map((document) => JSON.parse(JSON.stringify(document)) as Record<string, unknown>);

/** Stage bodies known to be valid, to build valid DAGs around. */
const VALID_STAGES: ReadonlyArray<Record<string, unknown>> = [
  { type: 'wait', waitTime: 30 },
  { type: 'manualJudgment', judgmentInputs: [{ value: 'ok' }] },
  { type: 'evaluateVariables', variables: [{ key: 'a', value: '${parameters.x}' }] },
  { type: 'webhook', url: 'https://ci.example.com/hook', method: 'GET' },
  { type: 'pipeline', application: 'hello', pipeline: 'abc' },
  { type: 'deploy', clusters: [{ account: 'prod', strategy: 'redblack', maxRemainingAsgs: 2, scaleDown: true }] },
  { type: 'disableServerGroup', cluster: 'hello-prod', credentials: 'prod', regions: ['us-east-1'], target: 'ancestor_asg_dynamic' },
  { type: 'checkPreconditions', preconditions: [{ type: 'expression', context: { expression: "parameters.env == 'prod'" }, failPipeline: false }] },
];

/** A valid DAG: stage i may require any earlier stage; unknown fields sprinkled everywhere. */
const validPipelineArbitrary = fc
  .array(
    fc.record({
      body: fc.constantFrom(...VALID_STAGES),
      parents: fc.array(fc.nat(20), { maxLength: 3 }),
      extra: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).map((key) => `x-${key}`), fc.jsonValue({ maxDepth: 2 }).filter((value) => !JSON.stringify(value).includes('${')), { maxKeys: 2 }),
      failPipeline: fc.boolean(),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((entries) => ({
    application: 'hello',
    name: 'Generated',
    'x-top': 1,
    stages: entries.map((entry, index) => ({
      ...entry.extra,
      ...entry.body,
      refId: String(index + 1),
      name: `Stage ${index + 1}`,
      failPipeline: entry.failPipeline,
      requisiteStageRefIds: index === 0 ? [] : [...new Set(entry.parents.map((parent) => String((parent % index) + 1)))],
    })),
  }))
  .map((document) => JSON.parse(JSON.stringify(document)) as Record<string, unknown>);

describe('valid documents', () => {
  it('parse, keep their DAG and round-trip unchanged', () => {
    fc.assert(
      fc.property(validPipelineArbitrary, (input) => {
        const pipeline = checkResult(input);
        expect(pipeline).toBeDefined();
        const stages = input.stages as Array<{ refId: string; requisiteStageRefIds: string[] }>;
        expect(pipeline?.stages.map((stage) => [stage.refId, stage.requisiteStageRefIds])).toEqual(stages.map((stage) => [stage.refId, stage.requisiteStageRefIds]));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('never throws', () => {
  it('on arbitrary values', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        parsePipeline(input);
      }),
      { numRuns: RUNS },
    );
  });

  it('on arbitrary JSON, keeping its promises', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (input) => {
        checkResult(input);
      }),
      { numRuns: RUNS },
    );
  });

  it('on pipeline-shaped documents with random fields, keeping its promises', () => {
    fc.assert(
      fc.property(pipelineArbitrary, fc.constantFrom('', '/3'), (input, base) => {
        checkResult(input, base);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.constantFrom('{', '[', '- a', 'a: *b', '\uFEFF')), (text) => {
        const { pipelines, issues } = readPipelineDocument(text);
        expect(pipelines.length === 0 || issues.length === 0).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('on arbitrary cron expressions', () => {
    const token = fc.constantFrom('*', '?', '0', '5', '59', '0/15', '1-5', 'MON-FRI', 'JAN', 'L', 'L-2', '15W', 'LW', '6L', '2#1', 'H', 'H/10', '*/7', '99', '-', ',', '/');
    const expression = fc.oneof(
      fc.string(),
      fc.array(token, { minLength: 5, maxLength: 8 }).map((tokens) => tokens.join(' ')),
      fc.array(token, { minLength: 6, maxLength: 6 }).map((tokens) => `cron(${tokens.join(' ')})`),
    );
    fc.assert(
      fc.property(expression, fc.string(), fc.integer({ min: 0, max: 4_102_444_800_000 }), (expr, key, after) => {
        const parsed = parseCron(expr, { hashKey: key });
        if (!parsed.ok) {
          expect(parsed.message).not.toMatch(/\n/);
          return;
        }
        toEventBridgeCron(parsed.schedule);
        const next = nextFireTime(parsed.schedule, after);
        if (next !== undefined) expect(next).toBeGreaterThan(after);
      }),
      { numRuns: RUNS },
    );
  });
});
