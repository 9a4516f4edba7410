/**
 * One release, every cloud: `gennaker run examples/pipelines/every-cloud.json --sandbox` as a user
 * runs it (a child process) deploys the same version red/black to the local target, EC2, ECS, GCE
 * and Kubernetes in parallel branches, then runs a canary analysis on Kubernetes and a one-click
 * rollback on EC2. Every target ends the same way (one enabled new server group, the previous one
 * disabled and kept, as `maxRemainingAsgs: 2` keeps it), except that the rollback puts EC2's
 * previous one back; and the capacity watch, reading each simulated cloud's own state, never saw
 * a cluster without a healthy instance in traffic.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callCount, runGennaker } from '../support/sandbox-cli.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pipeline = join(root, 'examples/pipelines/every-cloud.json');

let dir: string;
beforeAll(() => {
  // The local branch deploys `examples/service`, read from the directory the run starts in.
  dir = mkdtempSync(join(tmpdir(), 'gennaker-every-cloud-'));
  mkdirSync(join(dir, 'examples'));
  cpSync(join(root, 'examples/service'), join(dir, 'examples/service'), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface OrcaStage {
  readonly refId: string;
  readonly type: string;
  readonly name: string;
  readonly status: string;
  readonly context: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}

/** The lines of the cluster report after `sandbox: cluster <name> (<account>, <location>) after the run:`. */
function clusterAfterRun(output: string, heading: string): string[] {
  const lines = output.split('\n');
  const start = lines.findIndex((line) => line.startsWith(heading));
  expect(start, `no report '${heading}'`).toBeGreaterThanOrEqual(0);
  const rows: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('  ')) break;
    rows.push(line.trim().replace(/\s{2,}/g, '  '));
  }
  return rows;
}

describe('one release, every cloud', () => {
  it('deploys v2 red/black to local, EC2, ECS, GCE and Kubernetes, judges the Kubernetes canary, rolls EC2 back, and never leaves a cluster without healthy capacity', async () => {
    const result = await runGennaker(['run', pipeline, '--sandbox', '--json'], dir);
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(0);

    // Every account on its simulated cloud; the previous version of each cluster serving before the run.
    expect(output).toContain('sandbox: simulated accounts my-aws-prod (aws, us-west-2); my-ecs-prod (ecs, us-west-2); my-gce-prod (gce, us-central1); my-k8s-prod (kubernetes, prod)');
    expect(output).toContain('server group hello-prod-v000 (my-aws-prod, us-west-2, 2 instances Up, serving before the redblack deploy)');
    expect(output).toContain('server group hello-prod-v000 (my-ecs-prod, us-west-2, 2 tasks Up, serving before the redblack deploy)');
    expect(output).toContain('server group hello-prod-v000 (my-gce-prod, us-central1-b, 2 instances Up, serving before the run)');
    expect(output).toContain('backend service hello-prod-bs (sandbox-my-gce-prod, load balancer hello-https, port http, health check hello-prod-bs-hc)');
    expect(output).toContain('replicaSet prod/hello-v000 (my-k8s-prod, 2 pods Ready, behind service hello, the version before the run)');
    expect(output).toContain('sandbox: seeded server group hello-prod-v000 (local, local, 2 instances Up, serving examples/service@sandbox-previous before the redblack deploy)');

    // The execution: five deploys of v2, each red/black finished; the canary passed; the rollback named what it swapped.
    const execution = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'), result.stdout.lastIndexOf('}') + 1)) as { status: string; stages: OrcaStage[] };
    expect(execution.status).toBe('SUCCEEDED');
    const stage = (refId: string) => execution.stages.find((candidate) => candidate.refId === refId)!;
    expect(stage('1').context['deploy.server.groups']).toEqual({ local: ['hello-prod-v001'] });
    expect(stage('2').context['deploy.server.groups']).toEqual({ 'us-west-2': ['hello-prod-v001'] });
    expect(stage('3').context['deploy.server.groups']).toEqual({ 'us-west-2': ['hello-prod-v001'] });
    expect(stage('4').context['deploy.server.groups']).toEqual({ 'us-central1': ['hello-prod-v001'] });
    for (const refId of ['1', '2', '3', '4']) {
      expect(execution.stages.filter((candidate) => candidate.refId.startsWith(`${refId}>`)).map((child) => [child.type, child.status])).toEqual([
        ['createServerGroup', 'SUCCEEDED'],
        ['shrinkCluster', 'SUCCEEDED'],
        ['disableCluster', 'SUCCEEDED'],
      ]);
    }
    expect(execution.stages.filter((candidate) => candidate.refId.startsWith('5>')).map((child) => [child.name, child.status])).toEqual([['Disable replicaSet hello-v000 (prod)', 'SUCCEEDED']]);
    expect(stage('6').status).toBe('SUCCEEDED');
    expect(stage('6').outputs).toMatchObject({ overallScore: 100, overallResult: 'success', controlScope: 'hello-v000', experimentScope: 'hello-v001' });
    expect(stage('7').context['rollbackContext']).toMatchObject({ rollbackServerGroupName: 'hello-prod-v001', restoreServerGroupName: 'hello-prod-v000' });

    // Zero moments without healthy capacity in traffic, on every cloud, by the clouds' own state.
    for (const cluster of ['hello-prod (local, local)', 'hello-prod (my-aws-prod, us-west-2)', 'hello-prod (my-ecs-prod, us-west-2)', 'hello-prod (my-gce-prod, us-central1)', 'service hello (my-k8s-prod, prod)']) {
      expect(output).toMatch(new RegExp(`sandbox: cluster ${cluster.replace(/[()]/g, '\\$&')} always had healthy capacity in traffic during the run \\(at least 2 healthy, \\d+ samples\\)`));
    }
    expect(output).not.toContain('NO healthy capacity');

    // The same end state everywhere: the new server group serving, the previous one disabled and kept.
    expect(clusterAfterRun(output, 'sandbox: cluster hello-prod (local, local) after the run:')).toEqual([
      'hello-prod-v000  disabled, 2/2 Up, capacity min 2 max 2 desired 2, runs service@sandbox-previous',
      'hello-prod-v001  serving, 2/2 Up, capacity min 2 max 2 desired 2, runs hello@v2',
    ]);
    expect(clusterAfterRun(output, 'sandbox: cluster hello-prod (my-gce-prod, us-central1) after the run:')).toEqual([
      'hello-prod-v000  disabled, 2/2 Up, capacity min 2 max 2 desired 2, runs hello-sandbox-previous',
      'hello-prod-v001  serving, 2/2 Up, capacity min 2 max 2 desired 2, runs hello-v2',
    ]);
    const ecs = clusterAfterRun(output, 'sandbox: cluster hello-prod (my-ecs-prod, us-west-2) after the run:');
    // Spinnaker's ECS disable scales the service to 0 tasks; it is kept.
    expect(ecs[0]).toMatch(/^hello-prod-v000 {2}disabled, 0\/0 Up, capacity min 2 max 2 desired 0, runs 123456789012\.dkr\.ecr\.us-west-2\.amazonaws\.com\/hello:sandbox-previous$/);
    expect(ecs[1]).toMatch(/^hello-prod-v001 {2}serving, 2\/2 Up, capacity min 2 max 2 desired 2, runs 123456789012\.dkr\.ecr\.us-west-2\.amazonaws\.com\/hello:v2$/);
    expect(clusterAfterRun(output, 'sandbox: namespace prod (my-k8s-prod) after the run:')).toEqual([
      'ReplicaSet hello-v000  no traffic, 2/2 Ready, runs 123456789012.dkr.ecr.us-west-2.amazonaws.com/hello:sandbox-previous',
      'ReplicaSet hello-v001  serving, 2/2 Ready, runs 123456789012.dkr.ecr.us-west-2.amazonaws.com/hello:v2',
    ]);
    // EC2 reached the same state, then the rollback put the previous server group back.
    expect(clusterAfterRun(output, 'sandbox: cluster hello-prod (my-aws-prod, us-west-2) after the run:')).toEqual([
      'hello-prod-v000  serving, 2/2 Up, capacity min 2 max 2 desired 2',
      'hello-prod-v001  disabled, 2/2 Up, capacity min 2 max 2 desired 2',
    ]);

    // GCE as clouddriver drives it: one template, one MIG, backends by fingerprinted updates (v001 in, v000 out).
    expect(callCount(output, 'gce:instanceTemplates.insert')).toBe(1);
    expect(callCount(output, 'gce:instanceGroupManagers.insert')).toBe(1);
    expect(callCount(output, 'gce:backendServices.update')).toBe(2);
    // The local deploys went to a scratch target that stopped with the run.
    expect(existsSync(join(dir, '.gennaker', 'targets', 'local'))).toBe(false);
  }, 120_000);
});
