/**
 * Cron triggers on AWS: one EventBridge Scheduler schedule per enabled cron trigger of a saved
 * pipeline, in Gennaker's schedule group, invoking the trigger router with
 * `{ pipelineConfigId, triggerIndex, scheduledTime }`. Saving a pipeline syncs its schedules:
 * creates or updates the ones its triggers need, deletes the ones it no longer has. Spinnaker's
 * Quartz expressions are converted with core/triggers (`toEventBridgeCron`); one that cannot be
 * expressed is refused with the converter's message.
 */
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateScheduleCommand, DeleteScheduleCommand, ListSchedulesCommand, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { deterministicId } from '../../core/execution/ids.ts';
import { pointerJoin, type ValidationIssue } from '../../core/issues.ts';
import type { Pipeline } from '../../core/pipeline/model.ts';
import type { CronTrigger } from '../../core/pipeline/triggers/index.ts';
import { toEventBridgeCron } from '../../core/triggers/cron.ts';
import { pipelineRef } from '../../core/triggers/match.ts';
import { retryThrottled, type RetryPolicy } from '../stepfunctions/control-plane.ts';

/** What the trigger router receives from a schedule. */
export interface CronInvocation {
  readonly source: 'gennaker.cron';
  readonly pipelineConfigId: string;
  readonly triggerIndex: number;
  /** Scheduler's `<aws.scheduler.scheduled-time>`: the ISO time this firing was due. */
  readonly scheduledTime: string;
}

/** One schedule a pipeline needs. */
export interface DesiredSchedule {
  readonly name: string;
  readonly triggerIndex: number;
  /** `cron(...)` in EventBridge's six-field form, UTC. */
  readonly expression: string;
  readonly input: string;
}

export type PlanSchedulesResult = { readonly ok: true; readonly schedules: readonly DesiredSchedule[] } | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/** Scheduler's limit on schedule names. */
const MAX_SCHEDULE_NAME = 64;

/** The prefix of every schedule of a pipeline (so a sync can list them). */
export function schedulePrefix(pipelineConfigId: string): string {
  const plain = `${pipelineConfigId}-cron-`;
  if (/^[0-9A-Za-z_.-]+$/.test(pipelineConfigId) && plain.length <= MAX_SCHEDULE_NAME - 4) return plain;
  const readable = pipelineConfigId.replace(/[^0-9A-Za-z_.-]/g, '-').slice(0, 30);
  return `${readable}-${deterministicId(pipelineConfigId).slice(0, 12)}-cron-`;
}

/** The schedules a pipeline's cron triggers need, or why some trigger cannot be scheduled on EventBridge. */
export function planSchedules(pipeline: Pipeline): PlanSchedulesResult {
  const id = pipelineRef(pipeline);
  const schedules: DesiredSchedule[] = [];
  const issues: ValidationIssue[] = [];
  if (pipeline.disabled) return { ok: true, schedules };
  for (const trigger of pipeline.triggers) {
    if (trigger.type !== 'cron' || !trigger.enabled) continue;
    const cron = trigger as CronTrigger;
    const converted = toEventBridgeCron(cron.config.schedule);
    if (!converted.ok) {
      issues.push({
        pointer: pointerJoin('/triggers', cron.index, 'cronExpression'),
        code: 'cron',
        message: `${converted.message} (AWS mode runs cron triggers on EventBridge Scheduler)`,
        severity: 'error',
        value: cron.config.cronExpression,
      });
      continue;
    }
    const invocation = { source: 'gennaker.cron', pipelineConfigId: id, triggerIndex: cron.index, scheduledTime: '<aws.scheduler.scheduled-time>' };
    schedules.push({ name: `${schedulePrefix(id)}${cron.index}`, triggerIndex: cron.index, expression: converted.expression, input: JSON.stringify(invocation) });
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, schedules };
}

export interface CronSchedulesOptions {
  readonly client: Pick<SchedulerClient, 'send'>;
  readonly groupName: string;
  /** The trigger router's ARN: what schedules invoke. */
  readonly targetArn: string;
  /** The role Scheduler assumes to invoke it. */
  readonly roleArn: string;
  /** @default 6 attempts, 200 ms doubling, full jitter */
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export interface SyncSchedulesResult {
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly deleted: readonly string[];
}

export interface CronSchedules {
  /** Makes the group hold exactly the schedules `pipeline` needs; throws when a trigger cannot be scheduled. */
  sync(pipeline: Pipeline): Promise<SyncSchedulesResult>;
  /** Deletes every schedule of a pipeline (it was deleted); answers their names. */
  remove(pipelineConfigId: string): Promise<readonly string[]>;
}

function named(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}

export function createCronSchedules(options: CronSchedulesOptions): CronSchedules {
  const deps = {
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
    policy: options.retry ?? { maxAttempts: 6, baseDelayMs: 200 },
  };
  const send = <T>(call: () => Promise<T>) => retryThrottled(call, deps);

  const existing = async (prefix: string): Promise<string[]> => {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await send(() => options.client.send(new ListSchedulesCommand({ GroupName: options.groupName, NamePrefix: prefix, ...(token ? { NextToken: token } : {}) })));
      for (const schedule of page.Schedules ?? []) if (schedule.Name) names.push(schedule.Name);
      token = page.NextToken;
    } while (token);
    return names;
  };

  /** Deletes the schedules named, one already gone included. */
  const deleteAll = async (names: Iterable<string>): Promise<string[]> => {
    const deleted: string[] = [];
    for (const name of names) {
      try {
        await send(() => options.client.send(new DeleteScheduleCommand({ Name: name, GroupName: options.groupName })));
      } catch (error) {
        if (!named(error, 'ResourceNotFoundException')) throw error;
      }
      deleted.push(name);
    }
    return deleted;
  };

  return {
    async remove(pipelineConfigId) {
      return deleteAll(await existing(schedulePrefix(pipelineConfigId)));
    },

    async sync(pipeline) {
      const plan = planSchedules(pipeline);
      if (!plan.ok) throw new Error(plan.issues.map((issue) => `${issue.pointer}: ${issue.message}`).join('; '));
      const prefix = schedulePrefix(pipelineRef(pipeline));
      const present = new Set(await existing(prefix));
      const created: string[] = [];
      const updated: string[] = [];
      for (const schedule of plan.schedules) {
        const input = {
          Name: schedule.name,
          GroupName: options.groupName,
          ScheduleExpression: schedule.expression,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' as const },
          State: 'ENABLED' as const,
          Description: `cron trigger ${schedule.triggerIndex} of pipeline '${pipeline.name}' (${pipeline.application})`.slice(0, 512),
          Target: { Arn: options.targetArn, RoleArn: options.roleArn, Input: schedule.input },
        };
        if (present.has(schedule.name)) {
          await send(() => options.client.send(new UpdateScheduleCommand(input)));
          updated.push(schedule.name);
          continue;
        }
        try {
          await send(() => options.client.send(new CreateScheduleCommand(input)));
          created.push(schedule.name);
        } catch (error) {
          if (!named(error, 'ConflictException')) throw error;
          await send(() => options.client.send(new UpdateScheduleCommand(input)));
          updated.push(schedule.name);
        }
      }
      const wanted = new Set(plan.schedules.map((schedule) => schedule.name));
      const deleted = await deleteAll([...present].filter((name) => !wanted.has(name)));
      return { created, updated, deleted };
    },
  };
}
