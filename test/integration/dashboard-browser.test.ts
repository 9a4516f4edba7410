/**
 * The dashboard in a real browser (Debian's Chromium, headless, driven by playwright-core) against
 * a real local server: log in with the token, run the demo pipeline from its page with a
 * parameter, watch it live, answer its judgment by button, see it reach SUCCEEDED, roll a cluster
 * back by button and see the traffic move, get a located validation error in the editor, see no
 * button that changes something as a read-only user, and see 100 pipelines of 1,000 executions.
 * Each page is saved as a screenshot (into $GENNAKER_SCREENSHOTS when set: that is how
 * docs/screenshots is made; else a temp directory).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import { startLocalServer, type LocalServer } from '../../local/server.ts';
import { addUser } from '../../local/users.ts';
import type { Browser, Page, Request } from 'playwright-core';
import { launchChromium, newPage, waitUntil } from '../support/chromium.ts';
import { seedFleetExecutions, seedFleetPipelines, type Fleet } from '../support/dashboard-fleet.ts';
import { sampleServiceArtifact, waitForInstances } from '../support/local-target.ts';

const CLUSTER = { account: 'local', location: 'local', cluster: 'hello-prod' };

const dir = mkdtempSync(join(tmpdir(), 'gennaker-dashboard-'));
const shots = process.env['GENNAKER_SCREENSHOTS'] ? resolve(process.env['GENNAKER_SCREENSHOTS']) : join(dir, 'screenshots');
let server: LocalServer;
let browser: Browser;
let page: Page;
let token: string;
let launching: Promise<Browser> | undefined;
let fleet: Fleet;

const demo = JSON.parse(readFileSync(new URL('../../examples/pipelines/run-demo.json', import.meta.url), 'utf8')) as { stages: Record<string, unknown>[] };
demo.stages.find((stage) => stage['type'] === 'manualJudgment')!['instructions'] = 'Check the warm-up, then ship.';

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, json: await response.json() };
}

async function shoot(name: string): Promise<void> {
  writeFileSync(join(shots, `${name}.png`), await page.screenshot());
}

/** The text of the first element matching `selector` in `tab`. */
const textOf = (selector: string, tab: Page = page) => tab.evaluate<string>(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? ''`);

/** A tab of its own, logged in with `userToken`, on the applications page. */
async function openAs(userToken: string): Promise<Page> {
  const tab = await newPage(browser);
  await tab.goto(server.url);
  await tab.evaluate(`sessionStorage.setItem('gennaker.token', ${JSON.stringify(userToken)}); location.hash = '#/'`);
  return tab;
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  // Chromium starts while the state is seeded and the server and its cluster come up.
  launching = launchChromium().then((started) => (browser = started));
  fleet = await seedFleetExecutions(dir, { application: 'fleet', pipelines: 100, executionsPerPipeline: 10, now: Date.now() });
  server = await startLocalServer({
    dir,
    port: 0,
    cronTickMs: 60_000,
    localTarget: { baseEnv: { PATH: process.env.PATH ?? '' }, healthCheck: { intervalMs: 100, timeoutMs: 500, unhealthyThreshold: 2 }, drainTimeoutMs: 2_000, killGraceMs: 1_000 },
  });
  token = readFileSync(join(dir, 'token'), 'utf8').trim();
  // The fleet's pipelines are saved while the cluster's instances start.
  const pipelines = seedFleetPipelines(server.runtime.store, fleet);
  pipelines.catch(() => undefined);
  expect((await call('POST', '/pipelines', demo)).status).toBe(200);
  // A cluster of two server groups on the local target, each serving half the traffic, that a pipeline of 'hello' deploys to.
  const deploy = { account: 'local', cloudProvider: 'local', region: 'local', application: 'hello', stack: 'prod', capacity: { min: 1, max: 1, desired: 1 }, artifact: sampleServiceArtifact() };
  const saved = await call('POST', '/pipelines', { application: 'hello', name: 'Deploy', stages: [{ refId: '1', requisiteStageRefIds: [], type: 'deploy', name: 'Deploy', clusters: [deploy] }] });
  expect(saved.status).toBe(200);
  const target = server.runtime.target!;
  for (const [name, version] of [
    ['hello-prod-v000', '1.0.0'],
    ['hello-prod-v001', '2.0.0'],
  ] as const) {
    expect((await target.createServerGroup({ ...CLUSTER, name, capacity: { min: 1, max: 1, desired: 1 }, artifact: sampleServiceArtifact(version) })).ok).toBe(true);
    await waitForInstances(target, CLUSTER, name, 1);
  }
  await pipelines;
  await launching;
  page = await newPage(browser);
});

afterAll(async () => {
  await launching?.catch(() => undefined);
  await browser?.close();
  await server?.runtime.target?.destroyAll();
  await server?.runtime.idle();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard in Chromium', () => {
  it('asks for the token, refuses a wrong one, and keeps the right one in session storage only', async () => {
    // when
    await page.goto(server.url);
    await waitUntil(page, `document.querySelector('#login')`, 'the login form');
    await shoot('login');
    await page.fill('#token', 'not-the-token');
    await page.click('#login button[type=submit]');
    await waitUntil(page, `document.querySelector('#login .error')`, 'the refusal');
    const refusal = await textOf('#login .error');
    await page.fill('#token', token);
    await page.click('#login button[type=submit]');
    await waitUntil(page, `document.querySelector('#applications a')`, 'the applications');

    // then
    expect(refusal).toContain('That token is not accepted');
    expect(await page.evaluate<string>(`sessionStorage.getItem('gennaker.token')`)).toBe(token);
    expect(await page.evaluate<number>(`localStorage.length`)).toBe(0);
    expect(await page.evaluate<string>('location.href')).not.toContain(token);
    expect(await textOf('#applications')).toContain('demo');
    await shoot('applications');
  });

  it('runs the demo pipeline with a parameter, follows it live, answers the judgment by button and ends SUCCEEDED', async () => {
    // given: the application's pipelines
    await page.click('#applications a[href="#/applications/demo"]');
    await waitUntil(page, `document.querySelector('[data-pipeline="Run demo"] button.primary')`, 'the Run button');
    await shoot('pipelines');

    // when: run it with env=prod from the form
    await page.click('[data-pipeline="Run demo"] button.primary');
    await waitUntil(page, `document.querySelector('dialog[open] #parameter-env')`, 'the parameter form');
    await page.fill('#parameter-env', 'prod');
    await shoot('run-form');
    await page.click('#run-submit');

    // then: the execution page shows the graph, fan-out and fan-in drawn, and waits at the judgment
    await waitUntil(page, `location.hash.includes('/executions/')`, 'the execution page');
    await waitUntil(page, `document.querySelector('#judge-continue')`, 'the judgment buttons');
    const columns = await page.evaluate<Record<string, string>>(`Object.fromEntries([...document.querySelectorAll('.node')].map((node) => [node.dataset.refId, node.style.left]))`);
    expect(columns).toEqual({ '1': '0px', '2': '256px', '3': '256px', '4': '512px', '5': '768px' });
    expect(await page.evaluate<number>(`document.querySelectorAll('.edges path').length`)).toBe(5);
    expect(await textOf('#stage-panel')).toContain('Check the warm-up, then ship.');
    expect(await page.evaluate<string[]>(`[...document.querySelectorAll('#judgment-input option')].map((option) => option.value)`)).toEqual(['', 'ship', 'hold']);
    expect(await page.evaluate<string>(`document.querySelector('[data-ref-id="3"]').dataset.status`)).toBe('SUCCEEDED');
    await shoot('execution-judgment');

    // when: answer it by button, with an input
    await page.evaluate(`(() => { const select = document.querySelector('#judgment-input'); select.value = 'ship'; select.dispatchEvent(new Event('change')); })()`);
    await page.click('#judge-continue');

    // then: the page follows the execution to its end without a reload
    const before = await page.evaluate<number>('performance.getEntriesByType("navigation").length + history.length');
    await waitUntil(page, `document.querySelector('#main').dataset.status === 'SUCCEEDED'`, 'SUCCEEDED');
    expect(await page.evaluate<string[]>(`[...document.querySelectorAll('.node')].map((node) => node.dataset.status)`)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(await page.evaluate<number>('performance.getEntriesByType("navigation").length + history.length')).toBe(before);
    const id = await page.evaluate<string>(`location.hash.split('/').pop()`);
    const execution = (await call('GET', `/pipelines/${id}`)).json;
    expect(execution.trigger.parameters.env).toBe('prod');
    expect(execution.stages.find((stage: { refId: string }) => stage.refId === '4').context).toMatchObject({ judgmentStatus: 'continue', judgmentInput: 'ship' });
    expect(await page.evaluate<number>(`document.querySelectorAll('#cancel-execution, #judge-continue').length`)).toBe(0);
    await shoot('execution-succeeded');

    // when: an expression is evaluated against it
    await page.fill('#expression', '${trigger.parameters.env}-${execution.status}');
    await page.click('#evaluate');
    await waitUntil(page, `document.querySelector('#expression-result pre')`, 'the result');

    // then
    expect(await textOf('#expression-result pre')).toBe('"prod-SUCCEEDED"');
  });

  it('stops at the judgment by button, restarts from that stage by button, and cancels the new execution by button', async () => {
    // given: a run of the demo waiting at its judgment
    await page.evaluate(`location.hash = '#/applications/demo'`);
    await waitUntil(page, `document.querySelector('[data-pipeline="Run demo"] button.primary')`, 'the Run button');
    await page.click('[data-pipeline="Run demo"] button.primary');
    await waitUntil(page, `document.querySelector('dialog[open] #run-submit')`, 'the parameter form');
    await page.click('#run-submit');
    await waitUntil(page, `document.querySelector('#judge-stop')`, 'the judgment buttons');
    const first = await page.evaluate<string>(`location.hash.split('/').pop()`);

    // when: stop it, then restart from the judgment
    await page.click('#judge-stop');
    await waitUntil(page, `document.querySelector('#main').dataset.status === 'TERMINAL'`, 'TERMINAL');
    await page.click('.node[data-ref-id="4"]');
    await waitUntil(page, `document.querySelector('#restart-stage')`, 'the restart button');
    expect(await textOf('#stage-panel')).toContain("judged 'stop' by admin");
    await page.click('#restart-stage');
    await waitUntil(page, `!location.hash.endsWith(${JSON.stringify(first)}) && document.querySelector('#judge-continue')`, 'the restarted execution at its judgment');

    // then: the stages before the judgment are kept, and the new execution cancels by button
    expect(await page.evaluate<string>(`document.querySelector('[data-ref-id="2"]').dataset.status`)).toBe('SUCCEEDED');
    await page.click('#cancel-execution');
    await waitUntil(page, `document.querySelector('#main').dataset.status === 'CANCELED'`, 'CANCELED');
    const second = await page.evaluate<string>(`location.hash.split('/').pop()`);
    expect((await call('GET', `/pipelines/${second}`)).json.cancellationReason).toBe('canceled from the dashboard');
  });

  it('shows the buttons that change something only to whom may use them: none to a read-only user, every one to a user with WRITE and EXECUTE', async () => {
    // given: 'vault' and 'hello' readable by auditors ('reader'), changed and run by ops ('operator'), and a run of the demo waiting at its judgment
    const tokens: Record<string, string> = {};
    for (const [name, roles] of [
      ['reader', ['auditors']],
      ['operator', ['ops']],
    ] as const) {
      const added = await addUser(dir, { name, roles: [...roles], admin: false }, Date.now());
      if (!added.ok) throw new Error(added.message);
      tokens[name] = added.token;
    }
    const permissions = { READ: ['ops', 'auditors'], WRITE: ['ops'], EXECUTE: ['ops'] };
    expect((await call('POST', '/applications', { name: 'vault', permissions })).status).toBe(201);
    expect((await call('PUT', '/applications/hello', { name: 'hello', permissions })).status).toBe(200);
    expect((await call('POST', '/pipelines', { ...demo, application: 'vault' })).status).toBe(200);
    const id = String((await call('POST', '/pipelines/vault/Run%20demo', { parameters: { env: 'prod' } })).json.ref).replace('/pipelines/', '');
    const [reader, operator] = await Promise.all([openAs(tokens['reader']!), openAs(tokens['operator']!)]);
    const both = <T>(step: (tab: Page, who: 'reader' | 'operator') => Promise<T>) => Promise.all([step(reader, 'reader'), step(operator, 'operator')]);
    const go = (route: string, ready: string, what: string) =>
      both(async (tab) => {
        await tab.evaluate(`location.hash = ${JSON.stringify(`#${route}`)}`);
        await waitUntil(tab, ready, what);
      });
    // Every button of the page but the stage nodes of the graph and the expression evaluator's (reading only).
    const buttons = () => both((tab) => tab.evaluate<string[]>(`[...document.querySelectorAll('#main button:not(.node):not(#evaluate)')].map((button) => button.textContent.trim())`));

    // when: the pipelines
    await go('/applications/vault', `document.querySelector('[data-pipeline="Run demo"] .bar')`, 'the pipelines');

    // then
    expect(await buttons()).toEqual([[], ['Run']]);
    expect(await both((tab) => tab.evaluate<string>(`document.querySelector('[data-pipeline="Run demo"] .actions a').textContent`))).toEqual(['View JSON', 'Edit']);

    // when: the execution waiting at its judgment
    await go(`/applications/vault/executions/${id}`, `document.querySelector('#stage-panel')?.textContent.includes('Check the warm-up')`, 'the judgment');

    // then
    expect(await textOf('#stage-panel', reader)).toContain('Waiting for a judgment by a user with EXECUTE');
    expect(await buttons()).toEqual([[], ['Cancel execution', 'Continue', 'Stop']]);

    // when: the judgment stopped it, and its judgment stage is opened
    const judgment = (await call('GET', `/pipelines/${id}`)).json.stages.find((stage: { refId: string }) => stage.refId === '4');
    expect((await call('PATCH', `/pipelines/${id}/stages/${judgment.id}`, { judgmentStatus: 'stop' })).status).toBe(200);
    await both(async (tab) => {
      await waitUntil(tab, `document.querySelector('#main').dataset.status === 'TERMINAL'`, 'TERMINAL');
      await tab.click('.node[data-ref-id="4"]');
      await waitUntil(tab, `document.querySelector('.node[data-ref-id="4"]').getAttribute('aria-pressed') === 'true'`, 'the judgment stage opened');
    });

    // then
    expect(await buttons()).toEqual([[], ['Restart from this stage']]);

    // when: the clusters
    await go('/applications/hello/clusters', `document.querySelectorAll('[data-cluster="hello-prod"] tr[data-server-group]').length === 2`, 'the two server groups');

    // then
    expect(await buttons()).toEqual([[], ['Roll back']]);

    // when: the editor
    await go('/applications/vault/editor/Run%20demo', `document.querySelector('#verdict.ok')`, 'the pipeline validated');

    // then: the reader's text cannot change and its save is off
    expect(await both((tab) => tab.evaluate<[boolean, boolean]>(`[document.querySelector('#pipeline-json').readOnly, document.querySelector('#save-pipeline').disabled]`))).toEqual([
      [true, true],
      [false, false],
    ]);
    await reader.close();
    await operator.close();
  });

  it('lists a validation error with its pointer under the editor and selects its place in the text', async () => {
    // given
    await page.evaluate(`location.hash = '#/applications/demo/editor/Run%20demo'`);
    await waitUntil(page, `document.querySelector('#verdict.ok')`, 'the pipeline validated');
    await waitUntil(page, `document.querySelector('#history li')`, 'the versions');
    expect(await textOf('#compile-report')).toMatch(/^Compiled\d+ states[\d,]+ of 1,048,576 definition bytes[\d,]+ of 25,000 history events at most$/);

    // when: break the wait stage's waitTime in the text
    const text = await page.evaluate<string>(`document.querySelector('#pipeline-json').value`);
    const broken = text.replace('"waitTime": 1', '"waitTime": "soon"');
    expect(broken).not.toBe(text);
    await page.evaluate(`(() => { const area = document.querySelector('#pipeline-json'); area.value = ${JSON.stringify(broken)}; area.dispatchEvent(new Event('input')); })()`);
    await waitUntil(page, `document.querySelector('#issues li[data-pointer="/stages/1/waitTime"]')`, 'the located issue');

    // then
    expect(await textOf('#verdict')).toMatch(/error/);
    expect(await textOf('#compile-report')).toBe('');
    expect(await page.evaluate<boolean>(`document.querySelector('#save-pipeline').disabled`)).toBe(true);
    await page.click('#issues li[data-pointer="/stages/1/waitTime"] button');
    expect(await page.evaluate<string>(`(() => { const area = document.querySelector('#pipeline-json'); return area.value.slice(area.selectionStart, area.selectionEnd); })()`)).toBe('"soon"');
    await shoot('editor-error');

    // when: fixed, saved, and diffed against the first version
    await page.evaluate(`(() => { const area = document.querySelector('#pipeline-json'); area.value = area.value.replace('"waitTime": "soon"', '"waitTime": 2'); area.dispatchEvent(new Event('input')); })()`);
    await waitUntil(page, `document.querySelector('#verdict.ok') && !document.querySelector('#save-pipeline').disabled`, 'the fixed pipeline valid');
    await page.click('#save-pipeline');
    await waitUntil(page, `document.querySelector('#history')?.textContent.includes('v2')`, 'version 2 listed');
    expect(await textOf('[role=alert] .notice')).toBe('Saved version 2.');
    await page.click('#history li:last-child button');
    await waitUntil(page, `document.querySelector('#diff .removed')`, 'the diff');

    // then
    expect(await page.evaluate<string[]>(`[...document.querySelectorAll('#diff .removed, #diff .added')].map((line) => line.textContent.trim())`)).toEqual(['-       "waitTime": 1', '+       "waitTime": 2']);

    // when: someone else saves meanwhile, a save of the text loaded before is refused
    expect((await call('POST', '/pipelines', { ...demo, description: 'changed elsewhere' })).status).toBe(200);
    await page.click('#save-pipeline');
    await waitUntil(page, `document.querySelector('[role=alert] .error')`, 'the refusal');
    expect(await textOf('[role=alert] .error')).toMatch(/version/);
    expect((await call('GET', '/applications/demo/pipelineConfigs/Run%20demo')).json.description).toBe('changed elsewhere');
  });

  it('shows the server groups of a cluster with capacity, health and traffic, and rolls it back by button', async () => {
    // given
    await page.evaluate(`location.hash = '#/applications/hello/clusters'`);
    await waitUntil(page, `document.querySelectorAll('[data-cluster="hello-prod"] tr[data-server-group]').length === 2`, 'the two server groups');
    const rows = () => page.evaluate<Record<string, string>>(`Object.fromEntries([...document.querySelectorAll('tr[data-server-group]')].map((row) => [row.dataset.serverGroup, row.dataset.traffic]))`);
    expect(await rows()).toEqual({ 'hello-prod-v000': '50', 'hello-prod-v001': '50' });
    const newest = await page.evaluate<string[]>(`[...document.querySelectorAll('tr[data-server-group="hello-prod-v001"] td')].map((cell) => cell.textContent.trim())`);
    expect(newest.slice(0, 1)).toEqual(['1 (1–1)']);
    expect(newest).toContain('sample-service 2.0.0');
    expect(await page.evaluate<string>(`document.querySelector('tr[data-server-group="hello-prod-v001"] .dots').getAttribute('aria-label')`)).toBe('1 Up');
    await shoot('clusters');

    // when: roll back, confirming with a reason
    await page.click('[data-cluster="hello-prod"] button.danger');
    await waitUntil(page, `document.querySelector('dialog[open] #rollback-reason')`, 'the confirmation');
    await page.click('#rollback-confirm');
    await waitUntil(page, `document.querySelector('dialog[open] [role=alert] .error')`, 'the missing reason');
    expect(await textOf('dialog[open] [role=alert]')).toBe('Reason is required; say why you roll back');
    await page.fill('#rollback-reason', '2.0.0 answers 500s');
    await page.click('#rollback-confirm');

    // then: the rollback runs, and the page shows the traffic move to the previous server group
    await waitUntil(page, `document.querySelector('.notice a')`, 'the link to the rollback');
    await waitUntil(page, `document.querySelector('tr[data-server-group="hello-prod-v001"]')?.dataset.traffic === '0'`, 'the traffic moved');
    expect(await rows()).toEqual({ 'hello-prod-v000': '100', 'hello-prod-v001': '0' });
    const ref = await page.evaluate<string>(`document.querySelector('.notice a').getAttribute('href')`);
    const rollback = (await call('GET', `/pipelines/${ref.split('/').pop()}`)).json;
    expect(JSON.stringify(rollback)).toContain('2.0.0 answers 500s');
    await shoot('clusters-rolled-back');
  });

  it("shows an execution's canary report from its page", async () => {
    // given: an execution whose kayentaCanary stage wrote its results
    const outputs = JSON.parse(readFileSync(new URL('../fixtures/canary/run-outputs.json', import.meta.url), 'utf8')) as JsonObject;
    const { store } = server.runtime;
    const stage = (refId: string, type: string, name: string, requisiteStageRefIds: string[] = []) => ({ id: refId, refId, type, name, requisiteStageRefIds, context: {} });
    const created = await store.createExecution({
      id: 'with-canary',
      application: 'checkout',
      pipelineConfigId: 'deploy-checkout',
      pipelineVersion: 1,
      name: 'Deploy checkout',
      buildTime: Date.now() - 3_600_000,
      trigger: { type: 'manual', user: 'tester' },
      parameters: {},
      limitConcurrent: true,
      keepWaitingPipelines: false,
      maxConcurrentExecutions: 0,
      stages: [stage('1', 'wait', 'Warm up'), stage('2', 'kayentaCanary', 'Canary analysis', ['1'])],
    });
    expect(created.ok).toBe(true);
    expect((await store.updateStage('with-canary', '2', { expect: ['NOT_STARTED'], set: { status: 'TERMINAL', startTime: Date.now() - 3_500_000, endTime: Date.now() - 60_000, outputs } })).ok).toBe(true);

    // when
    await page.evaluate(`location.hash = '#/applications/checkout/executions/with-canary'`);
    await waitUntil(page, `[...document.querySelectorAll('#execution-summary a')].some((a) => a.textContent === 'Canary report')`, 'the report link');
    await page.click('#execution-summary a');
    await waitUntil(page, `document.querySelector('iframe.report[data-loaded]')`, 'the report drawn');

    // then: the API's page, in a frame that may run nothing
    expect(await page.evaluate<string>(`location.hash`)).toBe('#/applications/checkout/executions/with-canary/canary');
    expect(await page.evaluate<string>(`document.querySelector('iframe.report').getAttribute('sandbox')`)).toBe('');
    const report = await page.evaluate<string>(`document.querySelector('iframe.report').srcdoc`);
    expect(report.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(report).toContain('Canary analysis');
    expect(report).toContain('latency p99');
    await shoot('canary-report');
  });

  it('draws the same pages dark when the system prefers it', async () => {
    const dark = await newPage(browser, { dark: true });
    await dark.goto(server.url);
    await dark.evaluate(`sessionStorage.setItem('gennaker.token', ${JSON.stringify(token)}); location.hash = '#/applications/demo'`);
    await waitUntil(dark, `document.querySelector('[data-pipeline="Run demo"] .bar.succeeded')`, 'the succeeded bar');
    expect(await dark.evaluate<string>(`getComputedStyle(document.body).backgroundColor`)).toBe('rgb(15, 18, 23)');
    writeFileSync(join(shots, 'pipelines-dark.png'), await dark.screenshot());
    await dark.close();
  });
  it("shows all 100 pipelines of an application with 1,000 executions, their last runs as bars, from three bounded API calls", async () => {
    // given: 100 pipelines of 10 finished executions each
    const calls: string[] = [];
    const record = (request: Request) => {
      const url = new URL(request.url());
      calls.push(url.pathname + url.search);
    };
    page.on('request', record);

    // when
    await page.evaluate(`location.hash = '#/applications/fleet'`);
    await waitUntil(page, `document.querySelector('#pipelines')`, 'the pipelines');
    page.off('request', record);

    // then: every pipeline with its 10 runs, and no call read an execution's stages
    const drawn = await page.evaluate<[string, number][]>(`[...document.querySelectorAll('#pipelines [data-pipeline]')].map((card) => [card.dataset.pipeline, card.querySelectorAll('.bar').length])`);
    expect(drawn).toEqual(fleet.pipelines.map((pipeline) => [pipeline.name, 10]));
    expect(calls.sort()).toEqual(['/applications/fleet/executionSummaries?limit=12', '/applications/fleet/permissions', '/applications/fleet/pipelineConfigs']);
  });
});
