/**
 * fast-check over every route of the API (the route table the app registers its handlers from,
 * functions/api/routes.ts, so a new route is fuzzed without being listed here), on a real local
 * runtime with the local deploy target, saved canary configs and an audit log: generated path
 * parameters (known names and ids, junk, 5,000-character names, `..`, NUL, unicode), query
 * values, bodies (any JSON, deep nesting, long keys, junk text, shapes of each route's
 * documents, bodies past the limit), and headers (the admin's token, a user without roles on a
 * restricted application, junk or no credentials, valid and forged webhook signatures, a lying
 * Content-Length).
 *
 * The API never answers 500, nothing crashes (no error is logged), every 4xx is one line, and a
 * 4xx writes nothing the request could have written. Seeded, so a failure replays; the figures
 * (inputs tried, statuses seen, per route) are printed. `FUZZ_RUNS=2000` for a longer campaign.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBearerAuthenticator } from '../../adapters/crypto/bearer-authenticator.ts';
import { signBody } from '../../adapters/crypto/signature-verifier.ts';
import { createApiApp } from '../../functions/api/app.ts';
import { ROUTES, type RouteDeclaration } from '../../functions/api/routes.ts';
import { createAuditFile } from '../../local/audit-file.ts';
import { tokenHash } from '../../local/users.ts';
import { createLocalRuntime, type LocalRuntime } from '../../local/wiring.ts';

const ADMIN_TOKEN = 'fuzz-token-0123456789abcdef';
const USER_TOKEN = 'fuzz-user-token-0123456789';
const SECRET = 'fuzz-secret';
const APPLICATIONS = ['fuzz', 'locked', 'other'];
/** Runs per route; the routes that take untrusted documents get four times as many. */
const RUNS = Math.max(7, Number(process.env.FUZZ_RUNS ?? 0));
const HEAVY = new Set(['savePipelineConfig', 'webhook', 'gitWebhook', 'startPipeline']);

const work = mkdtempSync(join(tmpdir(), 'gennaker-fuzz-'));
let runtime: LocalRuntime;
let app: ReturnType<typeof createApiApp>;
const faults: string[] = [];
/** Ids of what the fixture created: known values for path parameters. */
const known = { executions: [] as string[], stable: [] as string[], configIds: [] as string[], canaryIds: [] as string[] };
const figures: Record<string, Record<number, number>> = {};

const admin = { user: 'fuzzer', roles: [], admin: true, source: 'test' };

beforeAll(async () => {
  const audit = createAuditFile(join(work, 'state'));
  runtime = await createLocalRuntime({ retryDelayMs: 1, audit, localTarget: { stateDir: join(work, 'target') } });
  app = createApiApp({
    service: runtime.service,
    store: runtime.store,
    clock: { now: () => Date.now() },
    auth: createBearerAuthenticator({ token: ADMIN_TOKEN, users: async () => [{ caller: { user: 'dev', roles: ['dev'] }, tokenSha256: tokenHash(USER_TOKEN) }] }),
    ...(runtime.targets ? { targets: runtime.targets } : {}),
    canaryConfigs: runtime.canaryConfigs,
    triggerSecrets: runtime.secrets,
    accounts: runtime.accounts,
    audit,
    log: ({ level, message }) => void (level === 'error' ? faults.push(message) : undefined),
  });
  // Applications: one open, one whose every permission belongs to 'ops' (the user token has only 'dev').
  for (const [name, permissions] of [['fuzz', {}], ['locked', { READ: ['ops'], WRITE: ['ops'], EXECUTE: ['ops'] }]] as const) {
    const saved = await runtime.service.saveApplication({ application: { name, accounts: [], trafficGuards: [], permissions, raw: { name, permissions } }, create: true }, admin);
    if (!saved.ok) throw new Error(JSON.stringify(saved));
  }
  const wait = [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Wait', waitTime: 0 }];
  const judged = [{ refId: '1', requisiteStageRefIds: [], type: 'manualJudgment', name: 'Judge', judgmentInputs: [{ value: 'go' }] }];
  for (const [application, name, triggers, stages] of [
    ['fuzz', 'Signed', [{ type: 'webhook', source: 'signed', secret: SECRET, payloadConstraints: { branch: '^(a+)+$' } }], wait],
    ['fuzz', 'Open', [{ type: 'webhook', source: 'open' }], wait],
    ['fuzz', 'Git', [{ type: 'git', source: 'github', project: 'acme', slug: 'shop', branch: 'main', secret: SECRET }], wait],
    ['fuzz', 'Gitlab', [{ type: 'git', source: 'gitlab', project: 'acme', slug: 'shop', secret: SECRET }], wait],
    ['fuzz', 'Judged', [], judged],
    ['locked', 'Vault', [], judged],
  ] as const) {
    const saved = await runtime.service.savePipeline({ config: { application, name, triggers, stages } }, admin);
    if (!saved.ok) throw new Error(JSON.stringify(saved));
    known.configIds.push(saved.saved.id);
    const started = await runtime.service.startPipeline({ application, pipeline: saved.saved.id, trigger: { type: 'manual', user: 'fuzzer' } }, admin);
    if (!started.ok) throw new Error(JSON.stringify(started));
    known.executions.push(started.executionId);
  }
  // The executions that nothing but a successful request may change: complete ones, and those waiting on a judgment.
  for (const id of known.executions) {
    for (let attempt = 0; ; attempt++) {
      const execution = await runtime.store.getExecution(id);
      if (execution && (execution.status === 'SUCCEEDED' || execution.stages.some((stage) => stage.awaitingCallback))) break;
      if (attempt > 400) throw new Error(`execution ${id} neither succeeded nor waits on a judgment: ${JSON.stringify(execution)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    known.stable.push(id);
  }
  const canary = await runtime.canaryConfigs.save('fuzz-canary-id', { name: 'fuzz-canary', applications: ['fuzz'], metrics: [], classifier: { groupWeights: {} } }, { expectRevision: 0 });
  if (!canary.ok) throw new Error(JSON.stringify(canary));
  known.canaryIds.push(canary.id);
});

afterAll(async () => {
  await runtime.close();
  rmSync(work, { recursive: true, force: true });
  const lines = Object.entries(figures).map(([route, statuses]) => `  ${route}: ${JSON.stringify(statuses)}`);
  const total = Object.values(figures).flatMap((statuses) => Object.values(statuses)).reduce((sum, count) => sum + count, 0);
  const overall: Record<number, number> = {};
  for (const statuses of Object.values(figures)) for (const [status, count] of Object.entries(statuses)) overall[Number(status)] = (overall[Number(status)] ?? 0) + count;
  console.log(`fuzzed ${total} requests over ${Object.keys(figures).length} routes; statuses seen: ${JSON.stringify(overall)}\n${lines.join('\n')}`);
});

/**
 * What the store holds, as far as a request can change it and the background cannot:
 * applications (with their revisions), pipeline config versions, the executions that exist,
 * the revisions of those that only a request may move, and the canary configs.
 */
async function snapshot(): Promise<string> {
  const applications = (await runtime.store.listApplications({ limit: 1000 })).items.map((application) => `${application.name}@${application.revision}`).sort();
  const names = new Set([...applications.map((entry) => entry.slice(0, entry.lastIndexOf('@'))), ...APPLICATIONS]);
  const configs: string[] = [];
  const executions: string[] = [];
  for (const name of names) {
    for (const config of await runtime.store.listPipelineConfigs(name)) configs.push(`${config.id}@${config.version}`);
    for (const execution of (await runtime.store.listExecutions({ application: name }, { limit: 1000 })).items) executions.push(execution.id);
  }
  const stable = await Promise.all(known.stable.map(async (id) => `${id}@${(await runtime.store.getExecution(id))?.revision}`));
  const canaries = (await runtime.canaryConfigs.list()).map((config) => JSON.stringify(config)).sort();
  return JSON.stringify({ applications, configs: configs.sort(), executions: executions.sort(), stable, canaries });
}

// -------------------------------------------------------------------------------------------
// Paths and queries

const junkText = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  fc.constantFrom('..', '../..', '.', '%00', '\u0000', '%2F', 'a/b', ' ', '__proto__', 'constructor', '${#stage("x")}', "'; DROP TABLE", '*', '\u202e'),
  fc.integer({ min: 257, max: 5000 }).map((length) => 'n'.repeat(length)),
);

/** Known values of each path parameter, by name; anything else gets junk only. */
function knownValues(name: string): readonly string[] {
  switch (name) {
    case 'application':
      return [...APPLICATIONS, 'FUZZ', 'missing-app'];
    case 'pipelineNameOrId':
      return ['Signed', 'Open', 'Judged', 'Vault', ...known.configIds, 'missing'];
    case 'id':
      return [...known.executions, ...known.canaryIds, 'missing-id'];
    case 'stageId':
      return ['1', '2', 'missing'];
    case 'account':
      return ['local', 'nope'];
    case 'cluster':
      return ['fuzz', 'fuzz-main', 'nope'];
    case 'source':
      return ['signed', 'open', 'github', 'gitlab', 'bitbucket', 'stash', 'nothing'];
    default:
      return [];
  }
}

function pathArbitrary(route: RouteDeclaration): fc.Arbitrary<string> {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
  if (names.length === 0) return fc.constant(route.path);
  const values = names.map((name) => {
    const choices = knownValues(name);
    return choices.length === 0 ? junkText : fc.oneof({ arbitrary: fc.constantFrom(...choices), weight: 3 }, { arbitrary: junkText, weight: 1 });
  });
  return fc.tuple(...values).map((chosen) => names.reduce((path, name, index) => path.replace(`{${name}}`, encodeURIComponent(chosen[index]!)), route.path));
}

function queryArbitrary(route: RouteDeclaration): fc.Arbitrary<string> {
  const names = (route.parameters ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name);
  const value = fc.oneof(fc.constantFrom('1', '10', '0', '-1', '1000', '1001', '1e309', 'true', 'RUNNING,SUCCEEDED', 'NOPE', 'fuzz', 'stop now'), junkText);
  const known = names.map((name) => fc.option(value, { nil: undefined }).map((chosen) => (chosen === undefined ? undefined : `${name}=${encodeURIComponent(chosen)}`)));
  const extra = fc.option(fc.tuple(junkText, junkText).map(([name, chosen]) => `${encodeURIComponent(name)}=${encodeURIComponent(chosen)}`), { nil: undefined });
  return fc.tuple(fc.tuple(...known), extra).map(([parts, more]) => {
    const all = [...parts, more].filter((part): part is string => part !== undefined);
    return all.length === 0 ? '' : `?${all.join('&')}`;
  });
}

// -------------------------------------------------------------------------------------------
// Bodies

const nested = fc.tuple(fc.integer({ min: 0, max: 400 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`);
const longKey = fc.integer({ min: 0, max: 6000 }).map((length) => JSON.stringify({ ['k'.repeat(length)]: 1, branch: 'main' }));
const anyJson = fc.jsonValue({ maxDepth: 3 });
const pipelineShaped = fc
  .record(
    {
      application: fc.oneof(fc.constantFrom(...APPLICATIONS), fc.string({ maxLength: 300 })),
      name: fc.oneof(fc.constantFrom('Signed', 'Fresh', 'Vault'), fc.string({ maxLength: 400 })),
      id: fc.string({ maxLength: 300 }),
      stages: fc.array(fc.dictionary(fc.constantFrom('refId', 'type', 'name', 'waitTime', 'requisiteStageRefIds', 'url', 'command', 'shell', 'propertyFile'), anyJson), { maxLength: 4 }),
      triggers: fc.array(fc.dictionary(fc.constantFrom('type', 'source', 'secret', 'payloadConstraints', 'enabled', 'runAsUser'), fc.jsonValue({ maxDepth: 2 })), { maxLength: 2 }),
      parameterConfig: fc.array(fc.dictionary(fc.constantFrom('name', 'secret', 'default', 'required'), fc.jsonValue({ maxDepth: 1 })), { maxLength: 2 }),
    },
    { requiredKeys: [] },
  )
  .map((document) => JSON.stringify(document));
const applicationShaped = fc
  .record(
    {
      name: fc.oneof(fc.constantFrom(...APPLICATIONS), fc.string({ maxLength: 300 })),
      email: anyJson,
      accounts: anyJson,
      trafficGuards: fc.array(fc.dictionary(fc.constantFrom('account', 'location', 'stack', 'detail', 'enabled'), anyJson), { maxLength: 2 }),
      permissions: fc.oneof(fc.dictionary(fc.constantFrom('READ', 'WRITE', 'EXECUTE', 'read', 'ADMIN'), fc.array(fc.oneof(fc.constantFrom('ops', 'dev'), fc.string()), { maxLength: 3 })), anyJson),
    },
    { requiredKeys: [] },
  )
  .map((document) => JSON.stringify(document));
const judgmentShaped = fc
  .record({ judgmentStatus: fc.oneof(fc.constantFrom('continue', 'stop', 'CONTINUE', ''), fc.string()), judgmentInput: anyJson, skipRemainingWait: anyJson, lastModifiedBy: anyJson }, { requiredKeys: [] })
  .map((document) => JSON.stringify(document));
const startShaped = fc
  .record({ type: fc.oneof(fc.constantFrom('manual', 'webhook', 'pipeline'), fc.string()), user: anyJson, parameters: fc.oneof(fc.dictionary(fc.string({ maxLength: 30 }), anyJson), anyJson), artifacts: anyJson, authentication: anyJson }, { requiredKeys: [] })
  .map((document) => JSON.stringify(document));
const canaryShaped = fc
  .record({ id: fc.string({ maxLength: 60 }), name: fc.oneof(fc.constant('fuzz-canary'), fc.string({ maxLength: 300 })), applications: fc.oneof(fc.array(fc.constantFrom(...APPLICATIONS)), anyJson), metrics: anyJson, classifier: anyJson }, { requiredKeys: [] })
  .map((document) => JSON.stringify(document));
const rollbackShaped = fc
  .record({ account: fc.oneof(fc.constantFrom('local', 'nope'), fc.string()), regions: anyJson, reason: anyJson, serverGroup: anyJson }, { requiredKeys: [] })
  .map((document) => JSON.stringify(document));
const gitShaped = fc
  .record({ ref: fc.constantFrom('refs/heads/main', 'refs/tags/v1', ''), after: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 40 }), repository: fc.record({ name: fc.constantFrom('shop', ''), owner: fc.record({ login: fc.constantFrom('acme', 'x') }) }) })
  .map((document) => JSON.stringify(document));

const body = fc.oneof(
  fc.json({ maxDepth: 6 }),
  fc.string({ maxLength: 200 }),
  nested,
  longKey,
  pipelineShaped,
  applicationShaped,
  judgmentShaped,
  startShaped,
  canaryShaped,
  rollbackShaped,
  gitShaped,
  fc.constant(JSON.stringify({ branch: `${'a'.repeat(40)}!` })),
  fc.integer({ min: 500 * 1024, max: 1100 * 1024 }).map((size) => JSON.stringify({ branch: 'main', pad: 'x'.repeat(size) })),
);

// -------------------------------------------------------------------------------------------
// Headers

const headerChoices = fc.record(
  {
    bearer: fc.oneof({ arbitrary: fc.constant('admin'), weight: 6 }, { arbitrary: fc.constant('user'), weight: 2 }, { arbitrary: fc.constant('junk'), weight: 1 }, { arbitrary: fc.constant('none'), weight: 1 }),
    hubSignature: fc.constantFrom('valid', 'wrong-secret', 'junk', 'sha1-valid'),
    gitlabToken: fc.oneof(fc.constant(SECRET), fc.string({ maxLength: 40 })),
    event: fc.constantFrom('push', 'pull_request', 'Push Hook', 'ping'),
    eventId: fc.string({ maxLength: 600 }),
    contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded'),
    contentLength: fc.oneof({ arbitrary: fc.constant('honest'), weight: 9 }, { arbitrary: fc.constant('huge'), weight: 1 }),
    forwardedFor: fc.oneof(fc.constant('127.0.0.1'), fc.string({ maxLength: 80 })),
  },
  { requiredKeys: ['bearer', 'contentType', 'contentLength'] },
);

function headersFor(choices: Record<string, string | undefined>, raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': choices.contentType! };
  if (choices.bearer === 'admin') headers.authorization = `Bearer ${ADMIN_TOKEN}`;
  if (choices.bearer === 'user') headers.authorization = `Bearer ${USER_TOKEN}`;
  if (choices.bearer === 'junk') headers.authorization = 'Bearer nope';
  if (raw !== undefined) {
    if (choices.hubSignature === 'valid') headers['x-hub-signature-256'] = signBody(SECRET, raw);
    if (choices.hubSignature === 'wrong-secret') headers['x-hub-signature-256'] = signBody('guess', raw);
    if (choices.hubSignature === 'junk') headers['x-hub-signature-256'] = 'sha256=zz';
    if (choices.hubSignature === 'sha1-valid') headers['x-hub-signature'] = signBody(SECRET, raw, 'sha1');
    if (choices.contentLength === 'huge') headers['content-length'] = String(300 * 1024 * 1024);
  }
  if (choices.gitlabToken !== undefined) headers['x-gitlab-token'] = choices.gitlabToken;
  if (choices.event !== undefined) {
    headers['x-github-event'] = choices.event;
    headers['x-gitlab-event'] = choices.event;
  }
  if (choices.eventId !== undefined && choices.eventId !== '') headers['x-event-id'] = encodeURIComponent(choices.eventId);
  if (choices.forwardedFor !== undefined) headers['x-forwarded-for'] = encodeURIComponent(choices.forwardedFor);
  return headers;
}

// -------------------------------------------------------------------------------------------

const routes = ROUTES as readonly RouteDeclaration[];

describe('fuzzing every API route', () => {
  it('covers every route of the table, with every method the app answers', () => {
    expect(routes.length).toBeGreaterThanOrEqual(28);
    expect(new Set(routes.map((route) => `${route.method} ${route.path}`)).size).toBe(routes.length);
  });

  it.each(routes.map((route) => [`${route.method.toUpperCase()} ${route.path}`, route] as const))('%s: never a 500, nothing written on a 4xx', async (label, route) => {
    const statuses: Record<number, number> = {};
    figures[label] = statuses;
    const hasBody = route.method !== 'get';
    await fc.assert(
      fc.asyncProperty(pathArbitrary(route), queryArbitrary(route), hasBody ? body.map((raw): string | undefined => raw) : fc.constant(undefined), headerChoices, async (path, query, raw, choices) => {
        const before = await snapshot();
        const response = await app.request(`${path}${query}`, {
          method: route.method.toUpperCase(),
          headers: headersFor(choices as Record<string, string | undefined>, raw),
          ...(raw !== undefined ? { body: raw } : {}),
        });
        const text = await response.text();
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        expect(response.status, text).toBeLessThan(500);
        expect(faults).toEqual([]);
        if (response.status >= 400) {
          expect(await snapshot(), `${response.status} ${text}`).toBe(before);
          // One line naming what is wrong.
          const error = (JSON.parse(text) as { error?: unknown }).error;
          expect(typeof error, text).toBe('string');
          expect(error as string).not.toContain('\n');
        }
      }),
      { numRuns: HEAVY.has(route.operationId) ? RUNS * 4 : RUNS },
    );
    expect(Object.values(statuses).reduce((sum, count) => sum + count, 0)).toBe(HEAVY.has(route.operationId) ? RUNS * 4 : RUNS);
  });
});
