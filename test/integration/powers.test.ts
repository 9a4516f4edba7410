/**
 * Dangerous powers on `gennaker up` (core/authz/powers.ts), over real HTTP with real jobs: the
 * probe's findings replayed — shell commands by anyone holding a token, `/etc` copied into the
 * image store, `propertyFile: ../../token` putting the API token into execution history — and
 * each refused at save naming the field, then again when the stage starts (expressions
 * evaluated, the configuration of that moment).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer, type LocalServerOptions } from '../../local/server.ts';
import { addUser } from '../../local/users.ts';

const work = mkdtempSync(join(tmpdir(), 'gennaker-powers-'));
const dir = join(work, '.gennaker');
const root = join(work, 'projects');
const service = join(root, 'service');
mkdirSync(service, { recursive: true });
writeFileSync(join(service, 'index.js'), "console.log('hello');\n");
// A link inside the root that leads out of it.
symlinkSync('/etc', join(root, 'etc-link'));
/** The root as messages name it (links resolved). */
const realRoot = realpathSync(root);

let server: LocalServer;
const tokens: Record<string, string> = {};
const options = (roles: string[]): LocalServerOptions => ({ dir, port: 0, cronTickMs: 60_000, powers: { roles, roots: [root] } });

async function call(who: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

async function finished(id: string): Promise<any> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const execution = (await call('admin', 'GET', `/pipelines/${id}`)).json;
    if (['SUCCEEDED', 'TERMINAL', 'CANCELED'].includes(execution.status)) return execution;
    if (Date.now() > deadline) throw new Error(`execution ${id} did not finish: ${JSON.stringify(execution.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const pipeline = (name: string, stages: unknown[], extra: Record<string, unknown> = {}) => ({ application: 'tools', name, ...extra, stages });
const job = (fields: Record<string, unknown>) => ({ refId: '1', requisiteStageRefIds: [], type: 'runJob', name: 'Job', cloudProvider: 'local', ...fields });
const bake = (reference: string) => ({ refId: '1', requisiteStageRefIds: [], type: 'bake', name: 'Bake', package: 'svc', regions: ['local'], artifact: { type: 'directory', reference, version: '1.0.0' } });
const errorOf = (execution: any) => execution.stages[0].context.exception?.details?.error as string;

async function start(who: string, name: string, parameters: Record<string, string> = {}): Promise<string> {
  const started = await call(who, 'POST', `/pipelines/tools/${encodeURIComponent(name)}`, { parameters });
  expect(started.status).toBe(202);
  return String(started.json.ref).replace('/pipelines/', '');
}

beforeAll(async () => {
  server = await startLocalServer(options(['builders']));
  tokens.admin = readFileSync(join(dir, 'token'), 'utf8').trim();
  for (const [name, roles] of [
    ['dave', ['builders']],
    ['erin', ['dev']],
  ] as const) {
    const added = await addUser(dir, { name, roles: [...roles], admin: false }, Date.now());
    if (!added.ok) throw new Error(added.message);
    tokens[name] = added.token;
  }
});

afterAll(async () => {
  await server.runtime.idle();
  await server.runtime.target?.destroyAll();
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

describe('dangerous powers', () => {
  it('refuses a local runJob at save to a user without a power role, naming the field; a power role runs it', async () => {
    // when
    const refused = await call('erin', 'POST', '/pipelines', pipeline('Shell', [job({ shell: 'id' })]));
    const allowed = await call('dave', 'POST', '/pipelines', pipeline('Shell', [job({ shell: 'echo ran' })]));

    // then
    expect(refused).toEqual({
      status: 403,
      json: { error: "the pipeline is refused; nothing was saved: /stages/0/shell: user 'erin' may not run a local job (a process of the server's user): it needs one of the power roles builders; 'erin' has the roles dev" },
    });
    expect(allowed.status).toBe(200);
    expect((await finished(await start('dave', 'Shell'))).status).toBe('SUCCEEDED');
  });

  it('refuses to deploy or bake a directory outside the roots, even for an admin and through a link, and copies nothing', async () => {
    // when
    const deploy = await call('admin', 'POST', '/pipelines', pipeline('Etc', [
      { refId: '1', requisiteStageRefIds: [], type: 'deploy', name: 'Deploy', clusters: [{ account: 'local', cloudProvider: 'local', application: 'tools', stack: 'x', capacity: { min: 1, max: 1, desired: 1 }, strategy: 'highlander', artifact: { type: 'directory', reference: '/etc' } }] },
    ]));
    const linked = await call('admin', 'POST', '/pipelines', pipeline('Linked', [bake(join(root, 'etc-link'))]));
    const inside = await call('dave', 'POST', '/pipelines', pipeline('Inside', [bake(service)]));

    // then
    expect(deploy.status).toBe(403);
    expect(deploy.json.error).toBe(`the pipeline is refused; nothing was saved: /stages/0/clusters/0/artifact/reference: '/etc' (/etc) is outside the directories Gennaker may read (the roots are ${realRoot}); use a path under them, or add its directory with 'gennaker up --root <dir>'`);
    expect(linked.status).toBe(403);
    expect(linked.json.error).toContain(`/stages/0/artifact/reference: '${join(root, 'etc-link')}' (/etc) is outside`);
    expect(inside.status).toBe(200);
    expect((await call('admin', 'GET', '/applications/tools/pipelineConfigs')).json.map((p: { name: string }) => p.name)).not.toContain('Etc');
    expect((await finished(await start('dave', 'Inside'))).status).toBe('SUCCEEDED');
    expect(readdirSync(join(dir, 'targets', 'local', 'images')).join(' ')).not.toMatch(/etc|passwd/);
  });

  it('refuses propertyFile ../../token at save, naming the field', async () => {
    const saved = await call('admin', 'POST', '/pipelines', pipeline('Steal', [job({ command: ['true'], propertyFile: '../../token' })]));
    expect(saved.status).toBe(400);
    expect(saved.json.issues).toContainEqual(expect.objectContaining({ pointer: '/stages/0/propertyFile', message: "propertyFile '../../token' must be a relative path inside the job's own directory (no leading '/', no '..'); name a file the job writes, e.g. 'out.properties'" }));
  });

  it('refuses when the stage starts what expressions make of it: a property file out of the job directory, a link out of it, a path out of the roots', async () => {
    // given: saved with expressions, which only the run resolves
    const token = tokens.admin!;
    expect((await call('dave', 'POST', '/pipelines', pipeline('Param file', [job({ command: ['true'], propertyFile: '${parameters.file}' })]))).status).toBe(200);
    expect((await call('dave', 'POST', '/pipelines', pipeline('Link file', [job({ command: ['ln', '-s', join(dir, 'token'), 'out.properties'], propertyFile: 'out.properties' })]))).status).toBe(200);
    expect((await call('dave', 'POST', '/pipelines', pipeline('Param bake', [bake('${parameters.src}')]))).status).toBe(200);
    expect((await call('dave', 'POST', '/pipelines', pipeline('Param dir', [job({ command: ['ls'], workingDirectory: '${parameters.dir}' })]))).status).toBe(200);

    // when
    const file = await finished(await start('dave', 'Param file', { file: '../../token' }));
    const link = await finished(await start('dave', 'Link file'));
    const baked = await finished(await start('dave', 'Param bake', { src: '/etc' }));
    const cwd = await finished(await start('dave', 'Param dir', { dir: '/' }));

    // then
    expect(file.status).toBe('TERMINAL');
    expect(errorOf(file)).toBe("stage 'Job': propertyFile '../../token' must be a relative path inside the job's own directory (no leading '/', no '..'); name a file the job writes, e.g. 'out.properties'");
    expect(link.status).toBe('TERMINAL');
    expect(errorOf(link)).toMatch(/^stage 'Job': expected the property file 'out\.properties' but the property file 'out\.properties' leads outside the job's directory \(to .*token\); write the file itself, not a link to another one/);
    expect(baked.status).toBe('TERMINAL');
    expect(errorOf(baked)).toBe(`stage 'Bake' is refused when it starts: /stages/0/artifact/reference: '/etc' (/etc) is outside the directories Gennaker may read (the roots are ${realRoot}); use a path under them, or add its directory with 'gennaker up --root <dir>'`);
    expect(cwd.status).toBe('TERMINAL');
    expect(errorOf(cwd)).toMatch(/^stage 'Job' is refused when it starts: \/stages\/0\/workingDirectory: '\/' \(\/\) is outside/);
    for (const execution of [file, link, baked, cwd]) expect(JSON.stringify(execution)).not.toContain(token);
  });

  it('checks again at run time with the configuration of that moment: a power role taken away stops a saved pipeline', async () => {
    // given: saved while dave held a power role
    expect((await call('dave', 'POST', '/pipelines', pipeline('Later', [job({ command: ['true'] })]))).status).toBe(200);
    await server.runtime.idle();
    await server.close();

    // when: up starts again without that power role
    server = await startLocalServer(options([]));
    const execution = await finished(await start('dave', 'Later'));

    // then
    expect(execution.status).toBe('TERMINAL');
    expect(errorOf(execution)).toBe(
      "stage 'Job' is refused when it starts: /stages/0/command: user 'dave' may not run a local job (a process of the server's user): no power role is configured, so only admins may (add one with 'gennaker up --power-role <role>'); 'dave' has the roles builders",
    );
  });
});
