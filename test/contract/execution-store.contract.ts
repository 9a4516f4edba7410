/**
 * The ExecutionStore contract (core/ports/execution-store.ts): what every implementation must
 * do, run against each of them. `test/integration/dynamodb-store.test.ts` runs it on dynalite;
 * an in-memory fake, or DynamoDB itself when credentials are present, runs the same suite.
 *
 * Every test uses its own ids, so one store (one table) serves the whole suite.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createSeededRandom } from '../../core/canary/random.ts';
import { EXECUTION_STATUSES, isComplete } from '../../core/execution/status.ts';
import type { Clock } from '../../core/ports/clock.ts';
import {
  STORE_LIMITS,
  type ApplicationInput,
  type ExecutionStore,
  type NewExecution,
  type NewStage,
} from '../../core/ports/execution-store.ts';

/** A clock moved by hand. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
}

export function createManualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

const COMPLETE_STATUSES = EXECUTION_STATUSES.filter(isComplete);
const INCOMPLETE_STATUSES = EXECUTION_STATUSES.filter((status) => !isComplete(status));

/** Retries an assertion for a moment: listings read indexes that lag writes on DynamoDB. */
function eventually(assertion: () => Promise<void>): Promise<void> {
  return vi.waitFor(assertion, { timeout: 5_000, interval: 100 });
}

/** A string of `bytes` ASCII characters, for size limits. */
function blob(bytes: number): string {
  return 'x'.repeat(bytes);
}

/**
 * Registers the contract suite. `createStore` is called once, in `beforeAll`, with the clock
 * the suite moves; it may rely on the caller's own `beforeAll` hooks having run.
 */
export function executionStoreContract(name: string, createStore: (clock: ManualClock) => Promise<ExecutionStore>): void {
  describe(`ExecutionStore contract: ${name}`, () => {
    const clock = createManualClock();
    let store: ExecutionStore;
    const run = randomUUID().slice(0, 8);
    let counter = 0;
    /** A fresh id for this test: nothing else in the table shares it. */
    const id = (prefix: string) => `${prefix}-${run}-${++counter}`;

    beforeAll(async () => {
      store = await createStore(clock);
    });

    function application(name: string, overrides: Partial<ApplicationInput> = {}): ApplicationInput {
      return {
        name,
        email: 'team@example.com',
        accounts: ['prod', 'staging'],
        trafficGuards: [{ account: 'prod', location: 'us-east-1', stack: 'main', enabled: true }],
        permissions: { READ: ['team'], WRITE: ['team'], EXECUTE: ['team', 'release-bot'] },
        raw: { name, cloudProviders: 'aws', customAttribute: { nested: [1, 2, 3] } },
        ...overrides,
      };
    }

    function stages(count: number): NewStage[] {
      return Array.from({ length: count }, (_, i) => ({
        id: `stage-${i + 1}`,
        refId: String(i + 1),
        type: i === 0 ? 'wait' : 'deploy',
        name: `Stage ${i + 1}`,
        requisiteStageRefIds: i === 0 ? [] : [String(i)],
        context: { waitTime: 30, clusters: [{ account: 'prod', region: 'us-east-1' }] },
      }));
    }

    function newExecution(overrides: Partial<NewExecution> = {}): NewExecution {
      return {
        id: id('exec'),
        application: 'shop',
        pipelineConfigId: id('pipe'),
        pipelineVersion: 1,
        name: 'Deploy to prod',
        buildTime: clock.now(),
        trigger: { type: 'manual', user: 'ada@example.com', parameters: { version: '1.2.3' } },
        parameters: { version: '1.2.3' },
        limitConcurrent: true,
        keepWaitingPipelines: false,
        maxConcurrentExecutions: 0,
        origin: 'api',
        stages: stages(3),
        ...overrides,
      };
    }

    async function created(overrides: Partial<NewExecution> = {}) {
      const result = await store.createExecution(newExecution(overrides));
      if (!result.ok) throw new Error(`could not create the execution: ${result.reason}`);
      return result.execution;
    }

    describe('applications', () => {
      it('saves an application and reads it back by name, in any case', async () => {
        // given
        const name = id('Shop');

        // when
        const saved = await store.saveApplication(application(name));

        // then
        expect(saved.ok).toBe(true);
        const read = await store.getApplication(name.toUpperCase());
        expect(read).toMatchObject({
          name,
          email: 'team@example.com',
          accounts: ['prod', 'staging'],
          trafficGuards: [{ account: 'prod', location: 'us-east-1', stack: 'main', enabled: true }],
          permissions: { EXECUTE: ['team', 'release-bot'] },
          raw: { customAttribute: { nested: [1, 2, 3] } },
          revision: 1,
        });
      });

      it('counts revisions and keeps the creation time across saves', async () => {
        const name = id('app');
        await store.saveApplication(application(name));
        const createdAt = (await store.getApplication(name))!.createdAt;
        clock.advance(1000);

        const second = await store.saveApplication(application(name, { email: 'new@example.com' }));

        expect(second).toMatchObject({ ok: true, application: { revision: 2, createdAt, updatedAt: createdAt + 1000, email: 'new@example.com' } });
      });

      it('refuses a save whose expected revision is stale', async () => {
        const name = id('app');
        await store.saveApplication(application(name), { expectRevision: 0 });
        await store.saveApplication(application(name), { expectRevision: 1 });

        const stale = await store.saveApplication(application(name), { expectRevision: 1 });
        const notNew = await store.saveApplication(application(name), { expectRevision: 0 });

        expect(stale).toEqual({ ok: false, reason: 'conflict', revision: 2 });
        expect(notNew).toEqual({ ok: false, reason: 'conflict', revision: 2 });
      });

      it('lists applications by name, page by page', async () => {
        const names = [id('list-c'), id('list-a'), id('list-b')];
        for (const name of names) await store.saveApplication(application(name));

        await eventually(async () => {
          const seen: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await store.listApplications({ limit: 2, ...(cursor === undefined ? {} : { cursor }) });
            expect(page.items.length).toBeLessThanOrEqual(2);
            seen.push(...page.items.map((a) => a.name));
            cursor = page.cursor;
          } while (cursor !== undefined);

          expect(seen.filter((n) => names.includes(n))).toEqual([...names].sort());
        });
      });
    });

    describe('pipeline configs', () => {
      const pipeline = (pipelineId: string, app: string, name: string, extra: Record<string, unknown> = {}) => ({
        id: pipelineId,
        application: app,
        name,
        config: { id: pipelineId, application: app, name, stages: [{ refId: '1', type: 'wait', waitTime: 5 }], ...extra },
        savedBy: 'ada@example.com',
      });

      it('keeps every saved version and points latest at the newest', async () => {
        const pipelineId = id('pipe');
        const app = id('app');
        for (const waitTime of [1, 2, 3]) {
          const saved = await store.savePipelineConfig(pipeline(pipelineId, app, 'Release', { waitTime }));
          expect(saved).toMatchObject({ ok: true, saved: { version: waitTime } });
        }

        expect(await store.getPipelineConfig(pipelineId)).toMatchObject({ version: 3, config: { waitTime: 3 }, savedBy: 'ada@example.com' });
        expect(await store.getPipelineConfig(pipelineId, 1)).toMatchObject({ version: 1, config: { waitTime: 1 } });
        expect(await store.getPipelineConfig(pipelineId, 4)).toBeUndefined();
      });

      it('lists versions newest first, page by page', async () => {
        const pipelineId = id('pipe');
        const app = id('app');
        for (let i = 0; i < 5; i++) await store.savePipelineConfig(pipeline(pipelineId, app, 'Release'));

        const first = await store.listPipelineConfigVersions(pipelineId, { limit: 3 });
        const rest = await store.listPipelineConfigVersions(pipelineId, { limit: 3, cursor: first.cursor! });

        expect(first.items.map((v) => v.version)).toEqual([5, 4, 3]);
        expect(rest.items.map((v) => v.version)).toEqual([2, 1]);
        expect(rest.cursor).toBeUndefined();
      });

      it('files webhook and git triggers under their keys, and drops a pipeline from a key its latest version no longer has', async () => {
        // given
        const source = id('source');
        const hooked = id('pipe');
        const pushed = id('pipe');
        const app = id('app');
        await store.savePipelineConfig(pipeline(hooked, app, 'Hooked', { triggers: [{ type: 'webhook', source }] }));
        await store.savePipelineConfig(pipeline(pushed, app, 'Pushed', { triggers: [{ type: 'git', source: 'GitHub', project: 'p', slug: 's' }, { type: 'webhook', source }] }));
        await store.savePipelineConfig(pipeline(id('pipe'), app, 'Plain'));

        // then
        expect((await store.listPipelineConfigsByTrigger(`webhook:${source}`)).map((v) => v.id).sort()).toEqual([hooked, pushed].sort());
        expect((await store.listPipelineConfigsByTrigger('git:github')).map((v) => v.id)).toContain(pushed);
        expect(await store.listPipelineConfigsByTrigger(`webhook:${source}-other`)).toEqual([]);

        // when: a new version moves the webhook elsewhere
        await store.savePipelineConfig(pipeline(hooked, app, 'Hooked', { triggers: [{ type: 'webhook', source: `${source}-moved` }] }));

        // then: listed under the new key only, at its latest version
        expect((await store.listPipelineConfigsByTrigger(`webhook:${source}`)).map((v) => v.id)).toEqual([pushed]);
        expect(await store.listPipelineConfigsByTrigger(`webhook:${source}-moved`)).toMatchObject([{ id: hooked, version: 2 }]);
      });

      it('finds a pipeline by name within its application, in any case', async () => {
        const pipelineId = id('pipe');
        const app = id('app');
        await store.savePipelineConfig(pipeline(pipelineId, app, 'Deploy To Prod'));

        expect(await store.getPipelineConfigByName(app.toUpperCase(), 'deploy to prod')).toMatchObject({ id: pipelineId, name: 'Deploy To Prod' });
        expect(await store.getPipelineConfigByName(app, 'Other')).toBeUndefined();
        expect(await store.getPipelineConfigByName(id('other-app'), 'Deploy To Prod')).toBeUndefined();
      });

      it('deletes a pipeline from every read, frees its name, keeps its versions, and answers false the second time', async () => {
        // given
        const app = id('app');
        const source = id('source');
        const pipelineId = id('pipe');
        await store.savePipelineConfig(pipeline(pipelineId, app, 'Release', { triggers: [{ type: 'webhook', source }] }));
        await store.savePipelineConfig(pipeline(pipelineId, app, 'Release', { triggers: [{ type: 'webhook', source }] }));
        const kept = id('pipe');
        await store.savePipelineConfig(pipeline(kept, app, 'Kept'));

        // when
        const first = await store.deletePipelineConfig(pipelineId);
        const second = await store.deletePipelineConfig(pipelineId);

        // then
        expect([first, second]).toEqual([true, false]);
        expect(await store.getPipelineConfig(pipelineId)).toBeUndefined();
        expect(await store.getPipelineConfigByName(app, 'Release')).toBeUndefined();
        expect((await store.listPipelineConfigs(app)).map((version) => version.id)).toEqual([kept]);
        expect(await store.listPipelineConfigsByTrigger(`webhook:${source}`)).toEqual([]);
        expect((await store.listPipelineConfigVersions(pipelineId)).items.map((version) => version.version)).toEqual([2, 1]);
        // The name is free for another pipeline at once; the same id saved again continues its numbering.
        const other = await store.savePipelineConfig(pipeline(id('pipe'), app, 'release'));
        expect(other).toMatchObject({ ok: true, saved: { version: 1 } });
        expect(await store.deletePipelineConfig(id('never-saved'))).toBe(false);
      });

      it('refuses a second pipeline with the same name in one application', async () => {
        const app = id('app');
        const first = id('pipe');
        await store.savePipelineConfig(pipeline(first, app, 'Release'));

        const second = await store.savePipelineConfig(pipeline(id('pipe'), app, 'RELEASE'));

        expect(second).toEqual({ ok: false, reason: 'name-taken', pipelineConfigId: first });
      });

      it('frees the old name when a pipeline is renamed', async () => {
        const app = id('app');
        const pipelineId = id('pipe');
        await store.savePipelineConfig(pipeline(pipelineId, app, 'Old name'));

        await store.savePipelineConfig(pipeline(pipelineId, app, 'New name'));
        const reuse = await store.savePipelineConfig(pipeline(id('pipe'), app, 'Old name'));

        expect(await store.getPipelineConfigByName(app, 'New name')).toMatchObject({ id: pipelineId, version: 2 });
        expect(reuse).toMatchObject({ ok: true, saved: { version: 1 } });
      });

      it('refuses a save whose expected version is stale', async () => {
        const pipelineId = id('pipe');
        const app = id('app');
        await store.savePipelineConfig(pipeline(pipelineId, app, 'Release'), { expectVersion: 0 });
        await store.savePipelineConfig(pipeline(pipelineId, app, 'Release'), { expectVersion: 1 });

        const stale = await store.savePipelineConfig(pipeline(pipelineId, app, 'Release'), { expectVersion: 1 });

        expect(stale).toEqual({ ok: false, reason: 'conflict', currentVersion: 2 });
      });

      it('gives concurrent saves distinct, consecutive versions', async () => {
        const pipelineId = id('pipe');
        const app = id('app');

        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.savePipelineConfig(pipeline(pipelineId, app, 'Release', { writer: i }))),
        );

        const versions = results.map((r) => (r.ok ? r.saved.version : -1)).sort((a, b) => a - b);
        expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect((await store.getPipelineConfig(pipelineId))?.version).toBe(8);
      });

      it("lists an application's pipelines at their latest versions, by name", async () => {
        const app = id('app');
        const [a, b] = [id('pipe'), id('pipe')];
        await store.savePipelineConfig(pipeline(b, app, 'Beta'));
        await store.savePipelineConfig(pipeline(a, app, 'Alpha'));
        await store.savePipelineConfig(pipeline(a, app, 'Alpha', { edited: true }));

        await eventually(async () => {
          const listed = await store.listPipelineConfigs(app);

          expect(listed.map((p) => [p.name, p.version])).toEqual([
            ['Alpha', 2],
            ['Beta', 1],
          ]);
        });
      });

      it('refuses a pipeline config over the size limit', async () => {
        const result = await store.savePipelineConfig(
          pipeline(id('pipe'), id('app'), 'Huge', { description: blob(STORE_LIMITS.maxRecordBytes) }),
        );

        expect(result).toMatchObject({ ok: false, reason: 'too-large', limit: STORE_LIMITS.maxRecordBytes });
        expect(result.ok === false && result.reason === 'too-large' && result.message).toContain("pipeline 'Huge'");
      });
    });

    describe('executions', () => {
      it('creates an execution with one record per stage and reads it back in stage order', async () => {
        const input = newExecution({ stages: stages(12) });

        const result = await store.createExecution(input);
        const read = await store.getExecution(input.id);

        expect(result.ok).toBe(true);
        expect(read).toMatchObject({
          id: input.id,
          application: 'shop',
          pipelineConfigId: input.pipelineConfigId,
          pipelineVersion: 1,
          status: 'NOT_STARTED',
          trigger: input.trigger,
          parameters: { version: '1.2.3' },
          canceled: false,
          limitConcurrent: true,
          keepWaitingPipelines: false,
          maxConcurrentExecutions: 0,
          origin: 'api',
          revision: 0,
        });
        expect(read?.stages.map((s) => s.refId)).toEqual(input.stages.map((s) => s.refId));
        expect(read?.stages[1]).toMatchObject({
          id: 'stage-2',
          type: 'deploy',
          name: 'Stage 2',
          requisiteStageRefIds: ['1'],
          status: 'NOT_STARTED',
          context: { waitTime: 30 },
          outputs: {},
          runtime: {},
          awaitingCallback: false,
          revision: 0,
        });
      });

      it('creates an execution from a fresh id exactly as from any other id, over many stages', async () => {
        const input = newExecution({ stages: stages(60), freshId: true });

        const result = await store.createExecution(input);
        const read = await store.getExecution(input.id);

        expect(result.ok).toBe(true);
        expect(read).toEqual(result.ok ? result.execution : undefined);
        expect(read?.stages.map((s) => s.id)).toEqual(input.stages.map((s) => s.id));
        expect(read?.stages[59]).toMatchObject({ refId: '60', status: 'NOT_STARTED', context: { waitTime: 30 }, revision: 0 });
      });

      it('answers exists for a fresh-id creation whose header exists, changing nothing', async () => {
        const execution = await created();
        await store.updateStage(execution.id, 'stage-1', { expect: ['NOT_STARTED'], set: { status: 'RUNNING' } });

        const again = await store.createExecution(newExecution({ id: execution.id, name: 'Another', freshId: true }));

        expect(again).toMatchObject({ ok: false, reason: 'exists', existing: { id: execution.id, name: 'Deploy to prod' } });
        expect((await store.getStage(execution.id, 'stage-1'))?.status).toBe('RUNNING');
      });

      it('reads the header and only the stages asked for, fresh and in stage order', async () => {
        // given an execution whose header and stages moved after creation
        const execution = await created({ stages: stages(5) });
        await store.updateExecution(execution.id, { expect: ['NOT_STARTED'], set: { status: 'RUNNING', canceled: true } });
        await store.updateStage(execution.id, 'stage-4', { expect: ['NOT_STARTED'], set: { status: 'RUNNING', context: { note: 'moved' } } });

        // when
        const part = await store.getExecutionPart(execution.id, ['stage-4', 'stage-2', 'stage-4', 'stage-99']);
        const whole = await store.getExecution(execution.id);

        // then
        expect(part?.header).toMatchObject({ id: execution.id, status: 'RUNNING', canceled: true, revision: 1 });
        expect(part?.stages.map((s) => s.id)).toEqual(['stage-2', 'stage-4']);
        expect(part?.stages[1]).toEqual(whole?.stages[3]);
        expect(part?.stages[1]).toMatchObject({ status: 'RUNNING', context: { note: 'moved' }, revision: 1 });
        const { stages: _all, ...header } = whole!;
        expect(part?.header).toEqual(header);
      });

      it('reads only the header when no stage is asked for, and nothing for an execution that does not exist', async () => {
        const execution = await created();

        expect(await store.getExecutionPart(execution.id, [])).toMatchObject({ header: { id: execution.id }, stages: [] });
        expect(await store.getExecutionPart(id('missing'), ['stage-1'])).toBeUndefined();
      });

      it('reads more stages than one batch holds', async () => {
        const execution = await created({ stages: stages(130), freshId: true });

        const part = await store.getExecutionPart(execution.id, execution.stages.map((s) => s.id));

        expect(part?.stages.map((s) => s.id)).toEqual(execution.stages.map((s) => s.id));
      });

      it('keeps documents exactly, including what DynamoDB maps cannot hold', async () => {
        const context = { empty: '', emptyList: [], deep: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`), big: 12345678901234567, unicode: 'déployé ✓' };
        const execution = await created({ stages: [{ ...stages(1)[0]!, context }] });

        expect((await store.getExecution(execution.id))?.stages[0]?.context).toEqual(JSON.parse(JSON.stringify(context)));
      });

      it('answers exists for a second creation with the same id, changing nothing', async () => {
        const execution = await created();
        await store.updateStage(execution.id, 'stage-1', { expect: ['NOT_STARTED'], set: { status: 'RUNNING' } });

        const again = await store.createExecution(newExecution({ id: execution.id, name: 'Another' }));

        expect(again).toMatchObject({ ok: false, reason: 'exists', existing: { id: execution.id, name: 'Deploy to prod' } });
        expect((await store.getStage(execution.id, 'stage-1'))?.status).toBe('RUNNING');
      });

      it('answers undefined for an execution or stage that does not exist', async () => {
        const execution = await created();

        expect(await store.getExecution(id('missing'))).toBeUndefined();
        expect(await store.getStage(execution.id, 'stage-99')).toBeUndefined();
      });

      it('lists the executions of an application and of a pipeline config, newest first, page by page', async () => {
        const app = id('app');
        const pipelineId = id('pipe');
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          clock.advance(1000);
          ids.push((await created({ application: app, pipelineConfigId: i < 4 ? pipelineId : id('pipe'), buildTime: clock.now() })).id);
        }

        await eventually(async () => {
          const firstPage = await store.listExecutions({ application: app }, { limit: 3 });
          const secondPage = await store.listExecutions({ application: app }, { limit: 3, cursor: firstPage.cursor! });
          const ofPipeline = await store.listExecutions({ pipelineConfigId: pipelineId });

          expect([...firstPage.items, ...secondPage.items].map((e) => e.id)).toEqual([...ids].reverse());
          expect(secondPage.cursor).toBeUndefined();
          expect(ofPipeline.items.map((e) => e.id)).toEqual(ids.slice(0, 4).reverse());
        });
      });

      it('filters a listing by status', async () => {
        const pipelineId = id('pipe');
        const running = await created({ pipelineConfigId: pipelineId });
        await created({ pipelineConfigId: pipelineId });
        await store.updateExecution(running.id, { expect: ['NOT_STARTED'], set: { status: 'RUNNING' } });

        await eventually(async () => {
          const listed = await store.listExecutions({ pipelineConfigId: pipelineId, statuses: ['RUNNING', 'PAUSED'] }, { limit: 1 });

          expect(listed.items.map((e) => e.id)).toEqual([running.id]);
        });
      });

      it('deletes a complete execution and its stages, refuses one still running, and answers not-found after', async () => {
        // given
        const pipelineId = id('pipe');
        const done = await created({ pipelineConfigId: pipelineId });
        const running = await created({ pipelineConfigId: pipelineId });
        await store.updateExecution(done.id, { expect: ['NOT_STARTED'], set: { status: 'SUCCEEDED', endTime: clock.now() } });
        await store.updateExecution(running.id, { expect: ['NOT_STARTED'], set: { status: 'RUNNING' } });

        // when
        const deleted = await store.deleteExecution(done.id);
        const again = await store.deleteExecution(done.id);
        const refused = await store.deleteExecution(running.id);

        // then
        expect([deleted, again]).toEqual([{ ok: true }, { ok: false, reason: 'not-found' }]);
        expect(refused).toMatchObject({ ok: false, reason: 'conflict', current: 'RUNNING' });
        expect(await store.getExecution(done.id)).toBeUndefined();
        expect(await store.getStage(done.id, done.stages[0]!.id)).toBeUndefined();
        expect(await store.getExecution(running.id)).toMatchObject({ status: 'RUNNING' });
        await eventually(async () => {
          const listed = await store.listExecutions({ pipelineConfigId: pipelineId }, { limit: 10 });
          expect(listed.items.map((e) => e.id)).toEqual([running.id]);
        });
      });

      it('moves a status forward when the current status is the expected one', async () => {
        const execution = await created();
        clock.advance(5);

        const started = await store.updateExecution(execution.id, { expect: ['NOT_STARTED'], set: { status: 'RUNNING', startTime: clock.now() } });

        expect(started).toMatchObject({ ok: true, value: { status: 'RUNNING', startTime: clock.now(), revision: 1, lastModified: clock.now() } });
      });

      it('reports a lost race as a conflict carrying the current status', async () => {
        const execution = await created();

        const results = await Promise.all(
          Array.from({ length: 10 }, () => store.updateExecution(execution.id, { expect: ['NOT_STARTED'], set: { status: 'RUNNING' } })),
        );

        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok)).toEqual(Array(9).fill({ ok: false, reason: 'conflict', current: 'RUNNING', revision: 1 }));
      });

      it('lets exactly one of many concurrent writers move a stage', async () => {
        const execution = await created();

        const results = await Promise.all(
          (['RUNNING', 'SKIPPED', 'CANCELED', 'RUNNING', 'TERMINAL'] as const).map((status) =>
            store.updateStage(execution.id, 'stage-3', { expect: ['NOT_STARTED'], set: { status } }),
          ),
        );

        const winners = results.filter((r) => r.ok);
        expect(winners).toHaveLength(1);
        const final = (await store.getStage(execution.id, 'stage-3'))!;
        expect(winners[0]).toMatchObject({ value: { status: final.status, revision: 1 } });
        expect(results.filter((r) => !r.ok)).toEqual(Array(4).fill({ ok: false, reason: 'conflict', current: final.status, revision: 1 }));
      });

      it('never changes a terminal status', async () => {
        // given an execution that ended TERMINAL
        const execution = await created();
        await store.updateExecution(execution.id, { expect: ['NOT_STARTED'], set: { status: 'RUNNING' } });
        await store.updateExecution(execution.id, { expect: ['RUNNING'], set: { status: 'TERMINAL', endTime: clock.now() } });

        // when anything tries to change it, even expecting every status
        const attempts = await Promise.all([
          store.updateExecution(execution.id, { expect: [...EXECUTION_STATUSES], set: { status: 'RUNNING' } }),
          store.updateExecution(execution.id, { expect: ['TERMINAL'], set: { status: 'SUCCEEDED' } }),
          store.updateExecution(execution.id, { expect: ['TERMINAL'], set: { canceled: true, canceledBy: 'ada' } }),
        ]);

        // then nothing changed
        for (const attempt of attempts) expect(attempt).toEqual({ ok: false, reason: 'conflict', current: 'TERMINAL', revision: 2 });
        expect(await store.getExecution(execution.id)).toMatchObject({ status: 'TERMINAL', canceled: false, revision: 2 });
      });

      it.each(COMPLETE_STATUSES)('never changes a stage once it is %s', async (status) => {
        const execution = await created();
        await store.updateStage(execution.id, 'stage-1', { expect: ['NOT_STARTED'], set: { status } });

        const attempts = await Promise.all(
          INCOMPLETE_STATUSES.concat(COMPLETE_STATUSES).map((to) =>
            store.updateStage(execution.id, 'stage-1', { expect: [...EXECUTION_STATUSES], set: { status: to, outputs: { late: true } } }),
          ),
        );

        expect(attempts.every((a) => !a.ok && a.reason === 'conflict' && a.current === status)).toBe(true);
        expect(await store.getStage(execution.id, 'stage-1')).toMatchObject({ status, outputs: {} });
      });

      it('answers not-found when updating an execution or stage that does not exist', async () => {
        const execution = await created();

        expect(await store.updateExecution(id('missing'), { expect: ['RUNNING'], set: { status: 'SUCCEEDED' } })).toEqual({ ok: false, reason: 'not-found' });
        expect(await store.updateStage(execution.id, 'stage-99', { expect: ['RUNNING'], set: { status: 'SUCCEEDED' } })).toEqual({
          ok: false,
          reason: 'not-found',
        });
      });

      it('honours an expected revision, so read-modify-write loses no update', async () => {
        const execution = await created();
        const stage = (await store.getStage(execution.id, 'stage-1'))!;

        const first = await store.updateStage(execution.id, 'stage-1', { expect: ['NOT_STARTED'], expectRevision: stage.revision, set: { runtime: { polls: 1 } } });
        const second = await store.updateStage(execution.id, 'stage-1', { expect: ['NOT_STARTED'], expectRevision: stage.revision, set: { runtime: { polls: 1 } } });

        expect(first).toMatchObject({ ok: true, value: { revision: 1, runtime: { polls: 1 } } });
        expect(second).toEqual({ ok: false, reason: 'conflict', current: 'NOT_STARTED', revision: 1 });
      });

      it('records a cancellation and pause details on the header', async () => {
        const execution = await created();
        await store.updateExecution(execution.id, { expect: ['NOT_STARTED'], set: { status: 'RUNNING' } });
        await store.updateExecution(execution.id, { expect: ['RUNNING'], set: { status: 'PAUSED', paused: { pausedBy: 'ada', pauseTime: 1 } } });

        const canceled = await store.updateExecution(execution.id, {
          expect: ['RUNNING', 'PAUSED'],
          set: { canceled: true, canceledBy: 'ada', cancellationReason: 'wrong version' },
        });

        expect(canceled).toMatchObject({
          ok: true,
          value: { status: 'PAUSED', canceled: true, canceledBy: 'ada', cancellationReason: 'wrong version', paused: { pausedBy: 'ada', pauseTime: 1 } },
        });
      });

      it('replaces a stage context, outputs and runtime state, keeping the rest', async () => {
        const execution = await created();
        clock.advance(7);

        const running = await store.updateStage(execution.id, 'stage-2', {
          expect: ['NOT_STARTED'],
          set: { status: 'RUNNING', startTime: clock.now(), runtime: { serverGroup: 'shop-v001' } },
        });
        const done = await store.updateStage(execution.id, 'stage-2', {
          expect: ['RUNNING'],
          set: { status: 'SUCCEEDED', endTime: clock.now() + 1, outputs: { deployed: ['shop-v001'] } },
        });

        expect(running.ok).toBe(true);
        expect(done).toMatchObject({
          ok: true,
          value: {
            status: 'SUCCEEDED',
            startTime: clock.now(),
            endTime: clock.now() + 1,
            context: { waitTime: 30 },
            outputs: { deployed: ['shop-v001'] },
            runtime: { serverGroup: 'shop-v001' },
            revision: 2,
          },
        });
      });
    });

    describe('size limits', () => {
      it('refuses outputs over the stage limit, naming the stage and the size', async () => {
        const execution = await created();

        const result = await store.updateStage(execution.id, 'stage-2', {
          expect: ['NOT_STARTED'],
          set: { status: 'SUCCEEDED', outputs: { manifest: blob(STORE_LIMITS.maxStageDataBytes) } },
        });

        expect(result).toMatchObject({ ok: false, reason: 'too-large', limit: STORE_LIMITS.maxStageDataBytes });
        const message = result.ok === false && result.reason === 'too-large' ? result.message : '';
        expect(message).toContain("stage 'Stage 2' (refId 2)");
        expect(message).toMatch(/307,2\d\d bytes/);
        expect(await store.getStage(execution.id, 'stage-2')).toMatchObject({ status: 'NOT_STARTED', outputs: {} });
      });

      it('refuses outputs that fit alone but not beside the stored context', async () => {
        const half = Math.floor(STORE_LIMITS.maxStageDataBytes * 0.6);
        const execution = await created({ stages: [{ ...stages(1)[0]!, context: { manifest: blob(half) } }] });

        const result = await store.updateStage(execution.id, 'stage-1', { expect: ['NOT_STARTED'], set: { outputs: { log: blob(half) } } });
        const fits = await store.updateStage(execution.id, 'stage-1', { expect: ['NOT_STARTED'], set: { outputs: { log: blob(half / 2) } } });

        expect(result).toMatchObject({ ok: false, reason: 'too-large' });
        expect(result.ok === false && result.reason === 'too-large' && result.bytes).toBeGreaterThan(STORE_LIMITS.maxStageDataBytes);
        expect(fits.ok).toBe(true);
      });

      it('refuses a runtime state bag over its limit', async () => {
        const execution = await created();

        const result = await store.updateStage(execution.id, 'stage-1', {
          expect: ['NOT_STARTED'],
          set: { runtime: { pending: blob(STORE_LIMITS.maxStageRuntimeBytes) } },
        });

        expect(result).toMatchObject({ ok: false, reason: 'too-large', limit: STORE_LIMITS.maxStageRuntimeBytes });
      });

      it('refuses an execution whose stage context or trigger is too large, and creates nothing', async () => {
        const bigContext = newExecution({ stages: [{ ...stages(1)[0]!, context: { manifest: blob(STORE_LIMITS.maxStageDataBytes) } }] });
        const bigTrigger = newExecution({ trigger: { type: 'webhook', payload: blob(STORE_LIMITS.maxRecordBytes) } });

        const results = [await store.createExecution(bigContext), await store.createExecution(bigTrigger)];

        expect(results).toMatchObject([
          { ok: false, reason: 'too-large' },
          { ok: false, reason: 'too-large' },
        ]);
        expect(results[0]?.ok === false && results[0].reason === 'too-large' && results[0].message).toContain("stage 'Stage 1'");
        expect(await store.getExecution(bigContext.id)).toBeUndefined();
        expect(await store.getExecution(bigTrigger.id)).toBeUndefined();
      });

      it('refuses a cancellation reason over the text limit', async () => {
        const execution = await created();

        const result = await store.updateExecution(execution.id, {
          expect: ['NOT_STARTED'],
          set: { canceled: true, cancellationReason: blob(STORE_LIMITS.maxUpdateTextBytes + 1) },
        });

        expect(result).toMatchObject({ ok: false, reason: 'too-large' });
      });
    });

    describe('task tokens', () => {
      it('keeps a task token with its stage and never shows it in the execution', async () => {
        const execution = await created();

        const put = await store.putTaskToken(execution.id, 'stage-2', { token: 'AAAA-token', task: 'waitForJudgment' });

        expect(put).toEqual({ ok: true });
        expect(await store.getTaskToken(execution.id, 'stage-2')).toEqual({ token: 'AAAA-token', task: 'waitForJudgment' });
        const stage = (await store.getExecution(execution.id))?.stages[1];
        expect(stage?.awaitingCallback).toBe(true);
        expect(JSON.stringify(stage)).not.toContain('AAAA-token');
      });

      it('hands the token to exactly one of many concurrent takers', async () => {
        const execution = await created();
        await store.putTaskToken(execution.id, 'stage-1', { token: 'judge-me', task: 'manualJudgment' });

        const taken = await Promise.all(Array.from({ length: 10 }, () => store.takeTaskToken(execution.id, 'stage-1')));

        expect(taken.filter((t) => t !== undefined)).toEqual([{ token: 'judge-me', task: 'manualJudgment' }]);
        expect(await store.getTaskToken(execution.id, 'stage-1')).toBeUndefined();
      });

      it('takes only the expected token', async () => {
        const execution = await created();
        await store.putTaskToken(execution.id, 'stage-1', { token: 'second', task: 'manualJudgment' });

        expect(await store.takeTaskToken(execution.id, 'stage-1', 'first')).toBeUndefined();
        expect(await store.takeTaskToken(execution.id, 'stage-1', 'second')).toEqual({ token: 'second', task: 'manualJudgment' });
      });

      it('refuses a token for a complete or missing stage', async () => {
        const execution = await created();
        await store.updateStage(execution.id, 'stage-1', { expect: ['NOT_STARTED'], set: { status: 'CANCELED' } });

        expect(await store.putTaskToken(execution.id, 'stage-1', { token: 't', task: 'x' })).toMatchObject({ ok: false, reason: 'conflict', current: 'CANCELED' });
        expect(await store.putTaskToken(execution.id, 'stage-99', { token: 't', task: 'x' })).toEqual({ ok: false, reason: 'not-found' });
      });
    });

    describe('concurrency leases', () => {
      it.each([1, 3])('lets exactly %i of 50 concurrent acquirers hold a slot', async (limit) => {
        const pipelineId = id('pipe');
        const contenders = Array.from({ length: 50 }, () => id('exec'));

        const results = await Promise.all(contenders.map((executionId) => store.acquireSlot(pipelineId, executionId, { limit })));

        const winners = contenders.filter((_, i) => results[i]?.ok);
        expect(winners).toHaveLength(limit);
        expect(results.filter((r) => !r.ok).every((r) => r.holders.length === limit)).toBe(true);
        expect((await store.getSlotHolders(pipelineId)).map((h) => h.executionId).sort()).toEqual([...winners].sort());
      });

      it('frees a slot on release, and the next acquirer gets it', async () => {
        const pipelineId = id('pipe');
        const [first, second] = [id('exec'), id('exec')];
        await store.acquireSlot(pipelineId, first, { limit: 1 });

        const refused = await store.acquireSlot(pipelineId, second, { limit: 1 });
        const released = await store.releaseSlot(pipelineId, first);
        const acquired = await store.acquireSlot(pipelineId, second, { limit: 1 });

        expect(refused).toMatchObject({ ok: false, reason: 'full', holders: [{ executionId: first }] });
        expect(released).toEqual({ released: true, holders: [] });
        expect(acquired).toMatchObject({ ok: true, holders: [{ executionId: second }] });
      });

      it('acquires and releases idempotently', async () => {
        const pipelineId = id('pipe');
        const executionId = id('exec');

        const first = await store.acquireSlot(pipelineId, executionId, { limit: 1 });
        const again = await store.acquireSlot(pipelineId, executionId, { limit: 1 });
        const released = await store.releaseSlot(pipelineId, executionId);
        const releasedAgain = await store.releaseSlot(pipelineId, executionId);

        expect(first.ok && again.ok).toBe(true);
        expect(again.holders).toHaveLength(1);
        expect(released.released).toBe(true);
        expect(releasedAgain).toEqual({ released: false, holders: [] });
      });

      it('loses no slot: 50 executions pass through a limit of 3, never more than 3 at once', async () => {
        const pipelineId = id('pipe');
        const limit = 3;
        let inside = 0;
        let mostInside = 0;
        const finished: string[] = [];
        // jittered retries and holds interleave the 50, the same way on every run
        const random = createSeededRandom(50);

        await Promise.all(
          Array.from({ length: 50 }, async () => {
            const executionId = id('exec');
            for (;;) {
              const result = await store.acquireSlot(pipelineId, executionId, { limit });
              if (result.ok) break;
              await new Promise((resolve) => setTimeout(resolve, 1 + random() * 3));
            }
            inside += 1;
            mostInside = Math.max(mostInside, inside);
            await new Promise((resolve) => setTimeout(resolve, random() * 2));
            inside -= 1;
            expect((await store.releaseSlot(pipelineId, executionId)).released).toBe(true);
            finished.push(executionId);
          }),
        );

        expect(finished).toHaveLength(50);
        expect(mostInside).toBeLessThanOrEqual(limit);
        expect(await store.getSlotHolders(pipelineId)).toEqual([]);
      });

      it('hands a slot over in one step, so a newcomer cannot take it in between', async () => {
        const pipelineId = id('pipe');
        const [finishing, queued, newcomer] = [id('exec'), id('exec'), id('exec')];
        await store.acquireSlot(pipelineId, finishing, { limit: 1 });

        const [transfer, racing] = await Promise.all([
          store.transferSlot(pipelineId, finishing, queued),
          store.acquireSlot(pipelineId, newcomer, { limit: 1 }),
        ]);

        expect(transfer).toMatchObject({ ok: true, holders: [{ executionId: queued }] });
        expect(racing.ok).toBe(false);
        expect(await store.transferSlot(pipelineId, finishing, newcomer)).toMatchObject({ ok: false, reason: 'not-held' });
      });

      it('shrinks the holders when a slot is handed to an execution that holds one already', async () => {
        const pipelineId = id('pipe');
        const [finishing, selfStarted] = [id('exec'), id('exec')];
        await store.acquireSlot(pipelineId, finishing, { limit: 2 });
        await store.acquireSlot(pipelineId, selfStarted, { limit: 2 });

        const transfer = await store.transferSlot(pipelineId, finishing, selfStarted);

        expect(transfer).toMatchObject({ ok: true, holders: [{ executionId: selfStarted }] });
      });

      it('takes a slot on a pipeline whose queue was used first', async () => {
        const pipelineId = id('pipe');
        await store.enqueueWaiting(pipelineId, id('exec'));

        expect(await store.acquireSlot(pipelineId, id('exec'), { limit: 1 })).toMatchObject({ ok: true });
      });

      it('queues in arrival order and lets exactly one caller remove each entry', async () => {
        const pipelineId = id('pipe');
        const waiting = [id('exec'), id('exec'), id('exec')];
        for (const executionId of waiting) {
          clock.advance(1);
          await store.enqueueWaiting(pipelineId, executionId);
        }
        const again = await store.enqueueWaiting(pipelineId, waiting[0]!);

        const queue = await store.listWaiting(pipelineId);
        const removals = await Promise.all(Array.from({ length: 5 }, () => store.removeWaiting(pipelineId, waiting[1]!)));

        expect(queue.map((e) => e.executionId)).toEqual(waiting);
        expect(again).toEqual(queue[0]);
        expect(queue[0]!.sequence).toBeLessThan(queue[1]!.sequence);
        expect(removals.filter((r) => r !== undefined)).toEqual([queue[1]]);
        expect((await store.listWaiting(pipelineId)).map((e) => e.executionId)).toEqual([waiting[0], waiting[2]]);
      });
    });

    describe('idempotency', () => {
      it('claims a key once and answers the first execution to every duplicate', async () => {
        const key = id('event');
        const contenders = Array.from({ length: 10 }, () => id('exec'));

        const results = await Promise.all(contenders.map((executionId) => store.claimIdempotencyKey(key, executionId)));

        const winners = contenders.filter((_, i) => results[i]?.claimed);
        expect(winners).toHaveLength(1);
        expect(results.filter((r) => !r.claimed)).toEqual(Array(9).fill({ claimed: false, executionId: winners[0] }));
      });

      it('treats a retry by the same execution as its own claim', async () => {
        const key = id('event');
        const executionId = id('exec');
        await store.claimIdempotencyKey(key, executionId);

        expect(await store.claimIdempotencyKey(key, executionId)).toEqual({ claimed: true });
      });

      it('lets a key be claimed again once it has expired, deleted or not', async () => {
        const key = `${id('event')}/${blob(600)}`;
        const [first, second] = [id('exec'), id('exec')];
        await store.claimIdempotencyKey(key, first, { ttlSeconds: 60 });

        const duplicate = await store.claimIdempotencyKey(key, second, { ttlSeconds: 60 });
        clock.advance(61_000);
        const afterExpiry = await store.claimIdempotencyKey(key, second, { ttlSeconds: 60 });

        expect(duplicate).toEqual({ claimed: false, executionId: first });
        expect(afterExpiry).toEqual({ claimed: true });
      });
    });

    describe('notification deliveries', () => {
      const delivery = (key: string) => ({ key, event: 'stage.failed', type: 'slack', recipient: '#deploys', stageId: 'stage-1', stageRefId: '1' });

      it('lets one of many concurrent notifiers claim a delivery, and shows it with the execution', async () => {
        const execution = await created();
        const key = `stage-1:stage.failed:${id('recipient')}`;

        const claims = await Promise.all(Array.from({ length: 5 }, () => store.claimNotificationDelivery(execution.id, delivery(key), { staleAfterMs: 60_000 })));
        await store.finishNotificationDelivery(execution.id, key, { status: 'SENT' });

        expect(claims.filter((claim) => claim.claimed)).toHaveLength(1);
        expect(claims.filter((claim) => !claim.claimed).every((claim) => claim.delivery.status === 'SENDING')).toBe(true);
        const read = await store.getExecution(execution.id);
        expect(read!.stages).toHaveLength(3);
        expect(read!.notificationDeliveries).toEqual([{ ...delivery(key), status: 'SENT', attempts: 1, updatedAt: clock.now() }]);
        expect(await store.claimNotificationDelivery(execution.id, delivery(key), { staleAfterMs: 0 })).toMatchObject({ claimed: false, delivery: { status: 'SENT' } });
      });

      it('deletes the delivery records with their execution', async () => {
        const execution = await created();
        const key = `pipeline:pipeline.complete:${id('c')}`;
        await store.claimNotificationDelivery(execution.id, delivery(key), { staleAfterMs: 60_000 });
        await store.finishNotificationDelivery(execution.id, key, { status: 'SENT' });
        await store.updateExecution(execution.id, { expect: ['NOT_STARTED'], set: { status: 'SUCCEEDED', endTime: clock.now() } });

        expect(await store.deleteExecution(execution.id)).toEqual({ ok: true });

        expect(await store.claimNotificationDelivery(execution.id, delivery(key), { staleAfterMs: 60_000 })).toMatchObject({ claimed: true, delivery: { attempts: 1 } });
      });

      it('claims a failed delivery again, and a sending one once its claim is stale', async () => {
        const execution = await created();
        const failed = `pipeline:pipeline.complete:${id('a')}`;
        const stuck = `pipeline:pipeline.complete:${id('b')}`;
        await store.claimNotificationDelivery(execution.id, delivery(failed), { staleAfterMs: 60_000 });
        await store.finishNotificationDelivery(execution.id, failed, { status: 'FAILED', reason: 'the Slack webhook answered 500' });
        await store.claimNotificationDelivery(execution.id, delivery(stuck), { staleAfterMs: 60_000 });

        const retried = await store.claimNotificationDelivery(execution.id, delivery(failed), { staleAfterMs: 60_000 });
        const early = await store.claimNotificationDelivery(execution.id, delivery(stuck), { staleAfterMs: 60_000 });
        clock.advance(60_001);
        const late = await store.claimNotificationDelivery(execution.id, delivery(stuck), { staleAfterMs: 60_000 });

        expect(retried).toMatchObject({ claimed: true, delivery: { status: 'SENDING', attempts: 2 } });
        expect(retried.delivery.reason).toBeUndefined();
        expect(early.claimed).toBe(false);
        expect(late).toMatchObject({ claimed: true, delivery: { attempts: 2 } });
      });

      it('keeps the reminder number of a delivery', async () => {
        const execution = await created();
        const key = `stage-1:manualJudgment#2:${id('r')}`;
        await store.claimNotificationDelivery(execution.id, { ...delivery(key), event: 'manualJudgment', reminder: 2 }, { staleAfterMs: 60_000 });
        expect((await store.getExecution(execution.id))!.notificationDeliveries).toEqual([expect.objectContaining({ key, event: 'manualJudgment', reminder: 2, status: 'SENDING' })]);
      });
    });

  });
}
