/**
 * `gennaker run examples/pipelines/ecs-bluegreen.json --sandbox --judge 2=...` in-process
 * (cli/commands/run.ts on the real local runtime and the real `--sandbox`): the sandbox seeds
 * what ECS blue/green assumes (both target groups, the production listener rule under the ARN the
 * pipeline names, the revision serving before the run); the deploy ends when ECS waits at the
 * PAUSE hook after test traffic; a judge who continues lets continueServiceDeployment send
 * production to v001, one who stops leaves v000 serving, and traffic never lacks healthy targets.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../cli/usage.ts';
import type { IoMessage } from '../../../core/io-host.ts';
import { runSandboxed, type SandboxRun } from '../../support/sandbox-run.ts';

const EXAMPLE = join(import.meta.dirname, '../../../examples/pipelines/ecs-bluegreen.json');
/** Simulated seconds per second: a pause waits 60 simulated minutes for the judge, and every step of the run takes whole wall-clock seconds. */
const SPEED = 300;
const RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/orders/6d0ecf831eec9f09/4ff1f1c4f2d9b1a5/9683b2d02a6cabee';

const infos = (messages: readonly IoMessage[]) => messages.flatMap((message) => (message.kind === 'info' ? [message.message] : []));
const statuses = (execution: Record<string, any>) => Object.fromEntries((execution.stages as Array<{ refId: string; status: string }>).filter((stage) => !stage.refId.includes('>')).map((stage) => [stage.refId, stage.status]));

describe('examples/pipelines/ecs-bluegreen.json with --sandbox', () => {
  let promoted: SandboxRun;
  let stopped: SandboxRun;
  beforeAll(async () => {
    [promoted, stopped] = await Promise.all([runSandboxed(EXAMPLE, { judges: ['2=continue'], speed: SPEED }), runSandboxed(EXAMPLE, { judges: ['2=stop'], speed: SPEED })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([promoted?.sandbox.close(), stopped?.sandbox.close()]);
  });

  it('seeds both target groups, the listener rule the pipeline names and the serving revision, then promotes v001 on the judge\'s word', () => {
    const { code, messages, execution, calls } = promoted;
    expect(code).toBe(EXIT.ok);
    expect(statuses(execution)).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'SUCCEEDED' });
    const lines = infos(messages);
    expect(lines).toEqual(
      expect.arrayContaining([
        `  listener rule ${RULE} (/* → orders-api-blue 100%, orders-api-green 0% (ECS blue/green moves the weights))`,
        '  server group orders-prod-api-v000 (my-ecs-prod, eu-west-1, 2 tasks Up, serving before the ECS blue/green deploy)',
        expect.stringMatching(/^sandbox: cluster orders-prod-api \(my-ecs-prod, eu-west-1\) always had healthy capacity in traffic during the run \(at least 2 healthy/),
      ]),
    );
    expect(lines.filter((line) => line.startsWith('  orders-prod-api-v'))).toEqual([expect.stringMatching(/^ {2}orders-prod-api-v001 +serving, 2\/2 Up/)]);
    expect(calls.filter((call) => ['ecs:UpdateService', 'ecs:ContinueServiceDeployment', 'ecs:RegisterTaskDefinition'].includes(call.call)).map((call) => `${call.call} ${call.count}`).sort()).toEqual([
      'ecs:ContinueServiceDeployment 1',
      'ecs:RegisterTaskDefinition 1',
      'ecs:UpdateService 1',
    ]);
  });

  it('leaves v000 serving when the judge stops: v001 waits at its pause, out of production', () => {
    const { code, execution, messages } = stopped;
    expect(code).toBe(EXIT.failed);
    expect(statuses(execution)).toMatchObject({ '1': 'SUCCEEDED', '2': 'TERMINAL', '3': 'NOT_STARTED' });
    const lines = infos(messages).filter((line) => line.startsWith('  orders-prod-api-v'));
    expect(lines).toEqual([expect.stringMatching(/^ {2}orders-prod-api-v000 +serving, 2\/2 Up/), expect.stringMatching(/^ {2}orders-prod-api-v001 +disabled, 2\/2 Up/)]);
  });
});
