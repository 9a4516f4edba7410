/**
 * The cdk-nag AwsSolutions findings Gennaker accepts, each with its reason, acknowledged on the
 * narrowest construct that raises it (never the whole stack). Any other finding fails
 * `cdk synth`. test/infra/stack.test.ts checks that no finding is left and that every
 * acknowledgment carries a reason.
 */
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { functionArnOf } from './constructs/functions.ts';
import { artifactObjectsArn, CAPABILITIES, stateMachineArnPatterns } from './permissions.ts';
import type { GennakerStack } from './stack.ts';

/** The `<LogicalId.Arn>` form cdk-nag uses for a resource's ARN in a finding. */
function arnToken(resource: IConstruct): string {
  return `<${Stack.of(resource).getLogicalId(resource.node.defaultChild as CfnElement)}.Arn>`;
}

/** The form cdk-nag gives a formatted ARN (pseudo parameters in angle brackets). */
function nagArn(arn: string, stack: Stack): string {
  return stack.resolve(arn)['Fn::Join'][1]
    .map((part: unknown) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`))
    .join('');
}

/**
 * Acknowledges each accepted finding on the construct that raises it. An `IAM5[Resource::*]`
 * acknowledgment covers any `*` on that role, so stack.test.ts separately allows `*` only for
 * the actions that have no resource-level permissions.
 */
export function suppressJustifiedFindings(stack: GennakerStack): void {
  const fns = stack.functions.all();
  const prefix = stack.stateMachineNamePrefix;
  const { stateMachines, executions } = stateMachineArnPatterns(stack, prefix);
  const iam5 = (pattern: string): string => `AwsSolutions-IAM5[Resource::${pattern}]`;
  const tableIndexes = iam5(`${arnToken(stack.table.table)}/index/*`);

  const managesSchedules: readonly string[] = CAPABILITIES.manageSchedules;
  for (const [key, fn] of Object.entries(fns)) {
    const role = fn.role!;
    Validations.of(role).acknowledge(
      {
        id: iam5('*'),
        reason: managesSchedules.includes(key)
          ? 'xray:PutTraceSegments, xray:PutTelemetryRecords (tracing) and scheduler:ListSchedules have no resource-level permissions; the test allows * for these actions only'
          : 'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions; the test allows * for these actions only',
      },
      {
        id: tableIndexes,
        reason: "The state table's own global secondary indexes (gsi1, gsi2), which queries by application and pipeline need; no other table",
      },
    );
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Node.js 22 is the runtime Gennaker is built and tested for (DESIGN.md §10, bundles target node22); move with a tested upgrade, not automatically',
    });
  }

  const machines = {
    id: iam5(nagArn(stateMachines, stack)),
    reason: `Pipelines are state machines created at run time, named '${prefix}-<pipelineConfigId>'; the prefix scopes this to this deployment's machines, their versions and aliases`,
  };
  const runs = {
    id: iam5(nagArn(executions, stack)),
    reason: `Runs are created per execution; this covers the runs of this deployment's '${prefix}-*' state machines only`,
  };
  const schedules = {
    id: iam5(nagArn(stack.scheduler.scheduleArnPattern, stack)),
    reason: "Cron triggers become one schedule per trigger, created when a pipeline is saved; scoped to Gennaker's own schedule group",
  };
  for (const key of CAPABILITIES.publishMachines) Validations.of(fns[key].role!).acknowledge(machines);
  const aliases = {
    id: machines.id,
    reason: `Reads which version the live alias of this deployment's pipeline machines ('${prefix}-<pipelineConfigId>', created at run time) points at; no write`,
  };
  for (const key of CAPABILITIES.readLiveAliases) Validations.of(fns[key].role!).acknowledge(aliases);
  for (const key of CAPABILITIES.runMachines) Validations.of(fns[key].role!).acknowledge(runs);
  for (const key of CAPABILITIES.manageSchedules) Validations.of(fns[key].role!).acknowledge(schedules);
  if (stack.webhookSecretsParameterPath !== undefined) {
    const path = stack.webhookSecretsParameterPath.replace(/^\/+|\/+$/g, '');
    Validations.of(fns.api.role!).acknowledge({
      id: iam5(`arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/${path}/*`),
      reason: 'Webhook secrets are one SecureString per webhook source under the configured path; the API reads that path and nothing else',
    });
  }
  for (const bucket of stack.artifactBuckets) {
    Validations.of(fns.stageRunner.role!).acknowledge({
      id: iam5(nagArn(artifactObjectsArn(stack, bucket), stack)),
      reason: `s3/object artifacts are any object of the bucket ${bucket}, which an artifact account lists; read only (GetObject, GetObjectVersion), no other bucket`,
    });
  }
  Validations.of(stack.stateMachineRole.role).acknowledge({
    id: iam5(`${nagArn(functionArnOf(stack, prefix, 'stageRunner'), stack)}:*`),
    reason: "The stage runner's versions and aliases: pipelines may invoke that one function, qualified or not",
  });
  Validations.of(stack.scheduler.role).acknowledge({
    id: iam5(`${nagArn(functionArnOf(stack, prefix, 'triggerRouter'), stack)}:*`),
    reason: "The trigger router's versions and aliases: schedules may invoke that one function, qualified or not",
  });

  const restApi = stack.api.restApi;
  if (restApi.node.tryFindChild('CloudWatchRole')) {
    Validations.of(restApi.node.findChild('CloudWatchRole')).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: "API Gateway's account-level logging role: the AWS managed policy is the documented one, and it is assumable by API Gateway only",
    });
  }
  Validations.of(restApi.deploymentStage).acknowledge({
    id: 'AwsSolutions-APIG3',
    reason: 'Every method requires SigV4 (IAM) auth and the stage is throttled; a WAF web ACL would cost money while idle, against the pay-per-use design. Operators can associate one',
  });
  Validations.of(restApi).acknowledge({
    id: 'AwsSolutions-COG4',
    reason: 'The API is authorized with IAM (SigV4), as DESIGN.md §8 specifies, not with a Cognito user pool; every method has AuthorizationType AWS_IAM (tested)',
  });
}
