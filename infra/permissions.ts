/**
 * Who may do what, in one place (DESIGN.md §10: least privilege everywhere). Every statement
 * names the resources it applies to; where a pattern is needed it is scoped to this
 * deployment: state machines `${prefix}-*` (with their versions, aliases and runs), schedules in
 * its own group, its own bus and table. `*` appears only where the service has no
 * resource-level permission (X-Ray's two write actions, Scheduler's ListSchedules), each
 * acknowledged in infra/nag.ts.
 *
 * What each function does, from functions/wiring.ts, decides what it holds:
 *
 * | capability | api | stage runner | trigger router | reconciler | publisher |
 * |---|---|---|---|---|---|
 * | read/write the state table | ✓ | ✓ | ✓ | ✓ | ✓ |
 * | publish `${prefix}-*` machines, pass the state machine role | ✓ saves publish inline | ✓ | ✓ | ✓ | ✓ |
 * | start/stop runs, answer task tokens of `${prefix}-*` | ✓ | ✓ child pipelines | ✓ | ✓ next queued | |
 * | put events on Gennaker's bus | ✓ | ✓ | ✓ | ✓ | |
 * | manage schedules in the group, pass the scheduler role | ✓ saves sync them | | | | ✓ |
 * | assume the deploy-target roles in `accounts` | | ✓ | | | |
 *
 * Publishing sits with every function that starts runs because the engine publishes a version
 * on its first start when the save could not (a throttled control plane defers it).
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { FunctionKey, GennakerFunctions } from './constructs/functions.ts';

export interface ControlPlaneGrants {
  readonly stateMachineNamePrefix: string;
  readonly table: dynamodb.ITable;
  readonly eventBus: events.IEventBus;
  readonly functions: GennakerFunctions;
  readonly stateMachineRole: iam.IRole;
  readonly schedulerRole: iam.IRole;
  readonly scheduleArnPattern: string;
  /** SSM parameter path (`/gennaker/webhooks`) under which webhook secrets live, if any. */
  readonly webhookSecretsParameterPath?: string;
  /** Role ARNs in deploy-target accounts the stage runner may assume. */
  readonly accountRoleArns: readonly string[];
}

/** Which functions hold which capability (the table above). */
export const CAPABILITIES = {
  publishMachines: ['api', 'stageRunner', 'triggerRouter', 'reconciler', 'publisher'],
  runMachines: ['api', 'stageRunner', 'triggerRouter', 'reconciler'],
  putEvents: ['api', 'stageRunner', 'triggerRouter', 'reconciler'],
  manageSchedules: ['api', 'publisher'],
} as const satisfies Record<string, readonly FunctionKey[]>;

/** The item-level DynamoDB actions the store uses (no Scan, no streams, no table management). */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
] as const;

/** ARN patterns of this deployment's state machines (with versions and aliases) and their runs. */
export function stateMachineArnPatterns(scope: Construct, prefix: string): { readonly stateMachines: string; readonly executions: string } {
  const stack = Stack.of(scope);
  return {
    stateMachines: stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: `${prefix}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    executions: stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${prefix}-*:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
  };
}

function allow(actions: readonly string[], resources: readonly string[], conditions?: Record<string, Record<string, string>>): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions: [...actions], resources: [...resources], ...(conditions ? { conditions } : {}) });
}

/** Grants each function (and nothing else) what the table above says. */
export function grantControlPlanePermissions(scope: Construct, grants: ControlPlaneGrants): void {
  const fns = grants.functions.all();
  const stack = Stack.of(scope);
  const { stateMachines, executions } = stateMachineArnPatterns(scope, grants.stateMachineNamePrefix);
  const tableAndIndexes = [grants.table.tableArn, `${grants.table.tableArn}/index/*`];

  for (const fn of Object.values(fns)) fn.addToRolePolicy(allow(TABLE_ACTIONS, tableAndIndexes));

  for (const key of CAPABILITIES.publishMachines) {
    fns[key].addToRolePolicy(allow([
      'states:CreateStateMachine',
      'states:UpdateStateMachine',
      'states:DescribeStateMachine',
      'states:PublishStateMachineVersion',
      'states:ListStateMachineVersions',
      'states:CreateStateMachineAlias',
      'states:UpdateStateMachineAlias',
      'states:DescribeStateMachineAlias',
    ], [stateMachines]));
    fns[key].addToRolePolicy(allow(['iam:PassRole'], [grants.stateMachineRole.roleArn], { StringEquals: { 'iam:PassedToService': 'states.amazonaws.com' } }));
  }

  for (const key of CAPABILITIES.runMachines) {
    fns[key].addToRolePolicy(allow(['states:StartExecution', 'states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'], [stateMachines]));
    fns[key].addToRolePolicy(allow(['states:StopExecution', 'states:DescribeExecution'], [executions]));
  }

  for (const key of CAPABILITIES.putEvents) {
    fns[key].addToRolePolicy(allow(['events:PutEvents'], [grants.eventBus.eventBusArn]));
  }

  for (const key of CAPABILITIES.manageSchedules) {
    fns[key].addToRolePolicy(allow(['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'], [grants.scheduleArnPattern]));
    // ListSchedules has no resource-level permission; the adapter filters by group and prefix.
    fns[key].addToRolePolicy(allow(['scheduler:ListSchedules'], ['*']));
    fns[key].addToRolePolicy(allow(['iam:PassRole'], [grants.schedulerRole.roleArn], { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }));
  }

  if (grants.webhookSecretsParameterPath !== undefined) {
    const path = grants.webhookSecretsParameterPath.replace(/^\/+|\/+$/g, '');
    fns.api.addToRolePolicy(allow(['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'], [
      stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: path }),
      stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${path}/*` }),
    ]));
  }

  if (grants.accountRoleArns.length > 0) {
    fns.stageRunner.addToRolePolicy(allow(['sts:AssumeRole'], grants.accountRoleArns));
  }
}
