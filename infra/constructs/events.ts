/**
 * Gennaker's EventBridge wiring: its own bus, and the rules that turn events into work.
 *
 * | rule | bus | target |
 * |---|---|---|
 * | ECR `ECR Image Action`, PUSH, SUCCESS | default | trigger router (docker triggers) |
 * | CodeCommit `CodeCommit Repository State Change`, branch created/updated | default | trigger router (git triggers) |
 * | Gennaker `Pipeline Execution Completed` | Gennaker's | trigger router (pipeline triggers) |
 * | Step Functions `Step Functions Execution Status Change` (ended runs) of `${prefix}-*` machines | default | reconciler |
 * | Gennaker `Pipeline Execution Started`, `Pipeline Execution Completed`, `Stage Execution Changed` | Gennaker's | notifier |
 * | a schedule, every minute (`Scheduled Event`), `${prefix}-judgment-reminders`, created disabled | default | notifier: reminders of waiting manual judgments |
 *
 * The reminder rule runs only while a manual judgment with reminders waits: the notifier enables
 * it when one begins waiting and disables it once none does, so nothing runs while idle.
 *
 * Patterns stay coarse (EventBridge has no regex); the trigger router applies each trigger's
 * exact match in code, the same code local mode runs. Every target retries with a bounded age
 * and sends what it could not deliver to the dead-letter queue.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** The `source` of the events Gennaker puts on its own bus. */
export const GENNAKER_EVENT_SOURCE = 'gennaker';

/** The Step Functions execution statuses that end a run, the ones the reconciler acts on. */
export const ENDED_STATUSES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;

export interface EventsProps {
  /** Gennaker's bus (where `Pipeline Execution Completed` is published). */
  readonly eventBus: events.IEventBus;
  /** State machines named `${prefix}-...` are Gennaker's pipelines. */
  readonly stateMachineNamePrefix: string;
  /** Receives ECR, CodeCommit and pipeline-completed events. */
  readonly triggerRouter: lambda.IFunction;
  /** Receives Step Functions execution status changes. */
  readonly reconciler: lambda.IFunction;
  /** Receives Gennaker's execution and stage events, and sends their notifications. */
  readonly notifier: lambda.IFunction;
  /** Where undeliverable events go. */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * Delivery attempts per event after the first.
   * @default 8
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge keeps retrying an event.
   * @default Duration.hours(2)
   */
  readonly maxEventAge?: Duration;
}

/** How often the notifier looks for reminders due (`notifyEveryMs` of manual judgments): EventBridge's shortest rate. */
export const JUDGMENT_REMINDER_RATE = Duration.minutes(1);

/** The name of the reminder rule: fixed, so the notifier can be told it without a reference cycle (the rule targets the notifier). */
export function judgmentReminderRuleName(prefix: string): string {
  return `${prefix}-judgment-reminders`;
}

/** The six rules that feed the trigger router, the reconciler and the notifier. */
export class Events extends Construct {
  readonly ecrImagePush: events.Rule;
  readonly codeCommitBranchChange: events.Rule;
  readonly pipelineExecutionCompleted: events.Rule;
  readonly executionStatusChange: events.Rule;
  readonly notifications: events.Rule;
  readonly judgmentReminders: events.Rule;

  constructor(scope: Construct, id: string, props: EventsProps) {
    super(scope, id);
    const target = (fn: lambda.IFunction): targets.LambdaFunction =>
      new targets.LambdaFunction(fn, {
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: props.retryAttempts ?? 8,
        maxEventAge: props.maxEventAge ?? Duration.hours(2),
      });

    this.ecrImagePush = new events.Rule(this, 'EcrImagePush', {
      description: 'ECR image pushes: docker triggers',
      eventPattern: {
        source: ['aws.ecr'],
        detailType: ['ECR Image Action'],
        detail: { 'action-type': ['PUSH'], result: ['SUCCESS'] },
      },
      targets: [target(props.triggerRouter)],
    });

    this.codeCommitBranchChange = new events.Rule(this, 'CodeCommitBranchChange', {
      description: 'CodeCommit branch created or updated: git triggers',
      eventPattern: {
        source: ['aws.codecommit'],
        detailType: ['CodeCommit Repository State Change'],
        detail: { event: ['referenceCreated', 'referenceUpdated'], referenceType: ['branch'] },
      },
      targets: [target(props.triggerRouter)],
    });

    this.pipelineExecutionCompleted = new events.Rule(this, 'PipelineExecutionCompleted', {
      description: 'Gennaker pipeline executions that ended: pipeline triggers',
      eventBus: props.eventBus,
      eventPattern: {
        source: [GENNAKER_EVENT_SOURCE],
        detailType: ['Pipeline Execution Completed'],
      },
      targets: [target(props.triggerRouter)],
    });

    // Executions are started on a version alias, so the ARN in the event may carry a
    // qualifier; a prefix on the machine name matches all of them and no one else's machines.
    const stateMachineArnPrefix = Stack.of(this).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: `${props.stateMachineNamePrefix}-`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.executionStatusChange = new events.Rule(this, 'ExecutionStatusChange', {
      description: 'Status changes of Gennaker pipeline executions: reconciliation',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        // Only how runs end: RUNNING is known when Gennaker starts a run, and skipping it halves
        // the reconciler's invocations.
        detail: { stateMachineArn: events.Match.prefix(stateMachineArnPrefix), status: [...ENDED_STATUSES] },
      },
      targets: [target(props.reconciler)],
    });

    this.notifications = new events.Rule(this, 'Notifications', {
      description: 'Gennaker execution and stage events: notifications',
      eventBus: props.eventBus,
      eventPattern: {
        source: [GENNAKER_EVENT_SOURCE],
        detailType: ['Pipeline Execution Started', 'Pipeline Execution Completed', 'Stage Execution Changed'],
      },
      targets: [target(props.notifier)],
    });

    // The reminder sweep reads one small partition and sends what is due. A sweep that is missed
    // is made up by the next one a minute later, so a delivery is not retried for hours.
    this.judgmentReminders = new events.Rule(this, 'JudgmentReminders', {
      ruleName: judgmentReminderRuleName(props.stateMachineNamePrefix),
      description: 'Every minute while a manual judgment with reminders waits: its reminders (notifyEveryMs)',
      schedule: events.Schedule.rate(JUDGMENT_REMINDER_RATE),
      // The notifier enables it when a judgment with reminders begins waiting.
      enabled: false,
      targets: [new targets.LambdaFunction(props.notifier, { deadLetterQueue: props.deadLetterQueue, retryAttempts: 1, maxEventAge: Duration.minutes(1) })],
    });
  }
}
