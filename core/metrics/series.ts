/**
 * The time grid every metric source answers on (see core/ports/metric-source.ts): point i
 * covers `[start + i·step, start + (i+1)·step)`, and there are `floor((end − start)/step)`
 * points, Kayenta's `expectedDataPoints`. Sources put their samples on this grid so control and
 * experiment line up point for point whatever the backend returned (Prometheus leaves missing
 * steps out of a matrix; CloudWatch leaves empty periods out).
 */
import type { MetricScope } from '../ports/metric-source.ts';

/** Prometheus refuses more than 11,000 points per series; the same bound keeps every source's answer small. */
export const MAX_POINTS = 11_000;

export interface MetricWindow {
  readonly start: number;
  readonly stepMs: number;
  /** Epoch ms of each point's start. */
  readonly timestamps: readonly number[];
}

export type WindowResult = { readonly ok: true; readonly window: MetricWindow } | { readonly ok: false; readonly message: string };

/** Checks the scope's window and step and lays out the grid. */
export function planWindow(scope: MetricScope): WindowResult {
  const { start, end, stepSeconds } = scope;
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    return { ok: false, message: `scope ${scope.scope}: start ${start} and end ${end} must be epoch milliseconds` };
  }
  if (!Number.isInteger(stepSeconds) || stepSeconds < 1) {
    return { ok: false, message: `scope ${scope.scope}: stepSeconds is ${stepSeconds}, expected a whole number of seconds >= 1` };
  }
  const stepMs = stepSeconds * 1000;
  const count = Math.floor((end - start) / stepMs);
  if (count < 1) {
    return {
      ok: false,
      message: `scope ${scope.scope}: the window ${new Date(start).toISOString()} to ${new Date(end).toISOString()} is shorter than one step of ${stepSeconds} s; widen the window or lower stepSeconds`,
    };
  }
  if (count > MAX_POINTS) {
    return { ok: false, message: `scope ${scope.scope}: the window holds ${count} steps of ${stepSeconds} s, more than ${MAX_POINTS}; raise stepSeconds to at least ${Math.ceil((end - start) / 1000 / MAX_POINTS)}` };
  }
  return { ok: true, window: { start, stepMs, timestamps: Array.from({ length: count }, (_, index) => start + index * stepMs) } };
}

/**
 * Puts samples on the grid by their timestamp (epoch ms of the step they describe): a sample
 * off the grid or outside the window is dropped; a NaN value counts as missing; a second
 * sample for the same point replaces the first (later pages win).
 */
export function alignToWindow(window: MetricWindow, samples: Iterable<{ readonly at: number; readonly value: number }>): (number | null)[] {
  const values: (number | null)[] = new Array<number | null>(window.timestamps.length).fill(null);
  for (const { at, value } of samples) {
    const offset = at - window.start;
    if (offset % window.stepMs !== 0) continue;
    const index = offset / window.stepMs;
    if (index < 0 || index >= values.length) continue;
    values[index] = Number.isNaN(value) ? null : value;
  }
  return values;
}

/**
 * The variables a query template may use, as Kayenta binds them (`QueryConfigUtils`): the
 * scope's `scope` and `location`, the query's `resourceType` when it sets one, then every
 * extended scope param (which may override the others). Empty values are not bound, as in
 * Kayenta, so `${location}` with no location is an error rather than an empty string.
 */
export function templateBindings(scope: MetricScope, query: { readonly resourceType?: string } = {}): Record<string, string> {
  const bindings: Record<string, string> = {};
  const put = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== '') bindings[name] = value;
  };
  put('scope', scope.scope);
  put('location', scope.location);
  put('resourceType', query.resourceType);
  for (const [name, value] of Object.entries(scope.extendedScopeParams ?? {})) put(name, value);
  return bindings;
}
