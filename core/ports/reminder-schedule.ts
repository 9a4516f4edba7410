/**
 * The schedule that runs the reminder sweep of waiting manual judgments, where it can be turned
 * on and off (on AWS an EventBridge rule): on while some judgment with reminders waits, off
 * otherwise, so nothing runs while nothing waits. Both calls are idempotent.
 */
export interface ReminderSchedule {
  /** Makes the sweep run on its schedule. */
  start(): Promise<void>;
  /** Stops running the sweep. */
  stop(): Promise<void>;
}
