/**
 * fast-check over the routes that take untrusted bodies — webhooks (generic and git) and
 * pipeline saves — on a real local runtime: generated bodies (any JSON, deep nesting, long keys,
 * junk text, pipeline-shaped documents), signature and token headers (valid, junk, absent) and
 * sources. The API never answers 500 and, when it answers 4xx, writes nothing. Seeded, so a
 * failure replays; the figures (inputs tried, statuses seen) are printed.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBearerAuthenticator } from '../../adapters/crypto/bearer-authenticator.ts';
import { signBody } from '../../adapters/crypto/signature-verifier.ts';
import { createApiApp } from '../../functions/api/app.ts';
import { createLocalRuntime, type LocalRuntime } from '../../local/wiring.ts';

const TOKEN = 'fuzz-token-0123456789abcdef';
const SECRET = 'fuzz-secret';
const APPLICATIONS = ['fuzz', 'other'];

let runtime: LocalRuntime;
let app: ReturnType<typeof createApiApp>;
const faults: string[] = [];

beforeAll(async () => {
  runtime = await createLocalRuntime({ retryDelayMs: 1 });
  app = createApiApp({
    service: runtime.service,
    store: runtime.store,
    clock: { now: () => Date.now() },
    auth: createBearerAuthenticator({ token: TOKEN }),
    log: ({ level, message }) => void (level === 'error' ? faults.push(message) : undefined),
  });
  const stage = [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Wait', waitTime: 0 }];
  for (const [name, triggers] of [
    ['Signed', [{ type: 'webhook', source: 'signed', secret: SECRET, payloadConstraints: { branch: '^(a+)+$' } }]],
    ['Open', [{ type: 'webhook', source: 'open' }]],
    ['Git', [{ type: 'git', source: 'github', project: 'acme', slug: 'shop', branch: 'main', secret: SECRET }]],
    ['Gitlab', [{ type: 'git', source: 'gitlab', project: 'acme', slug: 'shop', secret: SECRET }]],
  ] as const) {
    const saved = await runtime.service.savePipeline({ config: { application: 'fuzz', name, triggers, stages: stage } }, { user: 'test', roles: [] });
    if (!saved.ok) throw new Error(JSON.stringify(saved));
  }
});

afterAll(async () => {
  await runtime.idle();
  await runtime.close();
});

/** What the store holds, as far as these routes can change it. */
async function snapshot(): Promise<string> {
  const applications = (await runtime.store.listApplications({ limit: 1000 })).items.map((application) => application.name).sort();
  const counts: Record<string, [number, number]> = {};
  for (const name of new Set([...applications, ...APPLICATIONS])) {
    const configs = await runtime.store.listPipelineConfigs(name);
    const executions = await runtime.store.listExecutions({ application: name }, { limit: 1000 });
    counts[name] = [configs.reduce((sum, config) => sum + config.version, 0), executions.items.length];
  }
  return JSON.stringify({ applications, counts });
}

const nested = fc.tuple(fc.integer({ min: 0, max: 400 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`);
const longKey = fc.integer({ min: 0, max: 6000 }).map((length) => JSON.stringify({ ['k'.repeat(length)]: 1, branch: 'main' }));
const pipelineShaped = fc
  .record(
    {
      application: fc.oneof(fc.constantFrom(...APPLICATIONS), fc.string({ maxLength: 300 })),
      name: fc.oneof(fc.constantFrom('Signed', 'Fresh'), fc.string({ maxLength: 400 })),
      id: fc.string({ maxLength: 300 }),
      stages: fc.array(fc.dictionary(fc.constantFrom('refId', 'type', 'name', 'waitTime', 'requisiteStageRefIds', 'url', 'command'), fc.jsonValue({ maxDepth: 3 })), { maxLength: 4 }),
      triggers: fc.array(fc.dictionary(fc.constantFrom('type', 'source', 'secret', 'payloadConstraints', 'enabled'), fc.jsonValue({ maxDepth: 2 })), { maxLength: 2 }),
    },
    { requiredKeys: [] },
  )
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
  gitShaped,
  fc.constant(JSON.stringify({ branch: `${'a'.repeat(40)}!` })),
  fc.integer({ min: 500 * 1024, max: 1100 * 1024 }).map((size) => JSON.stringify({ branch: 'main', pad: 'x'.repeat(size) })),
);

const route = fc.oneof(
  fc.constantFrom('/pipelines'),
  fc.oneof(fc.constantFrom('signed', 'open', 'nothing'), fc.string({ minLength: 1, maxLength: 300 })).map((source) => `/webhooks/webhook/${encodeURIComponent(source)}`),
  fc.oneof(fc.constantFrom('github', 'gitlab', 'bitbucket', 'stash'), fc.string({ minLength: 1, maxLength: 40 })).map((source) => `/webhooks/git/${encodeURIComponent(source)}`),
);

const headerChoices = fc.record(
  {
    bearer: fc.oneof({ arbitrary: fc.constant('valid'), weight: 4 }, { arbitrary: fc.constant('junk'), weight: 1 }),
    hubSignature: fc.constantFrom('valid', 'wrong-secret', 'junk', 'sha1-valid'),
    gitlabToken: fc.oneof(fc.constant(SECRET), fc.string({ maxLength: 40 })),
    event: fc.constantFrom('push', 'pull_request', 'Push Hook', 'ping'),
    eventId: fc.string({ maxLength: 600 }),
    contentType: fc.constantFrom('application/json', 'application/json', 'text/plain'),
    contentLength: fc.oneof({ arbitrary: fc.constant('honest'), weight: 9 }, { arbitrary: fc.constant('huge'), weight: 1 }),
  },
  { requiredKeys: ['contentType', 'contentLength'] },
);

function headersFor(choices: Record<string, string | undefined>, raw: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': choices.contentType! };
  if (choices.bearer === 'valid') headers.authorization = `Bearer ${TOKEN}`;
  if (choices.bearer === 'junk') headers.authorization = 'Bearer nope';
  if (choices.hubSignature === 'valid') headers['x-hub-signature-256'] = signBody(SECRET, raw);
  if (choices.hubSignature === 'wrong-secret') headers['x-hub-signature-256'] = signBody('guess', raw);
  if (choices.hubSignature === 'junk') headers['x-hub-signature-256'] = 'sha256=zz';
  if (choices.hubSignature === 'sha1-valid') headers['x-hub-signature'] = signBody(SECRET, raw, 'sha1');
  if (choices.gitlabToken !== undefined) headers['x-gitlab-token'] = choices.gitlabToken;
  if (choices.event !== undefined) {
    headers['x-github-event'] = choices.event;
    headers['x-gitlab-event'] = choices.event;
  }
  if (choices.eventId !== undefined && choices.eventId !== '') headers['x-event-id'] = encodeURIComponent(choices.eventId);
  if (choices.contentLength === 'huge') headers['content-length'] = String(300 * 1024 * 1024);
  return headers;
}

describe('fuzzing the webhook and pipeline routes', () => {
  it('never answers 500 and writes nothing on a 4xx', { timeout: 600_000 }, async () => {
    const statuses: Record<number, number> = {};
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(route, body, headerChoices, async (path, raw, choices) => {
        tried += 1;
        const before = await snapshot();
        const response = await app.request(path, { method: 'POST', headers: headersFor(choices as Record<string, string | undefined>, raw), body: raw });
        const text = await response.text();
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        expect(response.status, text).not.toBe(500);
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) {
          await runtime.idle();
          expect(await snapshot(), `${response.status} ${text}`).toBe(before);
          // One line naming what is wrong.
          expect((JSON.parse(text) as { error: string }).error).not.toContain('\n');
        }
        await runtime.idle();
      }),
      { seed: 1414, numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
    // The figures, for the record.
    console.log(`fuzzed ${tried} requests; statuses seen: ${JSON.stringify(statuses)}`);
    expect(faults).toEqual([]);
    expect(Object.keys(statuses).length).toBeGreaterThanOrEqual(4);
  });
});
