/**
 * The trigger types Gennaker fires on, a discriminated union on `type`, and the parser of one
 * trigger object. Spinnaker's other trigger types are "not supported yet": an error when the
 * trigger is enabled (the pipeline would silently never start), a warning when it is disabled.
 */
import type { ValidationIssue } from '../../issues.ts';
import { pointerJoin, showValue } from '../../issues.ts';
import type { RawObject } from '../model.ts';
import { fromConfigIssues, issuesFromZod, safeParse } from '../zod-issues.ts';
import { triggerAlternative } from '../ci-alternatives.ts';
import { cronTriggerType } from './cron.ts';
import type { CronTrigger } from './cron.ts';
import type { TriggerContext, TriggerTypeDefinition } from './definition.ts';
import { dockerTriggerType } from './docker.ts';
import type { DockerTrigger } from './docker.ts';
import { gitTriggerType } from './git.ts';
import type { GitTrigger } from './git.ts';
import { manualTriggerType } from './manual.ts';
import type { ManualTrigger } from './manual.ts';
import { pipelineTriggerType } from './pipeline.ts';
import type { PipelineTrigger } from './pipeline.ts';
import { pubsubTriggerType } from './pubsub.ts';
import type { PubsubTrigger } from './pubsub.ts';
import { webhookTriggerType } from './webhook.ts';
import type { WebhookTrigger } from './webhook.ts';

export type { TriggerBase, TriggerContext, TriggerTypeDefinition } from './definition.ts';
export type { CronTrigger, CronTriggerConfig } from './cron.ts';
export type { DockerTrigger, DockerTriggerConfig } from './docker.ts';
export type { GitSource, GitTrigger, GitTriggerConfig } from './git.ts';
export type { ManualTrigger, ManualTriggerConfig } from './manual.ts';
export type { PipelineTrigger, PipelineTriggerConfig, PipelineTriggerStatus } from './pipeline.ts';
export type { PubsubSystem, PubsubTrigger, PubsubTriggerConfig } from './pubsub.ts';
export type { WebhookTrigger, WebhookTriggerConfig } from './webhook.ts';
export { GIT_SOURCES } from './git.ts';
export { PIPELINE_TRIGGER_STATUSES } from './pipeline.ts';
export { PUBSUB_SYSTEMS, pubsubUnreachable } from './pubsub.ts';

export type Trigger = GitTrigger | DockerTrigger | CronTrigger | PipelineTrigger | WebhookTrigger | ManualTrigger | PubsubTrigger;

export type TriggerType = Trigger['type'];

const REGISTRY: { readonly [T in TriggerType]: TriggerTypeDefinition<T, Extract<Trigger, { type: T }>['config']> } = {
  cron: cronTriggerType,
  docker: dockerTriggerType,
  git: gitTriggerType,
  manual: manualTriggerType,
  pipeline: pipelineTriggerType,
  pubsub: pubsubTriggerType,
  webhook: webhookTriggerType,
};

/** The trigger types Gennaker fires on, sorted. */
export const SUPPORTED_TRIGGER_TYPES: readonly string[] = Object.keys(REGISTRY).sort();

/** Spinnaker's trigger types (Echo's Trigger model and the CI triggers of reference/spinnaker.md §1.8), sorted. */
export const KNOWN_SPINNAKER_TRIGGER_TYPES: readonly string[] = [
  'artifactory',
  'cdevents',
  'concourse',
  'cron',
  'docker',
  'dryrun',
  'git',
  'helm',
  'jenkins',
  'manual',
  'nexus',
  'pipeline',
  'plugin',
  'pubsub',
  'travis',
  'webhook',
];

export function isSupportedTriggerType(type: string): type is TriggerType {
  return Object.prototype.hasOwnProperty.call(REGISTRY, type);
}

export function getTriggerType(type: string): TriggerTypeDefinition | undefined {
  return isSupportedTriggerType(type) ? (REGISTRY[type] as unknown as TriggerTypeDefinition) : undefined;
}

function isPlainObject(value: unknown): value is RawObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Parses one trigger object at `pointer` (e.g. `/triggers/0`). The trigger is undefined when it
 * has errors, or when its type is not supported (the issues say which).
 */
export function parseTrigger(
  raw: unknown,
  index: number,
  pointer: string,
  context: TriggerContext,
): { trigger: Trigger | undefined; issues: ValidationIssue[] } {
  if (!isPlainObject(raw)) {
    return { trigger: undefined, issues: [{ pointer, code: 'wrong-type', message: `expected a trigger object, got ${showValue(raw)}`, severity: 'error', value: raw }] };
  }
  const issues: ValidationIssue[] = [];
  let enabled = true;
  if (raw.enabled !== undefined && raw.enabled !== null) {
    if (typeof raw.enabled === 'boolean') enabled = raw.enabled;
    else issues.push({ pointer: pointerJoin(pointer, 'enabled'), code: 'wrong-type', message: `expected true or false, got ${showValue(raw.enabled)}`, severity: 'error', value: raw.enabled });
  }
  const type = raw.type;
  const supported = SUPPORTED_TRIGGER_TYPES.join(', ');
  const typePointer = pointerJoin(pointer, 'type');
  if (type === undefined || type === null) {
    issues.push({ pointer: typePointer, code: 'required', message: `'type' is required; add the trigger type, one of ${supported}`, severity: 'error' });
    return { trigger: undefined, issues };
  }
  if (typeof type !== 'string') {
    issues.push({ pointer: typePointer, code: 'wrong-type', message: `expected a trigger type (a string), got ${showValue(type)}; use one of ${supported}`, severity: 'error', value: type });
    return { trigger: undefined, issues };
  }
  const definition = getTriggerType(type);
  if (definition === undefined) {
    if (KNOWN_SPINNAKER_TRIGGER_TYPES.includes(type)) {
      issues.push(
        enabled
          ? { pointer: typePointer, code: 'trigger-type-unsupported', message: `trigger type '${type}' is not supported yet${triggerAlternative(type)}; disable this trigger or use one of ${supported}`, severity: 'error', value: type }
          : { pointer: typePointer, code: 'trigger-type-unsupported', message: `trigger type '${type}' is not supported yet${triggerAlternative(type)}; this trigger is disabled, so it is kept and ignored (supported types: ${supported})`, severity: 'warning', value: type },
      );
    } else {
      issues.push({ pointer: typePointer, code: 'trigger-type-unknown', message: `trigger type '${type}' is unknown; supported types: ${supported}`, severity: 'error', value: type });
    }
    return { trigger: undefined, issues };
  }
  const parsed = safeParse(definition.schema(context), raw);
  if (!parsed.success) {
    issues.push(...issuesFromZod(parsed.error, raw, pointer));
    return { trigger: undefined, issues };
  }
  issues.push(...fromConfigIssues(definition.check?.(parsed.data) ?? [], raw, pointer));
  if (issues.some((issue) => issue.severity === 'error')) return { trigger: undefined, issues };
  const trigger = { type, enabled, index, config: parsed.data, raw } as Trigger;
  return { trigger, issues };
}
