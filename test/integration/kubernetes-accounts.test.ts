/**
 * Kubernetes accounts of the data directory's accounts file, served by the Kubernetes target in
 * local mode: `gennaker run` and `gennaker up` connect each one at start (a kubeconfig file and
 * context, or an EKS cluster whose tokens are signed by an assumed role), run manifest stages
 * against the cluster through real client-node and HTTP (the Kubernetes simulator), and refuse
 * to start, naming the account and the field, when an account cannot be connected.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingIoHost, type IoMessage } from '../../core/io-host.ts';
import { main } from '../../cli/main.ts';
import { startLocalServer } from '../../local/server.ts';
import { startAwsSimulator, type AwsSimulator } from '../../sandbox/aws/server.ts';
import { startKubernetesSimulator, type KubernetesSimulator } from '../../sandbox/kubernetes/server.ts';

const ROLE = 'arn:aws:iam::210987654321:role/gennaker-deployer';
let sim: KubernetesSimulator;
let aws: AwsSimulator;
const dirs: string[] = [];

beforeAll(async () => {
  sim = await startKubernetesSimulator({ podReadyAfterMs: 1000 });
  aws = await startAwsSimulator({ seed: 5 });
  aws.seed.sts.role({ arn: ROLE });
  for (const name of ['web-v000', 'api-v000']) {
    sim.seed([
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name, namespace: 'web', labels: { app: name } },
        spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } } },
      },
    ]);
  }
  // Its pods Ready: the ReplicaSet is stable before any stage runs.
  sim.tick(5_000);
});

afterAll(async () => {
  await sim?.close();
  await aws?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A data directory whose accounts file holds `accounts`, beside a kubeconfig file for the simulator with contexts `sim` and `other`. */
function dataDir(accounts: readonly Record<string, unknown>[]): { dir: string; kubeconfig: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gennaker-k8s-accounts-'));
  dirs.push(dir);
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: sim',
      '  cluster:',
      `    server: ${sim.url}`,
      // The simulator speaks plain HTTP.
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: deployer',
      '  user:',
      '    token: local-token',
      'contexts:',
      '- name: sim',
      '  context: {cluster: sim, user: deployer}',
      'current-context: sim',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'accounts.json'), JSON.stringify({ accounts: accounts.map((account) => JSON.parse(JSON.stringify(account).replaceAll('<kubeconfig>', kubeconfig))) }));
  return { dir, kubeconfig };
}

function scalePipeline(dir: string, account: string, replicaSet: string, replicas: number): string {
  const file = join(dir, 'scale.json');
  writeFileSync(
    file,
    JSON.stringify({
      application: 'web',
      name: 'scale web',
      stages: [{ refId: '1', type: 'scaleManifest', name: 'Scale', account, cloudProvider: 'kubernetes', location: 'web', manifestName: `replicaSet ${replicaSet}`, replicas }],
    }),
  );
  return file;
}

async function gennaker(...args: string[]): Promise<{ code: number; errors: readonly string[]; messages: readonly IoMessage[] }> {
  const io = createRecordingIoHost();
  const code = await main(args, { io });
  return { code, errors: io.messages.filter((message) => message.kind === 'error').map((message) => (message as { message: string }).message), messages: io.messages };
}

const replicasOf = (name: string) => sim.describe().namespaces.find((namespace) => namespace.name === 'web')!.workloads.find((workload) => workload.name === name)!.replicas;

describe('gennaker run with a Kubernetes account in the accounts file', () => {
  it('scales a ReplicaSet in the cluster its kubeconfig file and context name', async () => {
    // given
    const { dir } = dataDir([{ name: 'k8s-local', cloudProvider: 'kubernetes', kubeconfigFile: '<kubeconfig>', context: 'sim', namespaces: ['web'] }]);
    const before = sim.calls().length;

    // when
    const run = await gennaker('run', scalePipeline(dir, 'k8s-local', 'web-v000', 1), '--data', dir);

    // then
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(replicasOf('web-v000')).toBe(1);
    expect(sim.calls().slice(before).some((call) => call.path === '/apis/apps/v1/namespaces/web/replicasets/web-v000/scale' && call.method !== 'GET')).toBe(true);
  }, 60_000);

  it('fails the stage, without a call, when it names a namespace the account may not use', async () => {
    // given
    const { dir } = dataDir([{ name: 'k8s-local', cloudProvider: 'kubernetes', kubeconfigFile: '<kubeconfig>', namespaces: ['jobs'] }]);
    const before = sim.calls().length;

    // when
    const run = await gennaker('run', scalePipeline(dir, 'k8s-local', 'web-v000', 3), '--data', dir);

    // then
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toContain("location is 'web', a namespace account 'k8s-local' may not use (its namespaces: jobs)");
    expect(sim.calls().length).toBe(before);
  }, 60_000);

  it.each([
    ['a kubeconfig file that does not exist', { kubeconfigFile: '/nonexistent/kubeconfig' }, "kubernetes account 'k8s-local': kubeconfigFile '/nonexistent/kubeconfig' cannot be read (ENOENT); give the path of a readable kubeconfig"],
    ['a context the kubeconfig lacks', { kubeconfigFile: '<kubeconfig>', context: 'prod' }, "kubernetes account 'k8s-local': context: context 'prod' is not in <kubeconfig> (its contexts: sim); name one of them"],
  ])('refuses to start with %s, in one line naming the account and the field', async (_, fields, message) => {
    // given
    const { dir, kubeconfig } = dataDir([{ name: 'k8s-local', cloudProvider: 'kubernetes', ...fields }]);
    const before = sim.calls().length;

    // when
    const run = await gennaker('run', scalePipeline(dir, 'k8s-local', 'web-v000', 3), '--data', dir);

    // then
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([message.replace('<kubeconfig>', kubeconfig)]);
    expect(sim.calls().length).toBe(before);
  });
});

describe('gennaker up with Kubernetes accounts in the accounts file', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('runs a saved pipeline on an EKS account, its tokens signed by the role it assumes', async () => {
    // given: an EKS account whose endpoint and CA are the kubeconfig's; STS is the AWS simulator's
    const { dir } = dataDir([{ name: 'prod-eks', cloudProvider: 'kubernetes', kubeconfigFile: '<kubeconfig>', eks: { clusterName: 'prod', region: 'us-east-1' }, assumeRole: ROLE }]);
    // The server's clock is the AWS simulator's, by which the assumed session expires.
    const server = await startLocalServer({ dir, port: 0, localTarget: false, clock: { now: () => aws.now() }, kubernetes: { aws: { endpoint: aws.endpoint, credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' } } } });
    close = () => server.close();
    const caller = { user: 'admin', roles: [], admin: true, source: 'cli' } as const;

    // when
    const saved = await server.runtime.service.savePipeline({ config: { application: 'api', name: 'scale api', stages: [{ refId: '1', type: 'scaleManifest', name: 'Scale', account: 'prod-eks', location: 'web', manifestName: 'replicaSet api-v000', replicas: 1 }] } }, caller);
    if (!saved.ok) throw new Error(JSON.stringify(saved));
    const started = await server.runtime.service.startPipeline({ application: 'api', pipeline: saved.saved.id, trigger: { type: 'manual', user: 'admin' } }, caller);
    if (!started.ok) throw new Error(started.message);
    await server.runtime.idle();

    // then
    expect((await server.runtime.store.getExecution(started.executionId))?.status).toBe('SUCCEEDED');
    expect(replicasOf('api-v000')).toBe(1);
    expect(aws.calls({ service: 'sts', action: 'AssumeRole' }).map((call) => call.accessKeyId)).toEqual(['AKIDLOCAL']);
  }, 60_000);

  it('refuses to start with an account it cannot connect, naming it and the field', async () => {
    // given
    const { dir } = dataDir([{ name: 'k8s-local', cloudProvider: 'kubernetes', kubeconfigFile: '/nonexistent/kubeconfig' }]);

    // when
    const up = startLocalServer({ dir, port: 0, localTarget: false });

    // then
    await expect(up).rejects.toThrow("kubernetes account 'k8s-local': kubeconfigFile '/nonexistent/kubeconfig' cannot be read (ENOENT)");
  });
});
