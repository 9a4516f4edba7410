/**
 * The dashboard in a real browser (Debian's Chromium, headless) against a real local server:
 * log in with the token, run the demo pipeline from its page with a parameter, watch it live,
 * answer its judgment by button, see it reach SUCCEEDED, roll a cluster back by button and see
 * the traffic move, and get a located validation error in the editor. Each page is saved as a screenshot (into $GENNAKER_SCREENSHOTS when set: that is
 * how docs/screenshots is made; else a temp directory).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/ports/execution-store.ts';
import { startLocalServer, type LocalServer } from '../../local/server.ts';
import { addUser } from '../../local/users.ts';
import { launchChromium, type Browser, type Page } from '../support/chromium.ts';
import { sampleServiceArtifact, waitForInstances } from '../support/local-target.ts';

const CLUSTER = { account: 'local', location: 'local', cluster: 'hello-prod' };

const dir = mkdtempSync(join(tmpdir(), 'gennaker-dashboard-'));
const shots = process.env['GENNAKER_SCREENSHOTS'] ? resolve(process.env['GENNAKER_SCREENSHOTS']) : join(dir, 'screenshots');
let server: LocalServer;
let browser: Browser;
let page: Page;
let token: string;

const demo = JSON.parse(readFileSync(new URL('../../examples/pipelines/run-demo.json', import.meta.url), 'utf8')) as { stages: Record<string, unknown>[] };
demo.stages.find((stage) => stage['type'] === 'manualJudgment')!['instructions'] = 'Check the warm-up, then ship.';

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, json: await response.json() };
}

async function shoot(name: string): Promise<void> {
  writeFileSync(join(shots, `${name}.png`), await page.screenshot());
}

/** The text of the first element matching `selector`. */
const textOf = (selector: string) => page.evaluate<string>(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? ''`);

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startLocalServer({
    dir,
    port: 0,
    cronTickMs: 60_000,
    localTarget: { baseEnv: { PATH: process.env.PATH ?? '' }, healthCheck: { intervalMs: 100, timeoutMs: 500, unhealthyThreshold: 2 }, drainTimeoutMs: 2_000, killGraceMs: 1_000 },
  });
  token = readFileSync(join(dir, 'token'), 'utf8').trim();
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
  browser = await launchChromium();
  page = await browser.newPage();
});

afterAll(async () => {
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
    await page.waitFor(`document.querySelector('#login')`, 'the login form');
    await shoot('login');
    await page.type('#token', 'not-the-token');
    await page.click('#login button[type=submit]');
    await page.waitFor(`document.querySelector('#login .error')`, 'the refusal');
    const refusal = await textOf('#login .error');
    await page.type('#token', token);
    await page.click('#login button[type=submit]');
    await page.waitFor(`document.querySelector('#applications a')`, 'the applications');

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
    await page.click('#applications a');
    await page.waitFor(`document.querySelector('[data-pipeline="Run demo"] button.primary')`, 'the Run button');
    await shoot('pipelines');

    // when: run it with env=prod from the form
    await page.click('[data-pipeline="Run demo"] button.primary');
    await page.waitFor(`document.querySelector('dialog[open] #parameter-env')`, 'the parameter form');
    await page.evaluate(`document.querySelector('#parameter-env').value = ''`);
    await page.type('#parameter-env', 'prod');
    await shoot('run-form');
    await page.click('#run-submit');

    // then: the execution page shows the graph, fan-out and fan-in drawn, and waits at the judgment
    await page.waitFor(`location.hash.includes('/executions/')`, 'the execution page');
    await page.waitFor(`document.querySelector('#judge-continue')`, 'the judgment buttons');
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
    await page.waitFor(`document.querySelector('#main').dataset.status === 'SUCCEEDED'`, 'SUCCEEDED');
    expect(await page.evaluate<string[]>(`[...document.querySelectorAll('.node')].map((node) => node.dataset.status)`)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(await page.evaluate<number>('performance.getEntriesByType("navigation").length + history.length')).toBe(before);
    const id = await page.evaluate<string>(`location.hash.split('/').pop()`);
    const execution = (await call('GET', `/pipelines/${id}`)).json;
    expect(execution.trigger.parameters.env).toBe('prod');
    expect(execution.stages.find((stage: { refId: string }) => stage.refId === '4').context).toMatchObject({ judgmentStatus: 'continue', judgmentInput: 'ship' });
    expect(await page.evaluate<number>(`document.querySelectorAll('#cancel-execution, #judge-continue').length`)).toBe(0);
    await shoot('execution-succeeded');

    // when: an expression is evaluated against it
    await page.type('#expression', '${trigger.parameters.env}-${execution.status}');
    await page.click('#evaluate');
    await page.waitFor(`document.querySelector('#expression-result pre')`, 'the result');

    // then
    expect(await textOf('#expression-result pre')).toBe('"prod-SUCCEEDED"');
  });

  it('stops at the judgment by button, restarts from that stage by button, and cancels the new execution by button', async () => {
    // given: a run of the demo waiting at its judgment
    await page.evaluate(`location.hash = '#/applications/demo'`);
    await page.waitFor(`document.querySelector('[data-pipeline="Run demo"] button.primary')`, 'the Run button');
    await page.click('[data-pipeline="Run demo"] button.primary');
    await page.waitFor(`document.querySelector('dialog[open] #run-submit')`, 'the parameter form');
    await page.click('#run-submit');
    await page.waitFor(`document.querySelector('#judge-stop')`, 'the judgment buttons');
    const first = await page.evaluate<string>(`location.hash.split('/').pop()`);

    // when: stop it, then restart from the judgment
    await page.click('#judge-stop');
    await page.waitFor(`document.querySelector('#main').dataset.status === 'TERMINAL'`, 'TERMINAL');
    await page.click('.node[data-ref-id="4"]');
    await page.waitFor(`document.querySelector('#restart-stage')`, 'the restart button');
    expect(await textOf('#stage-panel')).toContain("judged 'stop' by admin");
    await page.click('#restart-stage');
    await page.waitFor(`!location.hash.endsWith(${JSON.stringify(first)}) && document.querySelector('#judge-continue')`, 'the restarted execution at its judgment');

    // then: the stages before the judgment are kept, and the new execution cancels by button
    expect(await page.evaluate<string>(`document.querySelector('[data-ref-id="2"]').dataset.status`)).toBe('SUCCEEDED');
    await page.click('#cancel-execution');
    await page.waitFor(`document.querySelector('#main').dataset.status === 'CANCELED'`, 'CANCELED');
    const second = await page.evaluate<string>(`location.hash.split('/').pop()`);
    expect((await call('GET', `/pipelines/${second}`)).json.cancellationReason).toBe('canceled from the dashboard');
  });

  it('shows a read-only user the pipelines and executions without any button that changes something', async () => {
    // given: an application where 'reader' may only read, with an execution waiting at a judgment
    const added = await addUser(dir, { name: 'reader', roles: ['auditors'], admin: false }, Date.now());
    if (!added.ok) throw new Error(added.message);
    expect((await call('POST', '/applications', { name: 'vault', permissions: { READ: ['ops', 'auditors'], WRITE: ['ops'], EXECUTE: ['ops'] } })).status).toBe(201);
    expect((await call('POST', '/pipelines', { ...demo, application: 'vault' })).status).toBe(200);
    const id = String((await call('POST', '/pipelines/vault/Run%20demo', { parameters: { env: 'prod' } })).json.ref).replace('/pipelines/', '');
    const reader = await browser.newPage();
    await reader.goto(server.url);
    await reader.type('#token', added.token);
    await reader.click('#login button[type=submit]');
    await reader.waitFor(`document.querySelector('#applications a')`, 'the applications');

    // when
    await reader.evaluate(`location.hash = '#/applications/vault'`);
    await reader.waitFor(`document.querySelector('[data-pipeline="Run demo"] .bar')`, 'the pipelines');
    const pipelineButtons = await reader.evaluate<number>(`document.querySelectorAll('#main button').length`);
    const editLink = await reader.evaluate<string>(`document.querySelector('[data-pipeline="Run demo"] .actions a').textContent`);
    await reader.evaluate(`location.hash = '#/applications/vault/executions/${id}'`);
    await reader.waitFor(`document.querySelector('#stage-panel')?.textContent.includes('Waiting for a judgment by a user with EXECUTE')`, 'the waiting judgment');

    // then
    expect(pipelineButtons).toBe(0);
    expect(editLink).toBe('View JSON');
    expect(await reader.evaluate<string[]>(`[...document.querySelectorAll('#main button:not(.node):not(#evaluate)')].map((button) => button.textContent)`)).toEqual([]);
    await reader.evaluate(`location.hash = '#/applications/vault/editor/Run%20demo'`);
    await reader.waitFor(`document.querySelector('#verdict.ok')`, 'the pipeline validated');
    expect(await reader.evaluate<[boolean, boolean]>(`[document.querySelector('#pipeline-json').readOnly, document.querySelector('#save-pipeline').disabled]`)).toEqual([true, true]);
    await call('PUT', `/pipelines/${id}/cancel`);
    await reader.close();
  });

  it('lists a validation error with its pointer under the editor and selects its place in the text', async () => {
    // given
    await page.evaluate(`location.hash = '#/applications/demo/editor/Run%20demo'`);
    await page.waitFor(`document.querySelector('#verdict.ok')`, 'the pipeline validated');
    await page.waitFor(`document.querySelector('#history li')`, 'the versions');
    expect(await textOf('#compile-report')).toMatch(/^Compiled\d+ states[\d,]+ of 1,048,576 definition bytes[\d,]+ of 25,000 history events at most$/);

    // when: break the wait stage's waitTime in the text
    const text = await page.evaluate<string>(`document.querySelector('#pipeline-json').value`);
    const broken = text.replace('"waitTime": 1', '"waitTime": "soon"');
    expect(broken).not.toBe(text);
    await page.evaluate(`(() => { const area = document.querySelector('#pipeline-json'); area.value = ${JSON.stringify(broken)}; area.dispatchEvent(new Event('input')); })()`);
    await page.waitFor(`document.querySelector('#issues li[data-pointer="/stages/1/waitTime"]')`, 'the located issue');

    // then
    expect(await textOf('#verdict')).toMatch(/error/);
    expect(await textOf('#compile-report')).toBe('');
    expect(await page.evaluate<boolean>(`document.querySelector('#save-pipeline').disabled`)).toBe(true);
    await page.click('#issues li[data-pointer="/stages/1/waitTime"] button');
    expect(await page.evaluate<string>(`(() => { const area = document.querySelector('#pipeline-json'); return area.value.slice(area.selectionStart, area.selectionEnd); })()`)).toBe('"soon"');
    await shoot('editor-error');

    // when: fixed, saved, and diffed against the first version
    await page.evaluate(`(() => { const area = document.querySelector('#pipeline-json'); area.value = area.value.replace('"waitTime": "soon"', '"waitTime": 2'); area.dispatchEvent(new Event('input')); })()`);
    await page.waitFor(`document.querySelector('#verdict.ok') && !document.querySelector('#save-pipeline').disabled`, 'the fixed pipeline valid');
    await page.click('#save-pipeline');
    await page.waitFor(`document.querySelector('#history')?.textContent.includes('v2')`, 'version 2 listed');
    expect(await textOf('[role=alert] .notice')).toBe('Saved version 2.');
    await page.click('#history li:last-child button');
    await page.waitFor(`document.querySelector('#diff .removed')`, 'the diff');

    // then
    expect(await page.evaluate<string[]>(`[...document.querySelectorAll('#diff .removed, #diff .added')].map((line) => line.textContent.trim())`)).toEqual(['-       "waitTime": 1', '+       "waitTime": 2']);

    // when: someone else saves meanwhile, a save of the text loaded before is refused
    expect((await call('POST', '/pipelines', { ...demo, description: 'changed elsewhere' })).status).toBe(200);
    await page.click('#save-pipeline');
    await page.waitFor(`document.querySelector('[role=alert] .error')`, 'the refusal');
    expect(await textOf('[role=alert] .error')).toMatch(/version/);
    expect((await call('GET', '/applications/demo/pipelineConfigs/Run%20demo')).json.description).toBe('changed elsewhere');
  });

  it('shows the server groups of a cluster with capacity, health and traffic, and rolls it back by button', async () => {
    // given
    await page.evaluate(`location.hash = '#/applications/hello/clusters'`);
    await page.waitFor(`document.querySelectorAll('[data-cluster="hello-prod"] tr[data-server-group]').length === 2`, 'the two server groups');
    const rows = () => page.evaluate<Record<string, string>>(`Object.fromEntries([...document.querySelectorAll('tr[data-server-group]')].map((row) => [row.dataset.serverGroup, row.dataset.traffic]))`);
    expect(await rows()).toEqual({ 'hello-prod-v000': '50', 'hello-prod-v001': '50' });
    const newest = await page.evaluate<string[]>(`[...document.querySelectorAll('tr[data-server-group="hello-prod-v001"] td')].map((cell) => cell.textContent.trim())`);
    expect(newest.slice(0, 1)).toEqual(['1 (1–1)']);
    expect(newest).toContain('sample-service 2.0.0');
    expect(await page.evaluate<string>(`document.querySelector('tr[data-server-group="hello-prod-v001"] .dots').getAttribute('aria-label')`)).toBe('1 Up');
    await shoot('clusters');

    // when: roll back, confirming with a reason
    await page.click('[data-cluster="hello-prod"] button.danger');
    await page.waitFor(`document.querySelector('dialog[open] #rollback-reason')`, 'the confirmation');
    await page.click('#rollback-confirm');
    await page.waitFor(`document.querySelector('dialog[open] [role=alert] .error')`, 'the missing reason');
    expect(await textOf('dialog[open] [role=alert]')).toBe('Reason is required; say why you roll back');
    await page.type('#rollback-reason', '2.0.0 answers 500s');
    await page.click('#rollback-confirm');

    // then: the rollback runs, and the page shows the traffic move to the previous server group
    await page.waitFor(`document.querySelector('.notice a')`, 'the link to the rollback');
    await page.waitFor(`document.querySelector('tr[data-server-group="hello-prod-v001"]')?.dataset.traffic === '0'`, 'the traffic moved');
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
    await page.waitFor(`[...document.querySelectorAll('#execution-summary a')].some((a) => a.textContent === 'Canary report')`, 'the report link');
    await page.click('#execution-summary a');
    await page.waitFor(`document.querySelector('iframe.report[data-loaded]')`, 'the report drawn');

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
    const dark = await browser.newPage({ dark: true });
    await dark.goto(server.url);
    await dark.evaluate(`sessionStorage.setItem('gennaker.token', ${JSON.stringify(token)}); location.hash = '#/applications/demo'`);
    await dark.waitFor(`document.querySelector('[data-pipeline="Run demo"] .bar.succeeded')`, 'the succeeded bar');
    expect(await dark.evaluate<string>(`getComputedStyle(document.body).backgroundColor`)).toBe('rgb(15, 18, 23)');
    writeFileSync(join(shots, 'pipelines-dark.png'), await dark.screenshot());
    await dark.close();
  });
});
