/**
 * The notifier: the consumer of Gennaker's events that sends notifications (Echo's job). It
 * runs beside the pipeline, never inside it — locally a subscriber of the in-process bus, on AWS
 * a function behind an EventBridge rule — so a slow or failing receiver never holds up or fails
 * an execution.
 *
 * Events arrive at least once, so every notification is claimed in the store under its key
 * (stage, event, recipient) before it is sent: a twice-delivered event finds it SENT (or being
 * sent) and sends nothing. A delivery that fails is retried here a few times when the failure
 * may pass (5xx, throttled, unreachable), then recorded FAILED with its one-line reason on the
 * execution, where the API and the CLI show it; a later delivery of the same event tries again.
 */
import type { Clock } from '../ports/clock.ts';
import type { GennakerEvent } from '../ports/event-bus.ts';
import type { Execution, ExecutionStore, JudgmentWatchStore, NotificationDelivery } from '../ports/execution-store.ts';
import type { NotificationSenders, OutboundNotification, SendOutcome } from '../ports/notification-sender.ts';
import type { ReminderSchedule } from '../ports/reminder-schedule.ts';
import { parsePipeline } from '../pipeline/parse.ts';
import { isComplete } from '../execution/status.ts';
import { pipelinePhaseOf } from './phases.ts';
import { planJudgmentReminders, planNotifications, remindingPreferences, type NotificationEvent, type NotificationLinks, type PlannedNotification } from './plan.ts';

export interface NotifierDeps {
  readonly store: Pick<ExecutionStore, 'getExecution' | 'getPipelineConfig' | 'getApplication' | 'claimNotificationDelivery' | 'finishNotificationDelivery'> & JudgmentWatchStore;
  readonly senders: NotificationSenders;
  readonly clock: Clock;
  /** Where messages link to; a function when it is known only later (a server's port). */
  readonly links: NotificationLinks | (() => NotificationLinks);
  /** Attempts per delivery when failures may pass. @default 3 */
  readonly maxAttempts?: number;
  /** Waits between attempts (doubling from `retryDelayMs`). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default 500 */
  readonly retryDelayMs?: number;
  /** A SENDING claim older than this is taken over (its sender died). @default 5 minutes */
  readonly staleAfterMs?: number;
  /**
   * The schedule of the reminder sweep, started when a judgment with reminders begins waiting
   * and stopped by the sweep once none waits. @default none: the sweep runs on a fixed timer
   */
  readonly reminderSchedule?: ReminderSchedule;
}

/** What one event came to, delivery by delivery (for logs and tests). */
export interface NotifyReport {
  readonly deliveries: ReadonlyArray<{ readonly executionId: string; readonly key: string; readonly status: 'SENT' | 'FAILED' | 'SKIPPED'; readonly reason?: string }>;
}

export interface Notifier {
  /** Sends what `event` calls for. Throws only when the store cannot be read or written (the event is then delivered again). */
  handle(event: GennakerEvent): Promise<NotifyReport>;
  /**
   * The reminder sweep: sends the reminders due now of every waiting manual judgment whose
   * notifications set `notifyEveryMs`, and forgets the judgments that no longer wait. Run it
   * every so often (a timer in `gennaker up`, a schedule on AWS); running it twice, or from two
   * places at once, sends each reminder once.
   */
  remindJudgments(): Promise<NotifyReport>;
}

const NOTHING: NotifyReport = { deliveries: [] };

/** Creates the notifier. */
export function createNotifier(deps: NotifierDeps): Notifier {
  const { store, clock } = deps;
  const maxAttempts = deps.maxAttempts ?? 3;
  const retryDelayMs = deps.retryDelayMs ?? 500;
  const staleAfterMs = deps.staleAfterMs ?? 5 * 60_000;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  /** The event as a notification event, or undefined when it notifies nobody. */
  const notificationEvent = (event: GennakerEvent, execution: Execution): NotificationEvent | undefined => {
    switch (event.type) {
      case 'Pipeline Execution Started':
        return { level: 'pipeline', phase: 'starting' };
      case 'Pipeline Execution Completed': {
        const phase = pipelinePhaseOf(event.status);
        return phase ? { level: 'pipeline', phase } : undefined;
      }
      case 'Stage Execution Changed': {
        const stage = execution.stages.find((candidate) => candidate.id === event.stageId);
        return stage ? { level: 'stage', phase: event.phase, stage } : undefined;
      }
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  };

  const attempt = async (outbound: OutboundNotification): Promise<SendOutcome> => {
    const sender = deps.senders[outbound.type];
    if (!sender) return { ok: false, reason: `no ${outbound.type} sender is configured here; see the Notifications section of the README`, retryable: false };
    let outcome: SendOutcome = { ok: false, reason: 'not sent', retryable: false };
    for (let tries = 1; tries <= maxAttempts; tries++) {
      try {
        outcome = await sender.send(outbound);
      } catch (error) {
        // A sender answers values; a throw is a bug in it, reported without its stack.
        outcome = { ok: false, reason: `the ${outbound.type} sender failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300), retryable: false };
      }
      if (outcome.ok || !outcome.retryable || tries === maxAttempts) return outcome;
      await sleep(retryDelayMs * 2 ** (tries - 1));
    }
    return outcome;
  };

  const deliver = async (executionId: string, planned: PlannedNotification): Promise<NotifyReport['deliveries'][number]> => {
    const claim = await store.claimNotificationDelivery(executionId, planned.delivery, { staleAfterMs });
    if (!claim.claimed) return { executionId, key: planned.delivery.key, status: 'SKIPPED', reason: `already ${claim.delivery.status}` };
    const outcome: SendOutcome = planned.outbound ? await attempt(planned.outbound) : { ok: false, reason: planned.problem ?? 'cannot be sent', retryable: false };
    const result = outcome.ok ? ({ status: 'SENT' } as const) : ({ status: 'FAILED', reason: oneLine(outcome.reason) } as const);
    await store.finishNotificationDelivery(executionId, planned.delivery.key, result);
    return { executionId, key: planned.delivery.key, ...result };
  };

  const links = (): NotificationLinks => (typeof deps.links === 'function' ? deps.links() : deps.links);

  /** The saved pipeline the execution runs, as written. */
  const configOf = async (execution: Execution): Promise<Readonly<Record<string, unknown>>> =>
    (await store.getPipelineConfig(execution.pipelineConfigId, execution.pipelineVersion))?.config ?? {};

  /**
   * Keeps the reminder sweep's list of waiting judgments: a judgment that begins waiting with
   * reminders is watched (from the event's time), a judged one forgotten at once.
   */
  const trackJudgment = async (event: GennakerEvent, execution: Execution, stageDefinition: Readonly<Record<string, unknown>> | undefined): Promise<void> => {
    if (event.type !== 'Stage Execution Changed') return;
    if (event.phase === 'manualJudgmentContinue' || event.phase === 'manualJudgmentStop') {
      await store.unwatchJudgment(execution.id, event.stageId);
      return;
    }
    if (event.phase !== 'manualJudgment') return;
    const stage = execution.stages.find((candidate) => candidate.id === event.stageId);
    if (!stage || remindingPreferences(stage, stageDefinition).length === 0) return;
    await store.watchJudgment({ executionId: execution.id, stageId: stage.id, application: execution.application, since: event.time });
    // After the watch is written: a sweep that stops the schedule lists the watches again after stopping it.
    await deps.reminderSchedule?.start();
  };

  /**
   * Stops the schedule when no judgment is watched. A judgment may begin waiting meanwhile: its
   * notifier writes the watch, then starts the schedule. Listing again after the stop sees every
   * watch written before a start that the stop may have undone, and starts the schedule again.
   */
  const stopScheduleIfIdle = async (): Promise<void> => {
    if (!deps.reminderSchedule) return;
    await deps.reminderSchedule.stop();
    if ((await store.listWatchedJudgments()).length > 0) await deps.reminderSchedule.start();
  };

  /** Whether the judgment still waits: its execution runs (not paused), the stage waits on its token, unjudged. */
  const waiting = (execution: Execution | undefined, stageId: string) => {
    if (!execution || execution.canceled || isComplete(execution.status)) return { gone: true } as const;
    const stage = execution.stages.find((candidate) => candidate.id === stageId);
    if (!stage || stage.status !== 'RUNNING' || !stage.awaitingCallback || typeof stage.context.judgmentStatus === 'string') return { gone: true } as const;
    // A paused execution runs no task, so Orca sends no reminder: the judgment stays watched.
    if (execution.status === 'PAUSED') return { gone: false, stage: undefined } as const;
    return { gone: false, stage } as const;
  };

  return {
    async remindJudgments() {
      const deliveries: Array<NotifyReport['deliveries'][number]> = [];
      let watched = 0;
      for (const watch of await store.listWatchedJudgments()) {
        const execution = await store.getExecution(watch.executionId);
        const state = waiting(execution, watch.stageId);
        if (state.gone) {
          await store.unwatchJudgment(watch.executionId, watch.stageId);
          continue;
        }
        watched += 1;
        if (!state.stage || !execution) continue;
        const stageDefinition = stageDefinitionOf(await configOf(execution), state.stage.refId);
        const planned = planJudgmentReminders({
          execution,
          stage: state.stage,
          ...(stageDefinition ? { stageDefinition } : {}),
          since: watch.since,
          links: links(),
          now: () => clock.now(),
        });
        for (const notification of planned) deliveries.push(await deliver(execution.id, notification));
      }
      if (watched === 0) await stopScheduleIfIdle();
      return { deliveries };
    },

    async handle(event) {
      const execution = await store.getExecution(event.executionId);
      if (!execution) return NOTHING;
      const notificationEventOf = notificationEvent(event, execution);
      if (!notificationEventOf) return NOTHING;
      const config = await configOf(execution);
      const stageDefinition =
        notificationEventOf.level === 'stage' ? stageDefinitionOf(config, notificationEventOf.stage.refId) : undefined;
      await trackJudgment(event, execution, stageDefinition);
      const application = notificationEventOf.level === 'pipeline' ? await store.getApplication(execution.application) : undefined;
      const planned = planNotifications({
        execution,
        event: notificationEventOf,
        pipelineNotifications: config.notifications,
        ...(application?.raw.notifications !== undefined ? { applicationNotifications: application.raw.notifications } : {}),
        ...(stageDefinition ? { stageDefinition } : {}),
        links: links(),
        now: () => clock.now(),
      });
      const deliveries = [];
      for (const notification of planned) deliveries.push(await deliver(execution.id, notification));
      return { deliveries };
    },
  };
}

/** The stage of the saved pipeline with this refId, as written (legacy pipelines by position). */
function stageDefinitionOf(config: Readonly<Record<string, unknown>>, refId: string): Readonly<Record<string, unknown>> | undefined {
  const parsed = parsePipeline(config).pipeline;
  return parsed?.stages.find((stage) => stage.refId === refId)?.raw;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** Deliveries that failed, for displays that show only what needs attention. */
export function failedDeliveries(deliveries: readonly NotificationDelivery[] | undefined): NotificationDelivery[] {
  return (deliveries ?? []).filter((delivery) => delivery.status === 'FAILED');
}
