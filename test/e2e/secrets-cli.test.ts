/**
 * Named secrets as a person uses them: `gennaker secret set|list|remove` on a state directory
 * (the value on standard input), and `gennaker run` of a pipeline that reads one with
 * `${#secret('name')}`: the stage uses the value, the printed execution and the files show none.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/gennaker.js');
const work = mkdtempSync(join(tmpdir(), 'gennaker-secret-cli-'));
const dataDir = join(work, '.gennaker');
const env = { ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', GENNAKER_TOKEN: '' };
const VALUE = 'pa55-w0rd-from-stdin';

function gennaker(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = execFile(process.execPath, [bin, ...args, '--data', dataDir], { cwd: work, env }, (error, stdout, stderr) => {
      resolvePromise({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('gennaker secret', () => {
  it('sets a secret from standard input, lists it without its value, and a run reads it without showing it', async () => {
    // when
    const set = await gennaker(['secret', 'set', 'db-password', '--app', 'secret-demo'], `${VALUE}\n`);
    const listed = await gennaker(['secret', 'list', '--json']);
    writeFileSync(
      join(work, 'pipeline.json'),
      JSON.stringify({
        application: 'secret-demo',
        name: 'Reads a secret',
        stages: [{ refId: '1', type: 'evaluateVariables', name: 'Read', variables: [{ key: 'length', value: "${#secret('db-password').length()}" }, { key: 'copy', value: "user:${#secret('db-password')}" }] }],
      }),
    );
    const run = await gennaker(['run', join(work, 'pipeline.json'), '--json']);

    // then
    expect(set.code).toBe(0);
    expect(set.stderr + set.stdout).toContain("set secret 'db-password' for the applications secret-demo");
    expect(JSON.parse(listed.stdout)).toEqual([{ name: 'db-password', applications: ['secret-demo'], updated: expect.any(String) }]);
    expect(run.code).toBe(0);
    const execution = JSON.parse(run.stdout);
    expect(execution.stages[0].outputs).toMatchObject({ length: VALUE.length, copy: 'user:******' });
    for (const output of [set, listed, run]) expect(output.stdout + output.stderr).not.toContain(VALUE);
    expect(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).not.toContain(VALUE);
    expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    const audit = readFileSync(join(dataDir, 'audit.log'), 'utf8');
    expect(audit).toContain('"action":"secret.set"');
    expect(audit).not.toContain(VALUE);
  });

  it('removes a secret, and refuses a bad name or an empty value', async () => {
    // when
    const removed = await gennaker(['secret', 'remove', 'db-password']);
    const again = await gennaker(['secret', 'remove', 'db-password']);
    const badName = await gennaker(['secret', 'set', 'bad name'], 'x');
    const empty = await gennaker(['secret', 'set', 'empty'], '');

    // then
    expect(removed.code).toBe(0);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("there is no secret 'db-password'");
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain("secret name 'bad name' must be 1-512 of the characters");
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("the value of secret 'empty' is empty");
  });
});
