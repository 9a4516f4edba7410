/**
 * Generic webhooks (`POST /webhooks/webhook/{source}`), Echo's rule (reference/spinnaker.md
 * §1.8): the trigger's `source` equals the URL's; every payload constraint key is in the payload
 * (a top-level key or a simple JSONPath) with a non-null value in which the constraint's regex
 * finds a match (partial match, Java's `find()`). The body's `parameters` become the execution's
 * parameters, its `artifacts` the trigger artifacts, and the whole body `trigger.payload`.
 */
import type { JsonObject } from '../ports/execution-store.ts';
import type { Pipeline } from '../pipeline/model.ts';
import type { WebhookTrigger } from '../pipeline/triggers/index.ts';
import { readPayloadValue } from './json-path.ts';
import type { TriggerMatch } from './match.ts';
import { findMatch, keyPart, matchFirstTriggers, pipelineRef, publicTriggerFields } from './match.ts';

export interface WebhookEvent {
  /** The last segment of the webhook URL. */
  readonly source: string;
  /** The request body (a JSON object). */
  readonly payload: JsonObject;
  /**
   * Identifies the delivery (the sender's `Idempotency-Key` / `X-Event-Id` header, or a fresh id):
   * a redelivery with the same id starts nothing new.
   */
  readonly eventId: string;
  /**
   * What deduplicates the delivery instead of `eventId`: for a signed delivery, a digest of the
   * signed body. Headers such as `X-Event-Id` are not signed, so a captured body replayed with a
   * fresh id must still find the execution the first delivery started.
   */
  readonly dedupId?: string;
  /** Who sent it, for `trigger.user`. */
  readonly user?: string;
}

/** Text a constraint regex is tested against, as Java's `toString()` would give for plain JSON values. */
function constraintText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Whether every payload constraint holds (find semantics). */
export function payloadMeetsConstraints(constraints: Readonly<Record<string, string>>, payload: unknown): boolean {
  for (const [key, pattern] of Object.entries(constraints)) {
    const text = constraintText(readPayloadValue(payload, key));
    if (text === undefined || !findMatch(pattern, text)) return false;
  }
  return true;
}

function objectOrEmpty(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function artifactList(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter((item): item is JsonObject => item !== null && typeof item === 'object' && !Array.isArray(item)) : [];
}

/** The pipelines a generic webhook starts, one match per pipeline. */
export function matchWebhookTrigger(pipelines: readonly Pipeline[], event: WebhookEvent): TriggerMatch<WebhookTrigger>[] {
  return matchFirstTriggers<WebhookTrigger, true>(pipelines, 'webhook', (trigger) =>
    trigger.config.source === event.source && payloadMeetsConstraints(trigger.config.payloadConstraints, event.payload) ? true : undefined,
  ).map(({ pipeline, definition }) => ({
    pipeline,
    definition,
    idempotencyKey: ['webhook', keyPart(event.source), keyPart(event.dedupId ?? event.eventId), keyPart(pipelineRef(pipeline))].join(':'),
    trigger: {
      ...publicTriggerFields(definition),
      type: 'webhook',
      source: event.source,
      ...(event.user === undefined ? {} : { user: event.user }),
      eventId: event.eventId,
      parameters: objectOrEmpty(event.payload.parameters),
      artifacts: artifactList(event.payload.artifacts),
      payload: event.payload,
    },
  }));
}
