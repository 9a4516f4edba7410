// Each Lambda bundle carries only what its function uses (functions/wiring.ts and the
// per-function builders beside it): built here with the same script the stack deploys, and
// checked by the inputs esbuild's metafile lists (`--analyze`), so an import that drags the stage
// runner into the API, or the Scheduler client into the runner, fails the suite.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FUNCTIONS = ['api', 'publisher', 'reconciler', 'stage-runner', 'triggers'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

interface Bundle {
  readonly bytes: number;
  /** The source files the bundle holds code of, relative to the repository. */
  readonly inputs: readonly string[];
}

/**
 * The input paths of `--analyze` output: one `├ path  size  percent` (or `└ ...`) line each.
 * Packages are named from their `node_modules/`, wherever that resolves (a worktree's
 * node_modules may be a link to another checkout's, which esbuild prints as `../x/node_modules/...`).
 */
function analyzedInputs(text: string): string[] {
  return [...text.matchAll(/^\s+[├└] (\S+)\s/gm)].map((match) => match[1]!.replace(/^(?:\.\.\/)+(?:[^/]+\/)*?(?=node_modules\/)/, ''));
}

const STAGE_RUNNER_ONLY = (input: string): boolean =>
  input === 'core/execution/stage-runner.ts' || input.startsWith('adapters/http/') || (input.startsWith('core/stages/') && input !== 'core/stages/manual-judgment.ts');

describe('the Lambda bundles', () => {
  let out: string;
  const bundles = new Map<FunctionName, Bundle>();

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'gennaker-bundles-'));
    for (const name of FUNCTIONS) {
      const outdir = join(out, name);
      const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.js'), '--only', name, '--outdir', outdir, '--analyze'], { cwd: root, encoding: 'utf8' });
      if (build.status !== 0) throw new Error(`building ${name} failed: ${build.stderr}`);
      bundles.set(name, { bytes: statSync(join(outdir, 'index.mjs')).size, inputs: analyzedInputs(build.stdout) });
    }
  }, 60_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  const bundle = (name: FunctionName): Bundle => bundles.get(name)!;

  it('keeps the API bundle under 800 KB', () => {
    expect(bundle('api').bytes).toBeLessThan(800 * 1024);
  });

  it("loads the API's cluster reads and the accounts' targets on demand: their code and SDK clients stay out of its cold start, in modules beside it", () => {
    // given: what the API's index.mjs holds
    const inputs = bundle('api').inputs;

    // then
    expect(inputs).toContain('functions/api/app.ts');
    const onDemand = inputs.filter(
      (input) =>
        input === 'functions/api/cluster-reads.ts' ||
        input === 'functions/aws-account-targets.ts' ||
        input === 'functions/aws-targets.ts' ||
        input === 'functions/kubernetes-targets.ts' ||
        input === 'core/deploy/clouddriver-shape.ts' ||
        input === 'core/deploy/targeting.ts' ||
        input.startsWith('adapters/targets/') ||
        input.startsWith('adapters/aws/') ||
        /^node_modules\/@aws-sdk\/client-(ec2|auto-scaling|elastic-load-balancing-v2|ecs|application-auto-scaling|lambda|sts)\/(?!node_modules\/)/.test(input),
    );
    expect(onDemand).toEqual([]);
    for (const module of ['cluster-reads.mjs', 'aws-targets.mjs', 'kubernetes-targets.mjs']) expect(existsSync(join(out, 'api', module))).toBe(true);
  });

  it("keeps the AWS and Kubernetes deploy targets, their SDK clients, the CloudWatch client of canary metrics, client-node, the publisher client and the Kubernetes and Lambda stage tasks out of the stage runner's cold start, which stays under 800 KB", () => {
    // given: what index.mjs holds; the targets load from aws-targets.mjs on a deploy target's first call
    const inputs = bundle('stage-runner').inputs;

    // then
    expect(inputs).toContain('functions/aws-account-targets.ts');
    const onDemand = inputs.filter(
      (input) =>
        input.startsWith('adapters/targets/aws-') ||
        input.startsWith('adapters/aws/') ||
        input === 'functions/aws-targets.ts' ||
        input === 'functions/aws-metrics.ts' ||
        input === 'adapters/metrics/cloudwatch-metric-source.ts' ||
        input === 'functions/kubernetes-targets.ts' ||
        input.startsWith('adapters/targets/kubernetes/') ||
        input.startsWith('node_modules/@kubernetes/client-node/') ||
        input === 'functions/publisher-client.ts' ||
        input === 'core/stages/manifest.ts' ||
        input === 'core/stages/lambda.ts' ||
        /^core\/stages\/(manifest|lambda|run-job-manifest|.*-manifest)[-.]/.test(input) ||
        /^node_modules\/@aws-sdk\/client-(ec2|auto-scaling|elastic-load-balancing-v2|ecs|application-auto-scaling|lambda|sts|cloudwatch)\/(?!node_modules\/)/.test(input),
    );
    expect(onDemand).toEqual([]);
    expect(bundle('stage-runner').bytes).toBeLessThan(800 * 1024);
  });

  it("holds the stage runner, the stage tasks of its cold start and the webhook client in the stage runner's bundle, and the webhook stage's tasks beside it", () => {
    // given: the inputs only the stage runner needs; this also proves the inputs were read
    const inputs = bundle('stage-runner').inputs;

    // then
    expect(inputs).toContain('core/execution/stage-runner.ts');
    expect(inputs).toContain('core/stages/deploy.ts');
    expect(inputs).toContain('adapters/http/fetch-http-client.ts');
    // the webhook stage loads on its first run (webhook-tasks.mjs)
    expect(inputs).not.toContain('core/stages/webhook.ts');
    expect(statSync(join(out, 'stage-runner', 'webhook-tasks.mjs')).size).toBeGreaterThan(1_000);
  });

  it.each(['api', 'publisher', 'reconciler', 'triggers'] as const)('keeps the stage runner, its stage tasks and the webhook client out of the %s bundle', (name) => {
    expect(bundle(name).inputs.length).toBeGreaterThan(50);
    expect(bundle(name).inputs.filter(STAGE_RUNNER_ONLY)).toEqual([]);
  });

  it.each([
    ['api', true],
    ['publisher', true],
    ['reconciler', false],
    ['stage-runner', false],
    ['triggers', false],
  ] as const)('gives the %s bundle the Scheduler client only when it saves pipelines (%s)', (name, saves) => {
    const scheduler = bundle(name).inputs.filter((input) => input.startsWith('node_modules/@aws-sdk/client-scheduler/') || input === 'adapters/scheduler/cron-schedules.ts');
    if (saves) expect(scheduler).toContain('adapters/scheduler/cron-schedules.ts');
    else expect(scheduler).toEqual([]);
  });

  it('keeps the HTTP framework in the API bundle alone', () => {
    const withHono = FUNCTIONS.filter((name) => bundle(name).inputs.some((input) => input.startsWith('node_modules/hono/')));
    expect(withHono).toEqual(['api']);
  });
});
