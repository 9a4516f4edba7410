/**
 * The EventBus on Amazon EventBridge: Gennaker's own events go to its custom bus with source
 * `gennaker` and the event's `type` as detail-type, so a rule (`Pipeline Execution Completed`)
 * routes them to the trigger router. PutEvents answers 200 even when an entry failed, so the
 * entry's error is checked; throttled entries are sent again with backoff.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBus, GennakerEvent } from '../../core/ports/event-bus.ts';
import { retryThrottled, type RetryPolicy } from '../stepfunctions/control-plane.ts';

/** The `source` of every event Gennaker puts on its bus (the rules match it). */
export const GENNAKER_EVENT_SOURCE = 'gennaker';

export interface EventBridgeBusOptions {
  readonly client: Pick<EventBridgeClient, 'send'>;
  readonly eventBusName: string;
  /** @default 4 attempts, 100 ms doubling, full jitter */
  readonly retry?: RetryPolicy;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

export function createEventBridgeBus(options: EventBridgeBusOptions): EventBus {
  const deps = {
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
    policy: options.retry ?? { maxAttempts: 4, baseDelayMs: 100 },
  };
  return {
    async publish(event: GennakerEvent) {
      await retryThrottled(async () => {
        const out = await options.client.send(
          new PutEventsCommand({
            Entries: [{ EventBusName: options.eventBusName, Source: GENNAKER_EVENT_SOURCE, DetailType: event.type, Detail: JSON.stringify(event) }],
          }),
        );
        const failed = out.Entries?.[0];
        if ((out.FailedEntryCount ?? 0) > 0 || failed?.ErrorCode) {
          // Surfaced with the entry's own code, so a throttled entry is retried like a throttled call.
          throw Object.assign(new Error(`EventBridge refused '${event.type}' for execution ${event.executionId}: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`.trim()), {
            name: failed?.ErrorCode === 'ThrottlingException' ? 'ThrottlingException' : 'EventBridgePutFailed',
          });
        }
      }, deps);
    },
  };
}
