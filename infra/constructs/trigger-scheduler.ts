/**
 * EventBridge Scheduler for cron triggers: one schedule group that holds a schedule per cron
 * trigger of a saved pipeline, and the role Scheduler assumes to deliver them, which may invoke
 * the trigger router and nothing else.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';

export interface TriggerSchedulerProps {
  /** The schedule group's name (Gennaker uses its deployment prefix). */
  readonly groupName: string;
  /** The trigger router's unqualified function ARN: the only target schedules may invoke. */
  readonly triggerRouterArn: string;
}

/** The schedule group for cron triggers and the role its schedules run under. */
export class TriggerScheduler extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly role: iam.Role;
  /** The ARN pattern of the schedules in this group (for the trigger router's permissions). */
  readonly scheduleArnPattern: string;

  constructor(scope: Construct, id: string, props: TriggerSchedulerProps) {
    super(scope, id);
    // Schedules are derived from saved pipelines (re-synced on save), so tearing the stack down
    // takes them with it; a retained group would also block redeploying under the same name.
    this.group = new scheduler.ScheduleGroup(this, 'Group', { scheduleGroupName: props.groupName, removalPolicy: RemovalPolicy.DESTROY });
    this.role = new iam.Role(this, 'Role', {
      // Only schedules of this account may assume it (confused-deputy guard).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Assumed by EventBridge Scheduler for Gennaker cron triggers: may invoke only the trigger router',
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['lambda:InvokeFunction'],
      resources: [props.triggerRouterArn, `${props.triggerRouterArn}:*`],
    }));
    this.scheduleArnPattern = Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${props.groupName}/*` });
  }
}
