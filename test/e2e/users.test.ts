/**
 * Users, permissions, dangerous powers and the audit log as a person uses them: a real
 * `gennaker up --power-role builders --root <dir>` child process, `gennaker user add|list|remove`
 * on its state directory, client commands with each user's token (GENNAKER_TOKEN), and
 * `gennaker audit`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/gennaker.js');
const work = mkdtempSync(join(tmpdir(), 'gennaker-users-'));
const dataDir = join(work, '.gennaker');
const projects = join(work, 'projects');
mkdirSync(projects);
const env = { ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', GENNAKER_TOKEN: '' };

const started: ChildProcess[] = [];

function up(args: string[]): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(process.execPath, [bin, 'up', '--port', '0', '--data', dataDir, ...args], { cwd: work, env });
  started.push(child);
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`gennaker up did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Gennaker is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, endpoint: match[1]! });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gennaker up exited with ${code}: ${output}`)));
  });
}

/** Runs the CLI with `token` as GENNAKER_TOKEN (none: the admin token of the data directory). */
function gennaker(args: string[], token?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [bin, ...args, '--data', dataDir], { cwd: work, env: { ...env, GENNAKER_TOKEN: token ?? '' } }, (error, stdout, stderr) => {
      resolvePromise({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolvePromise) => child.once('exit', () => resolvePromise()));
}

function file(name: string, document: unknown): string {
  const path = join(work, name);
  writeFileSync(path, JSON.stringify(document));
  return path;
}

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(started.map(exited));
  rmSync(work, { recursive: true, force: true });
});

describe('gennaker user, permissions and audit', () => {
  it('adds users with their own tokens, enforces their permissions and powers, audits it, and removes them', { timeout: 180_000 }, async () => {
    // given: a user added before up runs, then up with a power role and a root
    const dave = await gennaker(['user', 'add', 'dave', '--roles', 'builders,ops']);
    const server = await up(['--power-role', 'builders', '--root', projects]);
    const endpoint = ['--endpoint', server.endpoint];

    // when: another is added while it runs
    const alice = await gennaker(['user', 'add', 'alice', '--roles', 'dev']);

    // then: each token is printed once, on stdout alone
    expect(alice.code).toBe(0);
    expect(alice.stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(alice.stderr).toContain("added user 'alice' with the roles dev; the token above is shown only now");
    const aliceToken = alice.stdout.trim();
    const daveToken = dave.stdout.trim();
    expect(readFileSync(join(dataDir, 'users.json'), 'utf8')).not.toContain(aliceToken);
    const again = await gennaker(['user', 'add', 'alice']);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe("error: user 'alice' exists already; remove it first (gennaker user remove alice) to give it a new token or other roles");
    expect((await gennaker(['user', 'add', 'bad', '--roles', 'a b'])).code).toBe(2);

    const listed = await gennaker(['user', 'list']);
    expect(listed.stdout).toMatch(/^admin +admin +- +the first-start token/m);
    expect(listed.stdout).toMatch(/^alice +user +dev +added \d{4}-/m);
    expect(listed.stdout).toMatch(/^dave +user +builders,ops /m);
    expect(listed.stdout).not.toContain(aliceToken);

    // and: an application only ops may change
    const admin = readFileSync(join(dataDir, 'token'), 'utf8').trim();
    const created = await fetch(`${server.endpoint}/applications`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'vault', permissions: { READ: ['ops', 'dev'], WRITE: ['ops'] } }) });
    expect(created.status).toBe(201);
    const wait = file('wait.json', { application: 'vault', name: 'Wait', stages: [{ refId: '1', type: 'wait', name: 'Wait', waitTime: 0 }] });
    const refused = await gennaker(['pipeline', 'save', '-f', wait, ...endpoint], aliceToken);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe("error: user 'alice' lacks WRITE on application 'vault': WRITE is held by the roles ops; 'alice' has the roles dev");
    expect((await gennaker(['pipeline', 'save', '-f', wait, ...endpoint], daveToken)).code).toBe(0);

    // and: local jobs need the power role, and paths stay under the root
    const shell = file('shell.json', { application: 'tools', name: 'Shell', stages: [{ refId: '1', type: 'runJob', name: 'Job', cloudProvider: 'local', shell: 'id' }] });
    const noPower = await gennaker(['pipeline', 'save', '-f', shell, ...endpoint], aliceToken);
    expect(noPower.code).toBe(1);
    expect(noPower.stderr).toContain("/stages/0/shell: user 'alice' may not run a local job (a process of the server's user): it needs one of the power roles builders");
    expect((await gennaker(['pipeline', 'save', '-f', shell, ...endpoint], daveToken)).code).toBe(0);
    const etc = file('etc.json', { application: 'tools', name: 'Etc', stages: [{ refId: '1', type: 'bake', name: 'Bake', package: 'etc', artifact: { type: 'directory', reference: '/etc' } }] });
    const outside = await gennaker(['pipeline', 'save', '-f', etc, ...endpoint]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain("/stages/0/artifact/reference: '/etc' (/etc) is outside the directories Gennaker may read");

    // when: the audit log is read
    const audit = await gennaker(['audit', '--app', 'vault', ...endpoint]);
    const auditJson = JSON.parse((await gennaker(['audit', '--json', ...endpoint])).stdout) as Array<Record<string, unknown>>;
    const notAdmin = await gennaker(['audit', ...endpoint], aliceToken);

    // then
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+ {2}alice {2}127\.0\.0\.1 {2}savePipeline {2}vault {2}Wait {2}forbidden {2}user 'alice' lacks WRITE/m);
    expect(audit.stdout).toMatch(/^\S+ {2}dave {2}127\.0\.0\.1 {2}savePipeline {2}vault {2}Wait {2}ok/m);
    expect(audit.stdout).not.toContain('tools');
    expect(auditJson).toContainEqual(expect.objectContaining({ action: 'user.add', target: 'alice', result: 'ok', source: 'cli' }));
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stderr.trim()).toBe("error: only admins may read the audit log; user 'alice' is not one");

    // when: a user is removed
    const removed = await gennaker(['user', 'remove', 'alice']);
    const after = await gennaker(['pipeline', 'list', 'vault', ...endpoint], aliceToken);

    // then: their token no longer works
    expect(removed.code).toBe(0);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('not authenticated');
    expect((await gennaker(['user', 'remove', 'admin'])).code).toBe(1);

    server.child.kill('SIGTERM');
    await exited(server.child);
  });

  it('runs gennaker run as an admin of its own process, with the current directory as its only root', { timeout: 120_000 }, async () => {
    const job = file('job.json', { application: 'tools', name: 'Job', stages: [{ refId: '1', type: 'runJob', name: 'Job', cloudProvider: 'local', shell: 'echo ran' }] });
    const ran = await gennaker(['run', job]);
    expect(ran.code).toBe(0);
    const etc = file('run-etc.json', { application: 'tools', name: 'Etc', stages: [{ refId: '1', type: 'bake', name: 'Bake', package: 'etc', artifact: { type: 'directory', reference: '/etc' } }] });
    const refused = await gennaker(['run', etc]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`/stages/0/artifact/reference: '/etc' (/etc) is outside the directories Gennaker may read (the roots are ${realpathSync(work)})`);
  });

  it('shows secrets as ****** in what gennaker run prints', { timeout: 120_000 }, async () => {
    const secret = file('secret.json', {
      application: 'tools',
      name: 'Secret',
      parameterConfig: [{ name: 'token', secret: true }],
      stages: [{ refId: '1', type: 'runJob', name: 'Leaky', cloudProvider: 'local', env: { TOKEN: '${parameters.token}' }, shell: 'echo "the token is $TOKEN"; exit 3' }],
    });
    const printed = await gennaker(['run', secret, '--param', 'token=s3cr3t-from-cli']);
    const json = await gennaker(['run', secret, '--param', 'token=s3cr3t-from-cli', '--json']);
    expect(printed.code).toBe(1);
    for (const output of [printed.stdout, printed.stderr, json.stdout, json.stderr]) expect(output).not.toContain('s3cr3t-from-cli');
    const shown = JSON.parse(json.stdout);
    expect(shown.trigger.parameters.token).toBe('******');
    expect(shown.stages[0].context.exception.details.error).toContain('the token is ******');
  });
});
