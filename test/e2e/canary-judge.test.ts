/**
 * `gennaker canary judge` as a user runs it: a real child process through bin/gennaker.js on
 * the fixture Kayenta config (four metrics in two groups, error-rate critical) and metric files
 * for a good canary, a slow one and one with errors.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'bin/gennaker.js');
const config = 'test/fixtures/canary/canary-config.json';
const data = (name: string) => `test/fixtures/canary/metrics-${name}.json`;

function gennaker(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

interface JudgeOutput {
  judgeResult: {
    judgeName: string;
    results: Array<{ name: string; classification: string; critical: boolean; classificationReason: string | null; controlMetadata: { stats: { count: number } }; resultMetadata?: { ratio: number | string } }>;
    groupScores: Array<{ name: string; score: number }>;
    score: { score: number; classification: string; classificationReason: string };
  };
}

describe('gennaker canary judge', () => {
  it('prints a table and a passing score for a good canary, exit 0', async () => {
    const { code, stdout } = await gennaker(['canary', 'judge', '--config', config, '--data', data('good')]);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^metric\s+classification\s+control mean\s+experiment mean\s+ratio\s+reason$/);
    for (const metric of ['error-rate', 'http-5xx', 'latency-p50', 'latency-p99']) expect(stdout).toMatch(new RegExp(`^${metric}\\s+Pass\\s`, 'm'));
    expect(stdout).toContain('groups: errors 100, latency 100');
    expect(lines.at(-1)).toBe('score: 100 Pass (marginal 50, pass 75)');
  });

  it('prints Kayenta’s judgeResult with --json: a slow canary is High on latency and Marginal overall', async () => {
    const { code, stdout } = await gennaker(['canary', 'judge', '--json', '--config', config, '--data', data('slow')]);
    expect(code).toBe(0);
    const { judgeResult } = JSON.parse(stdout) as JudgeOutput;
    expect(judgeResult.judgeName).toBe('NetflixACAJudge-v1.0');
    expect(judgeResult.results.map((result) => [result.name, result.classification])).toEqual([
      ['error-rate', 'Pass'],
      ['http-5xx', 'Pass'],
      ['latency-p50', 'High'],
      ['latency-p99', 'High'],
    ]);
    expect(judgeResult.groupScores).toEqual([
      { name: 'errors', score: 100, classification: '', classificationReason: '' },
      { name: 'latency', score: 0, classification: '', classificationReason: '' },
    ]);
    // errors weigh 60, latency 40
    expect(judgeResult.score).toEqual({ score: 60, classification: 'Marginal', classificationReason: '' });
    // one control gap in latency-p50 was removed (nanStrategy remove)
    expect(judgeResult.results[2]!.controlMetadata.stats.count).toBe(59);
  });

  it('fails the canary on the critical error-rate metric, still exit 0 because the judgement ran', async () => {
    const { code, stdout } = await gennaker(['canary', 'judge', '--json', '--config', config, '--data', data('errors')]);
    expect(code).toBe(0);
    const { judgeResult } = JSON.parse(stdout) as JudgeOutput;
    expect(judgeResult.results[0]).toMatchObject({ name: 'error-rate', classification: 'High', critical: true });
    expect(judgeResult.score).toEqual({ score: 0, classification: 'Fail', classificationReason: 'Canary Failed: The metric error-rate was classified as High (Critical)' });
  });

  it('takes the thresholds from --thresholds marginal,pass over the config’s', async () => {
    const { code, stdout } = await gennaker(['canary', 'judge', '--config', config, '--data', data('slow'), '--thresholds', '40,55']);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').at(-1)).toBe('score: 60 Pass (marginal 40, pass 55)');
  });

  it('fails with exit 1 and one line naming the place, the value and the fix for an invalid file', async () => {
    // given a metrics file with a text value and a config with a misspelt direction
    const dir = mkdtempSync(join(tmpdir(), 'gennaker-canary-'));
    const badData = join(dir, 'metrics.json');
    writeFileSync(badData, JSON.stringify({ control: { 'error-rate': [0.1, 'n/a'] }, experiment: {} }));
    const badConfig = join(dir, 'config.json');
    writeFileSync(badConfig, JSON.stringify({ metrics: [{ name: 'error-rate', groups: ['e'], analysisConfigurations: { canary: { direction: 'up' } } }] }));
    // when
    const [dataRun, configRun] = await Promise.all([
      gennaker(['canary', 'judge', '--config', config, '--data', badData]),
      gennaker(['canary', 'judge', '--config', badConfig, '--data', data('good')]),
    ]);
    // then
    expect(dataRun.code).toBe(1);
    expect(dataRun.stdout.trim()).toBe(`${badData}#/control/error-rate/1: expected a number, or null where the value is missing, got 'n/a' [error]`);
    expect(dataRun.stderr).toContain('invalid, nothing judged');
    expect(configRun.code).toBe(1);
    expect(configRun.stdout.trim()).toBe(`${badConfig}#/metrics/0/analysisConfigurations/canary/direction: expected one of increase, decrease, either, got 'up' [error]`);
  });

  it('fails with exit 1 for a missing file, and exit 2 for a wrong command line', async () => {
    const [missing, noConfig, badThresholds] = await Promise.all([
      gennaker(['canary', 'judge', '--config', 'no/such/config.json', '--data', data('good')]),
      gennaker(['canary', 'judge', '--data', data('good')]),
      gennaker(['canary', 'judge', '--config', config, '--data', data('good'), '--thresholds', '75']),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no/such/config.json: cannot read the file (ENOENT); check the path');
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toContain('canary judge needs --config <canary-config.json>');
    expect(badThresholds.code).toBe(2);
    expect(badThresholds.stderr).toContain("--thresholds '75' is not two numbers; give marginal,pass, e.g. --thresholds 50,75");
  });
});
