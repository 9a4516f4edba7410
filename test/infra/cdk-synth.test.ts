/**
 * `npx cdk synth` works offline: the real CDK CLI runs the app cdk.json names (tsx
 * infra/app.ts) in a child process with no AWS credentials, bundles the six functions with
 * scripts/build.js (the very bundles `npm run build` measures), runs cdk-nag, and writes the
 * template. A bad context value fails synthesis with a one-line message naming the key.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cdk = join(root, 'node_modules', 'aws-cdk', 'bin', 'cdk');
const outdirs: string[] = [];

/** The environment of a machine with no AWS account configured. */
function offlineEnvironment(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE|DEFAULT_PROFILE)$/.test(key)));
  const home = mkdtempSync(join(tmpdir(), 'gennaker-home-'));
  outdirs.push(home);
  return {
    ...env,
    // An empty home: no ~/.aws credentials or config to find.
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'missing-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'missing-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

function synth(...args: string[]): { status: number | null; stderr: string; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'gennaker-synth-'));
  outdirs.push(outdir);
  const result = spawnSync(process.execPath, [cdk, 'synth', '--quiet', '--no-notices', '--output', outdir, ...args], {
    cwd: root,
    env: offlineEnvironment(),
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stderr: result.stderr, outdir };
}

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

describe('npx cdk synth', () => {
  it('synthesizes the stack offline, with no credentials, and cdk-nag passes', async () => {
    // when
    const { status, stderr, outdir } = synth();

    // then
    expect({ status, stderr: status === 0 ? '' : stderr }).toEqual({ status: 0, stderr: '' });
    const templatePath = join(outdir, 'Gennaker.template.json');
    expect(existsSync(templatePath)).toBe(true);
    const template = JSON.parse(readFileSync(templatePath, 'utf8'));
    const functionNames = Object.values<{ Type: string; Properties: { FunctionName?: string } }>(template.Resources)
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((resource) => resource.Properties.FunctionName)
      .sort();
    expect(functionNames).toEqual(['gennaker-api', 'gennaker-notifier', 'gennaker-publisher', 'gennaker-reconciler', 'gennaker-stage-runner', 'gennaker-trigger-router']);
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((plugin: { violations: unknown[] }) => plugin.violations)).toEqual([]);

    // The stage runner's asset is exactly what scripts/build.js produces: the handler bundle
    // (its SDK clients inside, not the runtime's; no credential source but the environment) and
    // the on-demand YAML parser, under 850 KB together (the bundle alone stays under 800 KB:
    // bundle_kb_stage_runner in bench/results.json), plus what only some invocations load: the
    // AWS deploy targets with their SDK clients, the CloudWatch client of canary metrics, the Kubernetes targets with client-node, the
    // publisher client, the secret adapters (KMS, Secrets Manager), the Kubernetes, Lambda,
    // canary, clone, CodeBuild and runJob stage tasks, and the rendering of templated pipelines (a child pipeline
    // may be one), the artifact accounts (http/file and s3/object) and the S3 client an s3 account loads.
    const stageRunner = Object.values<{ Type: string; Properties: { FunctionName?: string }; Metadata?: Record<string, string> }>(template.Resources)
      .find((resource) => resource.Properties.FunctionName === 'gennaker-stage-runner')!;
    const asset = join(outdir, stageRunner.Metadata!['aws:asset:path']!);
    expect(readdirSync(asset).sort()).toEqual(['artifact-accounts.mjs', 'aws-metrics.mjs', 'aws-targets.mjs', 'canary-tasks.mjs', 'clone-tasks.mjs', 'codebuild-tasks.mjs', 'index.mjs', 'job-tasks.mjs', 'kubernetes-targets.mjs', 'lambda-tasks.mjs', 'manifest-tasks.mjs', 'publisher-client.mjs', 'rollout-tasks.mjs', 's3-artifacts.mjs', 'secret-adapters.mjs', 'template-render.mjs', 'webhook-tasks.mjs', 'yaml.cjs']);
    const coldStartKb = ['index.mjs', 'yaml.cjs'].reduce((sum, file) => sum + statSync(join(asset, file)).size, 0) / 1024;
    expect(coldStartKb).toBeLessThan(850);
    const built = mkdtempSync(join(tmpdir(), 'gennaker-build-'));
    outdirs.push(built);
    const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.js'), '--only', 'stage-runner', '--outdir', built], { cwd: root, encoding: 'utf8' });
    expect(build.status).toBe(0);
    for (const file of ['index.mjs', 'yaml.cjs', 'aws-targets.mjs', 'aws-metrics.mjs', 'kubernetes-targets.mjs', 'publisher-client.mjs', 'secret-adapters.mjs', 'manifest-tasks.mjs', 'lambda-tasks.mjs', 'canary-tasks.mjs', 'clone-tasks.mjs', 'codebuild-tasks.mjs', 'job-tasks.mjs', 'template-render.mjs', 'artifact-accounts.mjs', 's3-artifacts.mjs', 'rollout-tasks.mjs', 'webhook-tasks.mjs']) expect(readFileSync(join(asset, file)).equals(readFileSync(join(built, file)))).toBe(true);
    const bundle = readFileSync(join(asset, 'index.mjs'), 'utf8');
    expect(bundle.startsWith("import { createRequire as __gennakerRequire } from 'node:module';")).toBe(true);
    const clients = new Set([...bundle.matchAll(/serviceId\?\?"([^"]+)"/g)].map((match) => match[1]));
    expect(clients).toContain('DynamoDB');
    for (const unreachable of ['SSO', 'SSO OIDC', 'Signin', 'STS']) expect(clients).not.toContain(unreachable);
    expect(bundle).not.toContain('credential-provider-sso');
    // The deploy targets load on demand: their clients (and STS, to assume the accounts' roles) are in aws-targets.mjs only.
    expect(bundle).toContain('./aws-targets.mjs');
    // The Kubernetes, Lambda, canary, clone and CodeBuild stage tasks too, each in a module that answers its dispatcher.
    for (const [file, entry] of [['manifest-tasks.mjs', 'runManifestTask'], ['lambda-tasks.mjs', 'runLambdaTask'], ['canary-tasks.mjs', 'runKayentaCanaryTask'], ['canary-tasks.mjs', 'runCanaryDeployTask'], ['clone-tasks.mjs', 'runCloneServerGroupTask'], ['rollout-tasks.mjs', 'runContinueServiceDeploymentTask'], ['webhook-tasks.mjs', 'runCreateWebhook'], ['codebuild-tasks.mjs', 'runAwsCodeBuildTask']] as const) {
      expect(bundle).toContain(`./${file}`);
      expect(Object.keys(await import(pathToFileURL(join(asset, file)).href))).toContain(entry);
    }
    const targets = readFileSync(join(asset, 'aws-targets.mjs'), 'utf8');
    const targetClients = new Set([...targets.matchAll(/serviceId\?\?"([^"]+)"/g)].map((match) => match[1]));
    for (const client of ['EC2', 'Auto Scaling', 'Elastic Load Balancing v2', 'ECS', 'Application Auto Scaling', 'Lambda', 'STS']) {
      expect(targetClients).toContain(client);
      expect(clients).not.toContain(client);
    }
    expect(targets).not.toContain('credential-provider-sso');
    // The CloudWatch client of canary metrics loads with a canary's first fetch, and is nowhere else.
    const metrics = readFileSync(join(asset, 'aws-metrics.mjs'), 'utf8');
    expect(bundle).toContain('./aws-metrics.mjs');
    expect(new Set([...metrics.matchAll(/serviceId\?\?"([^"]+)"/g)].map((match) => match[1]))).toContain('CloudWatch');
    expect(clients).not.toContain('CloudWatch');
    expect(targetClients).not.toContain('CloudWatch');
    // The S3 client is in the module an s3 artifact account loads on its first read, and nowhere else.
    const s3 = readFileSync(join(asset, 's3-artifacts.mjs'), 'utf8');
    expect(new Set([...s3.matchAll(/serviceId\?\?"([^"]+)"/g)].map((match) => match[1]))).toContain('S3');
    expect(clients).not.toContain('S3');
    expect(targetClients).not.toContain('S3');
  }, 150_000);

  // One refusal through the CLI shows the path (a context error stops the synth with its line);
  // every context key's and account field's refusal is checked without a synth in context.test.ts.
  it('fails with one line naming a bad context value and the fix', () => {
    // when
    const { status, stderr } = synth('-c', 'prefix=9-lives');

    // then
    expect(status).not.toBe(0);
    expect(stderr).toContain("stateMachineNamePrefix '9-lives' is not usable: use 1-24 letters, digits or hyphens starting with a letter");
  }, 150_000);
});
