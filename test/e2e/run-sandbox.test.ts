/**
 * `gennaker run --sandbox` as a user runs it: a child process deploys the EC2 red/black example to
 * the AWS simulator through the real SDK clients. The run seeds what the pipeline assumes (the
 * AMI, subnets of its subnetType, the security group, the target group behind a listener, and the
 * server group a red/black replaces), reports it, runs the whole red/black, and prints the cloud
 * calls by API action. A name the pipeline leaves to an expression is not seeded: the simulator
 * stays strict and the deploy fails as AWS would fail it. A cluster with a wrong field is refused
 * at save, by `validate` and by `run`, before any deploy call.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callCount, runGennaker } from '../support/sandbox-cli.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const example = join(root, 'examples/pipelines/ec2-redblack.json');
const lambdaExample = join(root, 'examples/pipelines/lambda-weighted.json');

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gennaker-run-sandbox-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe('gennaker run --sandbox', () => {
  it('runs the EC2 red/black example against the simulated AWS: seeds, replaces v000 with v001, reports the calls', async () => {
    const result = await runGennaker(['run', example, '--sandbox', '--json'], dir);
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(0);
    expect(output).toMatch(/sandbox: simulated accounts my-aws-prod \(aws, us-west-2\)/);
    expect(output).toMatch(/image ami-[0-9a-f]+ \(webshop-1\.4\.2-x86_64-202612070900/);
    expect(output).toMatch(/subnet subnet-[0-9a-f]+ \(internal \(vpc0\), us-west-2a\)/);
    expect(output).toMatch(/subnet subnet-[0-9a-f]+ \(internal \(vpc0\), us-west-2b\)/);
    expect(output).toMatch(/security group sg-[0-9a-f]+ \(webshop-internal/);
    // The account deploys to us-west-2: what is seeded there is named with that region's ARNs.
    expect(output).toMatch(/target group arn:aws:elasticloadbalancing:us-west-2:\d{12}:targetgroup\/webshop-prod-tg\//);
    expect(output).toMatch(/server group webshop-prod-v000 \(my-aws-prod, us-west-2, 2 instances Up, serving before the redblack deploy\)/);

    // Orca's shape on stdout: the deploy made v001, and the red/black disabled and scaled down v000.
    const execution = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'), result.stdout.lastIndexOf('}') + 1)) as { status: string; stages: Array<{ type: string; status: string; context: Record<string, unknown> }> };
    expect(execution.status).toBe('SUCCEEDED');
    const deploy = execution.stages.find((stage) => stage.type === 'deploy');
    expect(deploy?.context['deploy.server.groups']).toEqual({ 'us-west-2': ['webshop-prod-v001'] });
    // The red/black never left the target group without a healthy instance, as the simulator's own target health shows.
    expect(output).toMatch(/sandbox: cluster webshop-prod \(my-aws-prod, us-west-2\) always had healthy capacity in traffic during the run \(at least 2 healthy, \d+ samples\)/);

    // The calls of the run only (the seeding's are not counted), as clouddriver makes them.
    expect(output).toMatch(/sandbox: the run made \d+ cloud calls, by API action:/);
    expect(callCount(output, 'autoscaling:CreateAutoScalingGroup')).toBe(1);
    expect(callCount(output, 'ec2:CreateLaunchTemplate')).toBe(1);
    expect(callCount(output, 'autoscaling:SuspendProcesses')).toBe(1);
    expect(callCount(output, 'elasticloadbalancing:DeregisterTargets')).toBe(1);
    // The disabled v000 keeps Terminate suspended: its scale-down terminates the instances itself.
    expect(callCount(output, 'autoscaling:UpdateAutoScalingGroup')).toBe(1);
    expect(callCount(output, 'ec2:TerminateInstances')).toBe(1);
  });

  it('seeds only what the run can know: an AMI a trigger would name is unknown, fails as AWS fails it, and the run exits 1', async () => {
    const pipeline = JSON.parse(readFileSync(example, 'utf8')) as { stages: Array<{ clusters: Array<Record<string, unknown>> }> };
    pipeline.stages[0]!.clusters[0]!['amiName'] = '${trigger.properties.ami}';
    pipeline.stages[0]!.clusters[0]!['strategy'] = '';
    const file = join(dir, 'ami-from-trigger.json');
    writeFileSync(file, JSON.stringify(pipeline));
    const result = await runGennaker(['run', file, '--sandbox'], dir);
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(1);
    expect(output).not.toMatch(/image ami-/);
    expect(output).toMatch(/amiName is "\$\{trigger\.properties\.ami\}"; no image of that name exists in us-west-2/);
    expect(callCount(output, 'autoscaling:CreateAutoScalingGroup')).toBeUndefined();
  });

  it('refuses a wrong cluster at save, before any deploy call: validate names the bad fields, run --sandbox an instance type the account does not offer', async () => {
    const altered = (fields: Record<string, unknown>, name: string) => {
      const pipeline = JSON.parse(readFileSync(example, 'utf8')) as { stages: Array<{ clusters: Array<Record<string, unknown>> }> };
      Object.assign(pipeline.stages[0]!.clusters[0]!, fields);
      const file = join(dir, name);
      writeFileSync(file, JSON.stringify(pipeline));
      return file;
    };
    const invalid = altered({ instanceType: 5, amiName: undefined }, 'bad-fields.json');
    const validated = await runGennaker(['validate', invalid], dir);
    expect(validated.code).toBe(1);
    expect(validated.stdout + validated.stderr).toContain(`${invalid}#/stages/0/clusters/0/instanceType: provider field instanceType is 5; set an EC2 instance type, e.g. "m5.large" [error]`);
    expect(validated.stdout + validated.stderr).toContain(`${invalid}#/stages/0/clusters/0/amiName: provider field amiName is missing; set the AMI to run`);

    const result = await runGennaker(['run', altered({ instanceType: 'm5.gigantic' }, 'bad-type.json'), '--sandbox'], dir);
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(1);
    expect(output).toContain('bad-type.json#/stages/0/clusters/0/instanceType: provider field instanceType is "m5.gigantic"; EC2 offers no such instance type in us-west-2');
    expect(output).toContain('not run; fix the issues above and run again');
    expect(callCount(output, 'ec2:DescribeInstanceTypes')).toBe(1);
    expect(callCount(output, 'ec2:CreateLaunchTemplate')).toBeUndefined();
  });

  it('rolls the Lambda example out 10% → 50% → 100% over the live version the sandbox made, with its code object seeded from the parameters', async () => {
    const result = await runGennaker(['run', lambdaExample, '--sandbox', '--param', 'version=2.0.0', '--param', 'watchSeconds=1', '--json'], dir);
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(0);
    expect(output).toMatch(/code object s3:\/\/hello-artifacts\/hello-api\/2\.0\.0\.zip/);
    expect(output).toMatch(/function hello-api \(aws-sandbox, us-east-1, version 1 live behind alias live, before the rollout\)/);
    const execution = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'), result.stdout.lastIndexOf('}') + 1)) as { stages: Array<{ name: string; status: string }> };
    expect(execution.stages.map((stage) => [stage.name, stage.status])).toEqual([
      ['Deploy hello-api', 'SUCCEEDED'],
      ['Send 10% to the new version', 'SUCCEEDED'],
      ['Watch 10%', 'SUCCEEDED'],
      ['Send 50% to the new version', 'SUCCEEDED'],
      ['Watch 50%', 'SUCCEEDED'],
      ['Send all traffic to the new version', 'SUCCEEDED'],
    ]);
    expect(callCount(output, 'lambda:PublishVersion')).toBe(1);
    expect(callCount(output, 'lambda:UpdateAlias')).toBe(3);
    expect(callCount(output, 'lambda:CreateFunction')).toBeUndefined();
  });

  it('refuses a sandbox speed that is not a number of simulated seconds per second, exiting 2', async () => {
    const result = await runGennaker(['run', example, '--sandbox'], dir, { GENNAKER_SANDBOX_SPEED: 'fast' });
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toMatch(/GENNAKER_SANDBOX_SPEED is 'fast'; set simulated seconds per second, a number from 1 to 10000 \(default 30\)/);
  });
});
