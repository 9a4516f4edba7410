/**
 * The ReminderSchedule on EventBridge: the stack's scheduled rule that runs the notifier's
 * reminder sweep every minute, enabled and disabled by name (EnableRule, DisableRule are
 * idempotent). The rule is created disabled; the notifier enables it when a judgment with
 * reminders begins waiting.
 */
import { DisableRuleCommand, EnableRuleCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { ReminderSchedule } from '../../core/ports/reminder-schedule.ts';

/** The rule `ruleName` on the default bus as the reminder schedule. */
export function createEventBridgeReminderRule(options: { readonly client: Pick<EventBridgeClient, 'send'>; readonly ruleName: string }): ReminderSchedule {
  return {
    async start() {
      await options.client.send(new EnableRuleCommand({ Name: options.ruleName }));
    },
    async stop() {
      await options.client.send(new DisableRuleCommand({ Name: options.ruleName }));
    },
  };
}
