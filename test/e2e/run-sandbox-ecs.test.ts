/**
 * `gennaker run --sandbox` on ECS as a user runs it: a child process runs Spinnaker's own ECS
 * pipeline (the conformance corpus, unchanged) and the ECS red/black example against the AWS
 * simulator through the real SDK clients. The run seeds what each pipeline assumes — the ECS
 * cluster, subnets, security group, target group behind a listener, the task-definition artifact
 * its expected artifact names (served by a sandbox artifact account), the image its docker trigger
 * would bring, and the service a red/black replaces — reports it, runs the red/black, reports the
 * cluster it left and the cloud calls by API action.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callCount, runGennaker } from '../support/sandbox-cli.ts';
import { CONFORMANCE_CORPUS } from '../support/conformance.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const conformance = join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_ecs-pipelineConfigs.json');
const example = join(root, 'examples/pipelines/ecs-redblack.json');

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gennaker-run-sandbox-ecs-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


/** The Orca-shaped execution `--json` prints. */
function executionOf(stdout: string): { status: string; trigger: Record<string, unknown>; stages: Array<{ type: string; status: string; context: Record<string, unknown> }> } {
  return JSON.parse(stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('}') + 1));
}

describe('gennaker run --sandbox on ECS', () => {
  it("runs Spinnaker's ECS pipeline unchanged: its task definition read through the artifact account, the trigger's image supplied, v000 replaced by v001", async () => {
    const result = await runGennaker(['run', conformance, '--sandbox', '--json'], dir);
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(0);

    // What was seeded, and said.
    expect(output).toMatch(/sandbox: simulated accounts ecs-my-aws-devel-acct \(ecs, us-west-2\)/);
    expect(output).toMatch(/ECS cluster arn:aws:ecs:us-west-2:\d{12}:cluster\/spinnaker-deployment-cluster \(spinnaker-deployment-cluster, us-west-2\)/);
    for (const zone of ['a', 'b', 'c', 'd']) expect(output).toMatch(new RegExp(`subnet subnet-[0-9a-f]+ \\(private-subnet, us-west-2${zone}\\)`));
    expect(output).toMatch(/security group sg-[0-9a-f]+ \(spinnaker-ecs-demo-private-access, us-west-2\)/);
    expect(output).toMatch(/target group arn:aws:elasticloadbalancing:[^ ]+:targetgroup\/spinnaker-ecs-demo-tg\/[0-9a-f]+ \(spinnaker-ecs-demo-tg, port 80\)/);
    expect(output).toContain(
      'artifact github/file https://api.github.com/repos/ecs-examples/spinnaker-artifacts/contents/demo-task-def.json@master (generated Fargate task definition, containers v001; account my-github-artifact-account)',
    );
    expect(output).toContain(
      'trigger image 123456789012.dkr.ecr.us-west-2.amazonaws.com/spinnaker-deployment-images:sandbox (docker/image on the manual trigger for imageDescription.fromTrigger, which a manual run lacks; the service it replaces runs :sandbox-previous)',
    );
    expect(output).toContain('server group ecsapp-prod-ecsdemo-v000 (ecs-my-aws-devel-acct, us-west-2, 3 tasks Up, serving before the redblack deploy)');

    // The execution: the expected artifact bound to its default, the red/black's four steps done.
    const execution = executionOf(result.stdout);
    expect(execution.status).toBe('SUCCEEDED');
    const resolved = execution.trigger['resolvedExpectedArtifacts'] as Array<{ id: string; boundArtifact: Record<string, unknown> }>;
    expect(resolved.map((expected) => [expected.id, expected.boundArtifact['type'], expected.boundArtifact['artifactAccount']])).toEqual([
      ['bde8fefb-265c-4a30-bf01-2d1cbd136953', 'github/file', 'my-github-artifact-account'],
    ]);
    const deploy = execution.stages.find((stage) => stage.type === 'deploy');
    expect(deploy?.context['deploy.server.groups']).toEqual({ 'us-west-2': ['ecsapp-prod-ecsdemo-v001'] });
    expect(execution.stages.filter((stage) => stage.type !== 'deploy').map((stage) => [stage.type, stage.status])).toEqual([
      ['createServerGroup', 'SUCCEEDED'],
      ['shrinkCluster', 'SUCCEEDED'],
      ['disableCluster', 'SUCCEEDED'],
      ['scaleDownCluster', 'SUCCEEDED'],
    ]);

    // What the run left: v001 serves its three tasks, v000 is disabled and scaled down to nothing.
    expect(output).toMatch(/sandbox: cluster ecsapp-prod-ecsdemo \(ecs-my-aws-devel-acct, us-west-2\) after the run:/);
    const image = '123456789012.dkr.ecr.us-west-2.amazonaws.com/spinnaker-deployment-images';
    expect(output).toMatch(new RegExp(`ecsapp-prod-ecsdemo-v000 {2}disabled(, draining)?, 0/\\d Up, capacity min 0 max 0 desired 0, runs ${image}:sandbox-previous\n`));
    expect(output).toContain(`ecsapp-prod-ecsdemo-v001  serving, 3/3 Up, capacity min 2 max 6 desired 3, runs ${image}:sandbox\n`);

    // The run's changes are clouddriver's: one task definition, one service, its scalable target; v000 suspended, scaled to 0, resized to 0.
    expect(output).toMatch(/sandbox: the run made \d+ cloud calls, by API action:/);
    expect(callCount(output, 'ecs:RegisterTaskDefinition')).toBe(1);
    expect(callCount(output, 'ecs:CreateService')).toBe(1);
    expect(callCount(output, 'ecs:UpdateService')).toBe(2);
    expect(callCount(output, 'application-autoscaling:RegisterScalableTarget')).toBe(3);
    expect(callCount(output, 'ecs:DeleteService')).toBeUndefined();
  });

  it('runs the ECS red/black example with a parameter: the image tag given, v000 replaced by v001', async () => {
    const result = await runGennaker(['run', example, '--sandbox', '--param', 'tag=2.4.0'], dir);
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(0);
    expect(output).toMatch(/sandbox: simulated accounts my-ecs-prod \(ecs, eu-west-1\)/);
    expect(output).toMatch(/ECS cluster arn:aws:ecs:eu-west-1:\d{12}:cluster\/prod-services \(prod-services, eu-west-1\)/);
    expect(output).toContain('server group orders-prod-api-v000 (my-ecs-prod, eu-west-1, 2 tasks Up, serving before the redblack deploy)');
    // The example names its image: nothing is made up for it.
    expect(output).not.toMatch(/trigger image|artifact github/);
    expect(output).toContain("pipeline 'ecs-redblack' SUCCEEDED");
    expect(output).toMatch(/orders-prod-api-v000 {2}disabled(, draining)?, 0\/\d Up, capacity min 0 max 0 desired 0/);
    expect(output).toContain('orders-prod-api-v001  serving, 2/2 Up, capacity min 2 max 4 desired 2, runs 123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api:2.4.0\n');
    expect(callCount(output, 'ecs:RegisterTaskDefinition')).toBe(1);
    expect(callCount(output, 'ecs:CreateService')).toBe(1);
  });
});
