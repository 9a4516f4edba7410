/**
 * The in-process event bus of local mode (EventBridge's custom bus on AWS). Subscribers run
 * after `publish` returns, each on its own, so a slow or failing subscriber (a `pipeline`
 * trigger starting another pipeline) never holds up or breaks the execution that published.
 */
import type { EventBus, GennakerEvent } from '../core/ports/event-bus.ts';

export type EventHandler = (event: GennakerEvent) => void | Promise<void>;

export interface LocalEventBus extends EventBus {
  /** Calls `handler` with every event published from now on; returns the unsubscribe function. */
  subscribe(handler: EventHandler): () => void;
  /** Settles when every handler called so far has finished (tests, shutdown). */
  idle(): Promise<void>;
}

export function createLocalEventBus(options: { readonly onHandlerError?: (error: unknown, event: GennakerEvent) => void } = {}): LocalEventBus {
  const handlers = new Set<EventHandler>();
  const inFlight = new Set<Promise<void>>();
  return {
    async publish(event) {
      for (const handler of handlers) {
        const delivery: Promise<void> = Promise.resolve()
          .then(() => handler(event))
          .catch((error: unknown) => options.onHandlerError?.(error, event))
          .finally(() => inFlight.delete(delivery));
        inFlight.add(delivery);
      }
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
