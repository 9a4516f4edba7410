/**
 * Notification preferences as Spinnaker writes them — on a pipeline (`notifications`), on a stage
 * (`notifications` with `sendNotifications: true`) and on an application (Front50's
 * ApplicationNotifications: `{"slack": [{...}], "email": [{...}]}`, keyed by type) — and how Orca
 * merges an application's into a pipeline's (EchoNotifyingExecutionListener.addApplicationNotifications).
 */
import { showValue } from '../issues.ts';

/** One notification preference: who, which events, and the messages that override Echo's text. */
export interface NotificationPreference {
  /** As written: `slack`, `email`, `microsoftteams`, `webhook`, `sns`, `githubStatus`... */
  readonly type: string;
  readonly address?: string;
  readonly cc?: string;
  /** `pipeline.starting`, `stage.failed`, `manualJudgment`... */
  readonly when: readonly string[];
  /** `message: {"pipeline.complete": {"text": "..."}}`, by event. */
  readonly message: Readonly<Record<string, string>>;
  /** Replaces Slack's body (`{{link}}`, `{{executionId}}` filled in). */
  readonly customMessage?: string;
  /** Replaces an email's subject. */
  readonly customSubject?: string;
  /** Replaces an email's body (`{{link}}`, `{{executionId}}` filled in). */
  readonly customBody?: string;
  /** `githubStatus`: the repository (`owner/name`) and commit, when the trigger does not say. */
  readonly repo?: string;
  readonly commit?: string;
  /**
   * A manual judgment's reminder period (Orca's `notifyEveryMs`): while the judgment waits, its
   * `manualJudgment` notification is sent again this often. Absent when it does not remind.
   */
  readonly notifyEveryMs?: number;
}

/** A positive period in milliseconds (a number or a numeric string, as Deck may write it), else undefined. */
function periodOf(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : undefined;
  return number !== undefined && Number.isFinite(number) && number > 0 ? Math.floor(number) : undefined;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

/** Reads one preference as given; undefined when it has no `type` (nothing could deliver it). */
export function preferenceOf(raw: unknown, typeFromKey?: string): NotificationPreference | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const record = raw as Record<string, unknown>;
  const type = text(record.type) ?? typeFromKey;
  if (type === undefined) return undefined;
  // Echo accepts `when` as a list, and (in older documents) as one string.
  const when = Array.isArray(record.when) ? record.when.filter((entry): entry is string => typeof entry === 'string') : typeof record.when === 'string' ? [record.when] : [];
  const message: Record<string, string> = {};
  if (typeof record.message === 'object' && record.message !== null && !Array.isArray(record.message)) {
    for (const [event, value] of Object.entries(record.message as Record<string, unknown>)) {
      const body = typeof value === 'object' && value !== null ? text((value as Record<string, unknown>).text) : text(value);
      if (body !== undefined) message[event] = body;
    }
  }
  const notifyEveryMs = periodOf(record.notifyEveryMs);
  const optional = (name: string) => {
    const value = text(record[name]);
    return value === undefined ? {} : { [name]: value };
  };
  return {
    type,
    when,
    message,
    ...optional('address'),
    ...optional('cc'),
    ...optional('customMessage'),
    ...optional('customSubject'),
    ...optional('customBody'),
    ...optional('repo'),
    ...optional('commit'),
    ...(notifyEveryMs !== undefined ? { notifyEveryMs } : {}),
  };
}

/** The preferences of a `notifications` list, those without a type left out. */
export function preferencesOf(list: unknown): NotificationPreference[] {
  if (!Array.isArray(list)) return [];
  return list.map((entry) => preferenceOf(entry)).filter((entry): entry is NotificationPreference => entry !== undefined);
}

/** Fields of Front50's ApplicationNotifications that are not a type's list. */
const APPLICATION_NOTIFICATION_FIELDS = new Set(['application', 'lastModifiedBy', 'lastModified']);

/**
 * An application's preferences that apply to pipelines (ApplicationNotifications.getPipelineNotifications):
 * those with a `pipeline.*` event, keeping only those events. An element without `type` takes
 * the key it is listed under.
 */
export function applicationPipelinePreferences(notifications: unknown): NotificationPreference[] {
  if (typeof notifications !== 'object' || notifications === null || Array.isArray(notifications)) return [];
  const found: NotificationPreference[] = [];
  for (const [key, list] of Object.entries(notifications as Record<string, unknown>)) {
    if (APPLICATION_NOTIFICATION_FIELDS.has(key) || !Array.isArray(list)) continue;
    for (const entry of list) {
      const preference = preferenceOf(entry, key);
      if (!preference) continue;
      const when = preference.when.filter((event) => event.startsWith('pipeline'));
      if (when.length > 0) found.push({ ...preference, when });
    }
  }
  return found;
}

/**
 * Orca's merge: an application preference is added to the pipeline's, unless the pipeline has
 * one of the same type and address; then only the application's events the pipeline's does not
 * list are added (the pipeline's preference overrides the rest).
 */
export function mergeApplicationPreferences(pipeline: readonly NotificationPreference[], application: readonly NotificationPreference[]): NotificationPreference[] {
  const merged = [...pipeline];
  for (const preference of application) {
    const match = pipeline.find((candidate) => candidate.type === preference.type && preference.address !== undefined && candidate.address === preference.address);
    if (!match) {
      merged.push(preference);
      continue;
    }
    const when = preference.when.filter((event) => !match.when.includes(event));
    if (when.length > 0) merged.push({ ...preference, when });
  }
  return merged;
}

/**
 * Checks an application's `notifications` when it is saved: an object of lists of objects, each
 * with `when` a list of strings. Answers the first problem, one line, or undefined.
 */
export function applicationNotificationsProblem(notifications: unknown): string | undefined {
  if (notifications === undefined || notifications === null) return undefined;
  const example = 'e.g. {"slack": [{"address": "#deploys", "when": ["pipeline.failed"]}]}';
  if (typeof notifications !== 'object' || Array.isArray(notifications)) return `'notifications' is ${showValue(notifications)}; it must be an object of lists by type, ${example}`;
  for (const [key, list] of Object.entries(notifications as Record<string, unknown>)) {
    if (APPLICATION_NOTIFICATION_FIELDS.has(key)) continue;
    if (!Array.isArray(list)) return `'notifications.${key}' is ${showValue(list)}; it must be a list of preferences, ${example}`;
    for (const [index, entry] of list.entries()) {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return `'notifications.${key}[${index}]' is ${showValue(entry)}; it must be an object, ${example}`;
      const when = (entry as Record<string, unknown>).when;
      if (when !== undefined && !(Array.isArray(when) && when.every((event) => typeof event === 'string'))) {
        return `'notifications.${key}[${index}].when' is ${showValue(when)}; it must be a list of events such as ["pipeline.starting", "pipeline.complete", "pipeline.failed"]`;
      }
    }
  }
  return undefined;
}
