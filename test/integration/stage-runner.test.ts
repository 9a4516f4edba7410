/**
 * The real stage runner, on real compiled pipelines: each test compiles a pipeline, creates its
 * execution in dynalite, runs the ASL on the local engine with every Task bound to the runner,
 * and checks the statuses Spinnaker would give the stages and the execution.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbExecutionStore } from '../../adapters/dynamodb/dynamodb-execution-store.ts';
import { createFetchHttpClient } from '../../adapters/http/fetch-http-client.ts';
import { newExecutionFromPipeline } from '../../core/execution/new-execution.ts';
import { parsePipeline } from '../../core/pipeline/index.ts';
import type { ExecutionStore, JsonObject } from '../../core/ports/execution-store.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';
import { createLocalRun, type LocalRun } from '../support/local-run.ts';

let dynalite: Dynalite;
let store: ExecutionStore;
let local: LocalRun;
let server: Server;
let baseUrl: string;
/** What the test web server answers, by path: a list consumed one answer per request (the last repeats). */
const answers = new Map<string, Array<{ status: number; body?: unknown; headers?: Record<string, string> }>>();
const received: Array<{ method: string; path: string; headers: IncomingMessage['headers']; body: string }> = [];

let counter = 0;
const uniqueName = (base: string) => `${base}-${++counter}`;

function pipeline(stages: JsonObject[], extra: JsonObject = {}): JsonObject {
  const name = uniqueName('p');
  return { id: name, application: 'hello', name, stages, ...extra };
}

const failingCheck = (refId: string, parents: string[], flags: JsonObject = {}): JsonObject => ({
  refId,
  requisiteStageRefIds: parents,
  type: 'checkPreconditions',
  name: `Check ${refId}`,
  preconditions: [{ type: 'expression', context: { expression: "${ parameters.env == 'prod' }" } }],
  ...flags,
});
const evaluate = (refId: string, parents: string[], variables: Array<{ key: string; value: unknown }> = [{ key: `v${refId}`, value: refId }]): JsonObject => ({
  refId,
  requisiteStageRefIds: parents,
  type: 'evaluateVariables',
  name: `Evaluate ${refId}`,
  variables,
});
const wait = (refId: string, parents: string[], waitTime: number | string): JsonObject => ({ refId, requisiteStageRefIds: parents, type: 'wait', name: `Wait ${refId}`, waitTime });

beforeAll(async () => {
  dynalite = await startDynalite();
  let now = 0;
  store = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock: { now: () => (now += 1) } });
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({ method: request.method ?? '', path, headers: request.headers, body });
      const queue = answers.get(path) ?? [{ status: 404, body: { error: 'no such hook' } }];
      const answer = queue.length > 1 ? queue.shift()! : queue[0]!;
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  local = createLocalRun({ store, http: createFetchHttpClient({ allowlist: ['http://127.0.0.1:*'] }) });
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await dynalite?.stop();
});

describe('a fan-out / fan-in pipeline', () => {
  it('runs both branches and the join, and succeeds', async () => {
    // given 1 → (2, 3) → 4
    const config = pipeline([evaluate('1', []), wait('2', ['1'], 45), evaluate('3', ['1']), evaluate('4', ['2', '3'])]);
    // when
    const { outcome, execution, statuses } = await local.run(config);
    // then
    expect(outcome.status).toBe('SUCCEEDED');
    expect(execution.status).toBe('SUCCEEDED');
    expect(statuses).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'SUCCEEDED', '4': 'SUCCEEDED' });
    const join = execution.stages.find((stage) => stage.refId === '4')!;
    expect(join.startTime).toBeGreaterThanOrEqual(execution.stages.find((stage) => stage.refId === '2')!.endTime!);
  });
});

describe('a failing branch under each failure policy', () => {
  // 1 → (2 fails → 4) and (3 waits 300 s) → 5 joins both
  it.each([
    ['halt the pipeline (default)', {}, { '2': 'TERMINAL', '3': 'CANCELED', '4': 'NOT_STARTED', '5': 'NOT_STARTED' }, 'TERMINAL'],
    ['halt this branch', { failPipeline: false }, { '2': 'STOPPED', '3': 'SUCCEEDED', '4': 'NOT_STARTED', '5': 'NOT_STARTED' }, 'SUCCEEDED'],
    ['halt this branch, fail once others complete', { failPipeline: false, completeOtherBranchesThenFail: true }, { '2': 'STOPPED', '3': 'SUCCEEDED', '4': 'NOT_STARTED', '5': 'NOT_STARTED' }, 'TERMINAL'],
    ['ignore the failure', { failPipeline: false, continuePipeline: true }, { '2': 'FAILED_CONTINUE', '3': 'SUCCEEDED', '4': 'SUCCEEDED', '5': 'SUCCEEDED' }, 'SUCCEEDED'],
  ])('%s', async (_policy, flags, expected, final) => {
    const config = pipeline([evaluate('1', []), failingCheck('2', ['1'], flags), evaluate('4', ['2']), wait('3', ['1'], 300), evaluate('5', ['4', '3'])]);
    const { execution, statuses } = await local.run(config, { parameters: { env: 'staging' } });
    expect(statuses).toEqual({ '1': 'SUCCEEDED', ...expected });
    expect(execution.status).toBe(final);
    const failedStage = execution.stages.find((stage) => stage.refId === '2')!;
    expect((failedStage.context.exception as { details: { error: string } }).details.error).toContain("precondition expression '${ parameters.env == 'prod' }' is false");
  });
});

describe('a manual judgment the run never waits for', () => {
  it('passes a judgment behind a halted branch at once (the runner resumes its callback Task), and the pipeline ends', async () => {
    // given 1 → 2 (a check that halts its branch) → 3 (a judgment), beside 4
    const config = pipeline([
      evaluate('1', []),
      failingCheck('2', ['1'], { failPipeline: false }),
      { refId: '3', requisiteStageRefIds: ['2'], type: 'manualJudgment', name: 'Approve' },
      evaluate('4', ['1']),
    ]);
    // when
    const { execution, statuses } = await local.run(config, { parameters: { env: 'staging' } });
    // then
    expect(statuses).toEqual({ '1': 'SUCCEEDED', '2': 'STOPPED', '3': 'NOT_STARTED', '4': 'SUCCEEDED' });
    expect(execution.status).toBe('SUCCEEDED');
  });
});

describe('stageEnabled', () => {
  it.each([
    ['true', "${ parameters.env == 'prod' }", 'SUCCEEDED'],
    ['false', "${ parameters.env == 'staging' }", 'SKIPPED'],
    ['an expression that fails', '${ no.such.thing }', 'SKIPPED'],
    ['a value that is not a boolean', "${ 'maybe' }", 'SKIPPED'],
  ])('a stage whose stageEnabled is %s ends %s, and downstream runs', async (_case, expression, expected) => {
    const config = pipeline([{ ...evaluate('1', []), stageEnabled: { type: 'expression', expression } }, evaluate('2', ['1'])]);
    const { execution, statuses } = await local.run(config, { parameters: { env: 'prod' } });
    expect(statuses).toEqual({ '1': expected, '2': 'SUCCEEDED' });
    expect(execution.status).toBe('SUCCEEDED');
  });
});

describe('expressions between stages', () => {
  it('lets a later stage read evaluateVariables results as bare variables, later variables seeing earlier ones', async () => {
    const config = pipeline([
      evaluate('1', [], [
        { key: 'env', value: '${ parameters.env }' },
        { key: 'release', value: '${ env }-release' },
      ]),
      { ...failingCheck('2', ['1']), preconditions: [{ type: 'expression', context: { expression: "${ release == 'prod-release' }" } }], note: '${ release }' },
    ]);
    const { execution, statuses } = await local.run(config, { parameters: { env: 'prod' } });
    expect(statuses).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED' });
    expect(execution.stages[0]!.outputs).toEqual({ env: 'prod', release: 'prod-release' });
    expect(execution.stages[1]!.context.note).toBe('prod-release');
  });

  it('keeps a failed expression as text and records it, or fails the stage with failOnFailedExpressions', async () => {
    const kept = await local.run(pipeline([{ ...wait('1', [], 0), note: '${ missing.value }' }]));
    expect(kept.statuses).toEqual({ '1': 'SUCCEEDED' });
    expect(kept.execution.stages[0]!.context.note).toBe('${ missing.value }');
    // Orca's shape: keyed by the expression without its ${ }, a list of {description, exceptionType, level, timestamp}.
    expect(kept.execution.stages[0]!.context.expressionEvaluationSummary).toEqual({
      'missing.value': [
        {
          description: expect.stringMatching(/^Failed to evaluate \[note\] .*missing/),
          exceptionType: 'org.springframework.expression.spel.SpelEvaluationException',
          level: 'ERROR',
          timestamp: expect.any(Number),
        },
      ],
    });

    const strict = await local.run(pipeline([{ ...wait('1', [], 0), note: '${ missing.value }', failOnFailedExpressions: true }]));
    expect(strict.statuses).toEqual({ '1': 'TERMINAL' });
    expect(strict.execution.status).toBe('TERMINAL');
  });

  it("keeps a template whose value is null as text and lists it at level INFO, as Orca's v4 does", async () => {
    const { statuses, execution } = await local.run(pipeline([{ ...wait('1', [], 0), note: "${ trigger['absent'] }", label: "v-${ trigger['absent'] }" }]));
    expect(statuses).toEqual({ '1': 'SUCCEEDED' });
    const context = execution.stages[0]!.context;
    expect([context.note, context.label]).toEqual(["${ trigger['absent'] }", "v-${ trigger['absent'] }"]);
    expect(context.expressionEvaluationSummary).toEqual({
      "trigger['absent']": [
        { description: "Failed to evaluate [note] trigger['absent'] not found (its value is null); the text is kept", level: 'INFO', timestamp: expect.any(Number) },
        { description: "Failed to evaluate [label] trigger['absent'] not found (its value is null); the text is kept", level: 'INFO', timestamp: expect.any(Number) },
      ],
    });
  });

  it('saves and runs expressions Gennaker will not evaluate, keeping their text and recording why (hostile ones run nothing)', async () => {
    // given: a type reference to the host, a constructor, an unknown helper and a syntax Gennaker does not parse
    const marker = `/tmp/gennaker-expr-${process.pid}-${uniqueName('pwned')}`;
    const fields = {
      exec: `\${ T(java.lang.Runtime).getRuntime().exec('touch ${marker}') }`,
      build: `\${ new java.lang.ProcessBuilder('touch', '${marker}').start() }`,
      helper: 'release-${ #notAHelper(trigger) }',
      slice: '${ parameters.list[0:1] }',
      proto: `\${ ''.constructor.constructor('return process')().mainModule.require('fs').writeFileSync('${marker}', 'x') }`,
    };

    // when
    const { statuses, execution } = await local.run(pipeline([{ ...wait('1', [], 0), ...fields }, wait('2', ['1'], 0)]));

    // then: the stage and the pipeline go on, the text is kept, each failure is recorded, no file was written
    expect(statuses).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED' });
    const context = execution.stages[0]!.context;
    for (const [key, text] of Object.entries(fields)) expect(context[key]).toBe(text);
    const summary = context.expressionEvaluationSummary as Record<string, Array<{ description: string; exceptionType: string; level: string }>>;
    expect(Object.keys(summary).sort()).toEqual(
      [
        `T(java.lang.Runtime).getRuntime().exec('touch ${marker}')`,
        `new java.lang.ProcessBuilder('touch', '${marker}').start()`,
        '#notAHelper(trigger)',
        'parameters.list[0:1]',
        `''.constructor.constructor('return process')().mainModule.require('fs').writeFileSync('${marker}', 'x')`,
      ].sort(),
    );
    expect(summary[`T(java.lang.Runtime).getRuntime().exec('touch ${marker}')`]).toEqual([
      expect.objectContaining({ exceptionType: 'org.springframework.expression.spel.SpelParseException', level: 'ERROR', description: expect.stringContaining('type references are not allowed') }),
    ]);
    expect(summary['#notAHelper(trigger)']![0]!.description).toMatch(/^Failed to evaluate \[helper\] .*unknown function #notAHelper\(\)/);
    expect(existsSync(marker)).toBe(false);
  });

  it('fails a stage with failOnFailedExpressions TERMINAL whatever its failure policy, as Orca does, before its tasks run', async () => {
    // given: a stage that would only halt its branch, and a sibling branch
    const { statuses, execution } = await local.run(
      pipeline([{ ...wait('1', [], 0), failPipeline: false, note: '${ #notAHelper() }', failOnFailedExpressions: true }, wait('2', ['1'], 0)]),
    );

    // then
    expect(statuses).toEqual({ '1': 'TERMINAL', '2': 'NOT_STARTED' });
    expect(execution.status).toBe('TERMINAL');
    const exception = execution.stages[0]!.context.exception as { exceptionType: string; details: { errors: string[] } };
    expect(exception.exceptionType).toBe('ExpressionEvaluationFailed');
    expect(exception.details.errors).toEqual([expect.stringMatching(/^Failed to evaluate \[note\] .*unknown function #notAHelper\(\)/)]);
  });
});

describe('webhook stages against a local server', () => {
  it('succeeds on 200 and stores the response, never a secret header', async () => {
    answers.set('/hook/ok', [{ status: 200, body: { accepted: true }, headers: { 'set-cookie': 'session=abc' } }]);
    const config = pipeline([
      { refId: '1', type: 'webhook', name: 'Notify', url: `${baseUrl}/hook/ok`, method: 'POST', payload: { env: '${ parameters.env }' }, customHeaders: { Authorization: 'Bearer s3cr3t', 'X-Team': 'core' } },
    ]);
    const { execution, statuses } = await local.run(config, { parameters: { env: 'prod' } });
    expect(statuses).toEqual({ '1': 'SUCCEEDED' });
    const stage = execution.stages[0]!;
    expect(stage.context.webhook).toMatchObject({ statusCode: 200, body: { accepted: true } });
    expect(JSON.stringify(execution)).not.toContain('s3cr3t');
    expect(JSON.stringify(execution)).not.toContain('session=abc');
    const request = received.find((entry) => entry.path === '/hook/ok')!;
    expect(request.headers.authorization).toBe('Bearer s3cr3t');
    expect(JSON.parse(request.body)).toEqual({ env: 'prod' });
  });

  it('without a key to seal them, stores URL credentials as ****** and sends them again from the stage as written on every poll', async () => {
    // given: this runner has no cipher, so what it redacts cannot be opened again
    answers.set('/hook/signed?token=t0k3n-abc&id=1', [{ status: 202, body: {} }, { status: 200, body: { status: 'RUNNING' } }, { status: 200, body: { status: 'DONE' } }]);
    const config = pipeline([
      { refId: '1', type: 'webhook', name: 'Poll', method: 'POST', url: `${baseUrl}/hook/signed?token=t0k3n-abc&id=1`, waitForCompletion: true, statusUrlResolution: 'getMethod', statusJsonPath: '$.status', successStatuses: 'DONE' },
    ]);

    // when
    const { execution, statuses } = await local.run(config);

    // then
    expect(statuses).toEqual({ '1': 'SUCCEEDED' });
    expect(received.filter((entry) => entry.path.startsWith('/hook/signed')).map((entry) => `${entry.method} ${entry.path}`)).toEqual([
      'POST /hook/signed?token=t0k3n-abc&id=1',
      'GET /hook/signed?token=t0k3n-abc&id=1',
      'GET /hook/signed?token=t0k3n-abc&id=1',
    ]);
    expect(JSON.stringify(execution)).not.toContain('t0k3n-abc');
    expect(execution.stages[0]!.context.url).toBe(`${baseUrl}/hook/signed?token=******&id=1`);
  });

  it('fails the stage on 404', async () => {
    answers.set('/hook/missing', [{ status: 404, body: { error: 'nope' } }]);
    const { execution, statuses } = await local.run(pipeline([{ refId: '1', type: 'webhook', name: 'Notify', url: `${baseUrl}/hook/missing` }]));
    expect(statuses).toEqual({ '1': 'TERMINAL' });
    expect((execution.stages[0]!.context.exception as { details: { error: string } }).details.error).toMatch(/answered 404/);
  });

  it('fails the stage, naming the cap, when the answer is larger than the response cap', async () => {
    answers.set('/hook/huge', [{ status: 200, body: { blob: 'x'.repeat(2 * 1024 * 1024) } }]);
    const { execution, statuses } = await local.run(pipeline([{ refId: '1', type: 'webhook', name: 'Notify', url: `${baseUrl}/hook/huge` }]));
    expect(statuses).toEqual({ '1': 'TERMINAL' });
    expect((execution.stages[0]!.context.exception as { details: { error: string } }).details.error).toContain('answered a body larger than 1 MiB, the cap on a response');
  });

  it('retries a 503 and succeeds on the next answer', async () => {
    answers.set('/hook/flaky', [{ status: 503 }, { status: 503 }, { status: 200, body: {} }]);
    const { statuses } = await local.run(pipeline([{ refId: '1', type: 'webhook', name: 'Notify', url: `${baseUrl}/hook/flaky` }]));
    expect(statuses).toEqual({ '1': 'SUCCEEDED' });
    expect(received.filter((entry) => entry.path === '/hook/flaky')).toHaveLength(3);
  });

  it('polls the status URL until a success status', async () => {
    answers.set('/hook/job', [{ status: 202, body: { statusUrl: `${baseUrl}/hook/job/1` } }]);
    answers.set('/hook/job/1', [
      { status: 200, body: { state: { name: 'RUNNING' }, progress: '10%' } },
      { status: 200, body: { state: { name: 'RUNNING' }, progress: '60%' } },
      { status: 200, body: { state: { name: 'done' }, progress: '100%' } },
    ]);
    const config = pipeline([
      {
        refId: '1', type: 'webhook', name: 'Build', url: `${baseUrl}/hook/job`, waitForCompletion: true, statusUrlResolution: 'webhookResponse',
        statusUrlJsonPath: '$.statusUrl', statusJsonPath: "$.state['name']", progressJsonPath: '$.progress', successStatuses: 'DONE,OK', terminalStatuses: 'FAILED',
      },
    ]);
    const { execution, statuses } = await local.run(config);
    expect(statuses).toEqual({ '1': 'SUCCEEDED' });
    expect((execution.stages[0]!.context.webhook as { monitor: unknown }).monitor).toMatchObject({ status: 'done', progressMessage: '100%' });
  });
});

describe('manual judgment', () => {
  it.each([
    ['continue', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
    ['stop', 'TERMINAL', 'NOT_STARTED', 'TERMINAL'],
  ] as const)('%s: the stage ends %s, the next stage %s, the execution %s', async (judgmentStatus, stageStatus, nextStatus, final) => {
    const saved = await local.save(pipeline([{ refId: '1', type: 'manualJudgment', name: 'Approve', judgmentInputs: [{ value: 'ship' }], selectedStageRoles: ['release'] }, evaluate('2', ['1'])]));
    const started = await local.start(saved.id);

    const refused = await local.judge(started.executionId, '1', { judgmentStatus, user: 'mallory', roles: ['dev'] });
    expect(refused).toMatchObject({ ok: false, reason: 'forbidden' });
    const decision = await local.judge(started.executionId, '1', { judgmentStatus, judgmentInput: 'ship', user: 'alice', roles: ['release'] });
    expect(decision.ok).toBe(true);

    const { execution, statuses } = await local.finish(started);
    expect(statuses).toEqual({ '1': stageStatus, '2': nextStatus });
    expect(execution.status).toBe(final);
    expect(execution.stages[0]!.context).toMatchObject({ judgmentStatus, judgmentInput: 'ship', lastModifiedBy: 'alice' });
  });
});

describe('pipeline stages', () => {
  it('runs the child pipeline with evaluated parameters and succeeds with it', async () => {
    const child = await local.save(pipeline([failingCheck('1', [])], { parameterConfig: [{ name: 'env', required: true }] }));
    const { execution, statuses } = await local.run(
      pipeline([{ refId: '1', type: 'pipeline', name: 'Run child', application: 'hello', pipeline: child.id, pipelineParameters: { env: '${ parameters.target }' } }]),
      { parameters: { target: 'prod' } },
    );
    expect(statuses).toEqual({ '1': 'SUCCEEDED' });
    const childId = execution.stages[0]!.context.executionId as string;
    expect(execution.stages[0]!.outputs).toEqual({ executionId: childId, status: 'SUCCEEDED' });
    expect((await store.getExecution(childId))?.parameters).toEqual({ env: 'prod' });
  });

  it('fails under its failure policy when the child fails', async () => {
    const child = await local.save(pipeline([failingCheck('1', [])]));
    const { statuses, execution } = await local.run(
      pipeline([{ refId: '1', type: 'pipeline', name: 'Run child', application: 'hello', pipeline: child.id, failPipeline: false }, evaluate('2', ['1'])]),
      { parameters: { env: 'staging' } },
    );
    expect(statuses).toEqual({ '1': 'STOPPED', '2': 'NOT_STARTED' });
    expect(execution.status).toBe('SUCCEEDED');
  });
});

describe('stage types that cannot run yet', () => {
  it('fails the stage with a message saying why', async () => {
    const { execution, statuses } = await local.run(
      pipeline([{ refId: '1', type: 'findImageFromTags', name: 'Find', packageName: 'hello', tags: { a: 'b' }, regions: ['us-east-1'], continuePipeline: true, failPipeline: false }]),
    );
    expect(statuses).toEqual({ '1': 'FAILED_CONTINUE' });
    expect((execution.stages[0]!.context.exception as { details: { error: string } }).details.error).toBe("stage type 'findImageFromTags' cannot run yet: Gennaker has no image catalog wired in");
  });
});

describe('idempotency', () => {
  it('changes nothing when a step, a fault or the completion is delivered again', async () => {
    const { execution } = await local.run(pipeline([evaluate('1', []), failingCheck('2', ['1'], { failPipeline: false })]), { parameters: { env: 'x' } });
    const again = [
      await local.runner({ executionId: execution.id, stageRefId: '1', task: 'evaluateVariables' }),
      await local.runner({ executionId: execution.id, stageRefId: '2', task: 'checkPreconditions' }),
      await local.runner({ executionId: execution.id, stageRefId: '2', task: '$fault', fault: { Error: 'States.Timeout' } }),
      await local.runner({ executionId: execution.id, task: '$complete' }),
    ];
    expect(again).toEqual([{ status: 'SUCCEEDED' }, { status: 'STOPPED' }, { status: 'STOPPED' }, { status: 'SUCCEEDED' }]);
    expect(await store.getExecution(execution.id)).toEqual(execution);
  });
});

describe('what the runner remembers between calls', () => {
  /** An execution of `stages` created in the store, not started: the test calls the runner itself. */
  async function createdExecution(stages: JsonObject[]): Promise<string> {
    const saved = await local.save(pipeline(stages));
    const parsed = parsePipeline(saved.config);
    const executionId = uniqueName('remembered');
    const created = await store.createExecution(
      newExecutionFromPipeline(parsed.pipeline!, { id: executionId, version: saved.version, pipelineConfigId: saved.id, trigger: { type: 'manual' }, parameters: {}, buildTime: local.now() }),
    );
    if (!created.ok) throw new Error(`could not create ${executionId}`);
    await store.updateExecution(executionId, { expect: ['NOT_STARTED'], set: { status: 'RUNNING' } });
    return executionId;
  }

  it('shows #stage() the current data of a stage that is not complete, changed by another writer between two calls', async () => {
    // given 1 → 2, beside 3, which another writer changes after the runner ran 1
    const executionId = await createdExecution([
      evaluate('1', []),
      evaluate('2', ['1'], [{ key: 'seen', value: "${#stage('Wait 3').context.note}" }]),
      wait('3', [], 30),
    ]);
    expect(await local.runner({ executionId, stageRefId: '1', task: 'evaluateVariables' })).toEqual({ status: 'SUCCEEDED' });
    await store.updateStage(executionId, '3', { expect: ['NOT_STARTED'], set: { context: { waitTime: 30, note: 'changed meanwhile' } } });

    // when
    const answer = await local.runner({ executionId, stageRefId: '2', task: 'evaluateVariables' });

    // then
    expect(answer).toEqual({ status: 'SUCCEEDED' });
    expect((await store.getStage(executionId, '2'))?.outputs).toEqual({ seen: 'changed meanwhile' });
  });

  it('cancels the next stage when the execution was canceled after its previous call', async () => {
    // given 1 → 2, canceled once 1 has run
    const executionId = await createdExecution([evaluate('1', []), evaluate('2', ['1'])]);
    await local.runner({ executionId, stageRefId: '1', task: 'evaluateVariables' });
    await store.updateExecution(executionId, { expect: ['RUNNING'], set: { canceled: true } });

    // when
    const answer = await local.runner({ executionId, stageRefId: '2', task: 'evaluateVariables' });

    // then
    expect(answer).toEqual({ status: 'CANCELED' });
  });
});
