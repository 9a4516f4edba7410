/**
 * A webhook delivery reads only the pipelines filed under its trigger key: with many saved
 * pipelines in many applications, a delivery lists no application and no application's
 * pipelines, and reads one pipeline config per candidate. The store underneath is the real one;
 * the wrapper only counts the calls the API makes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBearerAuthenticator } from '../../adapters/crypto/bearer-authenticator.ts';
import type { ExecutionStore } from '../../core/ports/execution-store.ts';
import { createApiApp } from '../../functions/api/app.ts';
import { createLocalRuntime, type LocalRuntime } from '../../local/wiring.ts';

const TOKEN = 'index-token-0123456789abcdef';
let runtime: LocalRuntime;
const calls: Record<string, number> = {};

function counting(store: ExecutionStore): ExecutionStore {
  const counted = { ...store };
  for (const name of ['listApplications', 'listPipelineConfigs', 'getPipelineConfig', 'listPipelineConfigsByTrigger'] as const) {
    const original = store[name].bind(store) as (...args: unknown[]) => unknown;
    (counted as Record<string, unknown>)[name] = (...args: unknown[]) => {
      calls[name] = (calls[name] ?? 0) + 1;
      return original(...args);
    };
  }
  return counted;
}

beforeAll(async () => {
  runtime = await createLocalRuntime({ retryDelayMs: 1 });
});

afterAll(async () => {
  await runtime.idle();
  await runtime.close();
});

describe('the trigger index', () => {
  it('lets a webhook read only the pipelines filed under its source', async () => {
    // given: 40 pipelines in 8 applications with other triggers, and one hooked pipeline
    const stages = [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Wait', waitTime: 0 }];
    for (let i = 0; i < 40; i++) {
      const application = `other${i % 8}`;
      await runtime.store.saveApplication({ name: application, accounts: [], trafficGuards: [], permissions: {}, raw: { name: application } }).catch(() => undefined);
      const saved = await runtime.service.savePipeline({ config: { application, name: `P${i}`, triggers: [{ type: 'webhook', source: `source-${i}` }], stages } }, { user: 'test', roles: [] });
      expect(saved.ok).toBe(true);
    }
    const hooked = await runtime.service.savePipeline({ config: { application: 'indexed', name: 'Hooked', triggers: [{ type: 'webhook', source: 'the-one' }], stages } }, { user: 'test', roles: [] });
    expect(hooked.ok).toBe(true);
    const app = createApiApp({ service: runtime.service, store: counting(runtime.store), clock: { now: () => Date.now() }, auth: createBearerAuthenticator({ token: TOKEN }) });

    // when
    const response = await app.request('/webhooks/webhook/the-one', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' });

    // then: it started the hooked pipeline, reading one key and no listing
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { executions: Array<{ pipelineName: string }> };
    expect(answer.executions.map((execution) => execution.pipelineName)).toEqual(['Hooked']);
    expect(calls).toEqual({ listPipelineConfigsByTrigger: 1 });
  });
});
