/**
 * The `gennaker` command as a user runs it: a real child process through bin/gennaker.js,
 * checking exit codes, stdout and stderr.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateAsl } from '../support/asl.ts';
import { CONFORMANCE_CORPUS } from '../support/conformance.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/gennaker.js');

function gennaker(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('gennaker validate', () => {
  it('accepts a valid pipeline and exits 0', () => {
    const { code, stdout, stderr } = gennaker(['validate', 'examples/pipelines/release.json']);
    expect(stdout).toBe('');
    expect(stderr).toContain('1 pipeline valid');
    expect(code).toBe(0);
  });

  it('fails with one line per problem and exit 1', () => {
    const { code, stdout } = gennaker(['validate', 'examples/pipelines/broken.json']);
    const lines = stdout.trim().split('\n');
    expect(code).toBe(1);
    expect(lines.length).toBeGreaterThanOrEqual(7);
    for (const line of lines) expect(line).toMatch(/^examples\/pipelines\/broken\.json#\/\S*: .+ \[(error|warning)\]$/);
    expect(stdout).toContain('#/stages/3/refId:');
    expect(stdout).toContain("#/stages/2/requisiteStageRefIds/1: refers to stage '9'");
    expect(stdout).toMatch(/cycle/);
    expect(stdout).toMatch(/stage type 'rollingPush' is not supported yet/);
    expect(stdout).toMatch(/stage type 'sleep' is unknown/);
    expect(stdout).toMatch(/#\/triggers\/0\/cronExpression: /);
    expect(stdout).toMatch(/#\/triggers\/1\/tag: /);
    expect(stdout).toMatch(/#\/stages\/0\/waitTime: /);
    expect(stdout).toMatch(/#\/stages\/2\/preconditions\/0\/context\/expression: .*position/);
  });

  it('prints the issues as data with --json', () => {
    const { code, stdout } = gennaker(['validate', '--json', 'examples/pipelines/broken.json']);
    const report = JSON.parse(stdout) as { valid: boolean; files: Array<{ issues: Array<{ pointer: string; code: string; message: string }> }> };
    expect(code).toBe(1);
    expect(report.valid).toBe(false);
    expect(report.files[0]!.issues.map((issue) => issue.code)).toContain('cycle');
  });

  it('reads YAML from standard input', () => {
    const yaml = 'application: hello\nname: From stdin\nstages:\n  - refId: "1"\n    type: wait\n    name: Pause\n    waitTime: 3\n';
    const { code, stderr } = gennaker(['validate', '-'], yaml);
    expect(stderr).toContain('1 pipeline valid');
    expect(code).toBe(0);
  });

  it('exits 2 with a clear message for a missing file', () => {
    const { code, stderr } = gennaker(['validate', 'no-such-file.json']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain("file 'no-such-file.json' does not exist");
  });

  it('exits 2 for an unknown command or option', () => {
    expect(gennaker(['frobnicate']).code).toBe(2);
    expect(gennaker(['validate', '--frob', 'x.json']).code).toBe(2);
  });
});

describe('gennaker compile', () => {
  it('prints valid ASL on stdout and the budgets with --report', () => {
    const { code, stdout, stderr } = gennaker(['compile', 'examples/pipelines/release.json', '--report']);
    expect(code).toBe(0);
    const definition = JSON.parse(stdout) as { StartAt: string; States: Record<string, unknown> };
    expect(validateAsl(definition)).toEqual([]);
    expect(stderr).toContain('worst-case history events');
    expect(stderr).toContain('definition bytes');
  });

  it('is deterministic: the same pipeline compiles to the same bytes', () => {
    const first = gennaker(['compile', 'examples/pipelines/release.json']).stdout;
    const second = gennaker(['compile', 'examples/pipelines/release.json']).stdout;
    expect(first).toBe(second);
  });

  it('writes the ASL to a file with --out', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gennaker-')), 'release.asl.json');
    const { code } = gennaker(['compile', 'examples/pipelines/release.json', '--out', out]);
    expect(code).toBe(0);
    expect(validateAsl(JSON.parse(readFileSync(out, 'utf8')))).toEqual([]);
  });

  it('refuses an invalid pipeline with its issues and exit 1', () => {
    const { code, stdout, stderr } = gennaker(['compile', 'examples/pipelines/broken.json']);
    expect(code).toBe(1);
    expect(stdout).toContain('cycle');
    expect(stderr).toContain('not compiled');
  });

  it('asks which pipeline to compile when a document holds several', () => {
    const file = join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_google-pipelineConfigs.json');
    const { code, stderr } = gennaker(['compile', file]);
    expect(code).toBe(2);
    expect(stderr).toContain('choose one with --pipeline NAME');
    const picked = gennaker(['compile', file, '--pipeline', 'Webhook Artifacts']);
    expect(picked.code).toBe(0);
  });
});
