/**
 * A Prometheus HTTP API on the simulator (`/prometheus/api/v1/query_range` and `/query`) over
 * request metrics every pod "serves" while it is Ready, labelled with the pod's labels at each
 * instant, and generated deterministically (seeded) from its image's behaviour (`requestsPerSecond`,
 * `errorRate`, `latencyMs`) over simulated time. It lets a canary judge read a good and a bad
 * release apart through the same PromQL a real Prometheus would answer.
 *
 * Series per pod (scraped every 15 s of simulated time, from its start until it is deleted):
 * `http_requests_total{code="200"|"500"}`, `http_request_duration_seconds_bucket{le}`, `_sum`,
 * `_count` and `up`, each with the pod's labels plus `namespace` and `pod`.
 *
 * PromQL subset: vector selectors with `=`, `!=`, `=~`, `!~` matchers and range selectors
 * (`[30s]`, `[5m]`); `rate`, `irate`, `increase`, `delta`, `abs`, `histogram_quantile`;
 * `sum`, `avg`, `min`, `max`, `count` with `by`/`without` before or after the argument; `+ - * /`
 * between vectors (one-to-one on identical label sets) and numbers; parentheses.
 */
import { createRandom } from './random.ts';

/** Per pod, how it behaves as a metrics source. */
export interface MetricBehaviour {
  readonly requestsPerSecond: number;
  readonly errorRate: number;
  readonly latencyMs: number;
}

type Labels = Record<string, string>;

interface Segment {
  readonly from: number;
  readonly labels: Labels;
  readonly ready: boolean;
}

interface PodSeries {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly createdAt: number;
  startedAt?: number;
  deletedAt?: number;
  readonly segments: Segment[];
  readonly behaviour: () => MetricBehaviour;
  /** Cumulative counts per whole second since creation: requests, errors, latency sum (s), and per bucket. */
  cumulative?: { requests: number[]; errors: number[]; sum: number[]; buckets: number[][] };
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SCRAPE_MS = 15_000;
const LOOKBACK_MS = 5 * 60_000;

/** A PromQL error: answered as `{status:"error", errorType:"bad_data"}` with 400. */
export class PromQLError extends Error {}

// ------------------------------------------------------------------------------------ parser

type Matcher = { readonly name: string; readonly op: '=' | '!=' | '=~' | '!~'; readonly value: string; readonly re?: RegExp };
type Node =
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'selector'; readonly matchers: readonly Matcher[]; readonly rangeMs?: number }
  | { readonly type: 'call'; readonly name: string; readonly args: readonly Node[] }
  | { readonly type: 'aggregate'; readonly op: string; readonly by?: readonly string[]; readonly without?: readonly string[]; readonly arg: Node }
  | { readonly type: 'binary'; readonly op: string; readonly left: Node; readonly right: Node }
  | { readonly type: 'negate'; readonly arg: Node };

const AGGREGATIONS = new Set(['sum', 'avg', 'min', 'max', 'count']);
const FUNCTIONS = new Set(['rate', 'irate', 'increase', 'delta', 'abs', 'histogram_quantile']);

/** Parses a Prometheus duration (`30s`, `5m`, `1h30m`, `500ms`) to ms. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
  let total = 0;
  let rest = text;
  if (rest === '') throw new PromQLError(`bad duration ""`);
  while (rest !== '') {
    const m = /^(\d+)(ms|s|m|h|d|w|y)/.exec(rest);
    if (!m) throw new PromQLError(`not a valid duration string: "${text}"`);
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

function parse(query: string): Node {
  let i = 0;
  const src = query;
  const skip = () => {
    while (i < src.length && /\s/.test(src[i]!)) i += 1;
  };
  const peek = (s: string) => (skip(), src.startsWith(s, i));
  /** A keyword (`by`, `without`) as a whole word, not the start of a metric name such as `bytes_total`. */
  const keyword = (word: string) => peek(word) && !/[a-zA-Z0-9_:]/.test(src[i + word.length] ?? '');
  const expect = (s: string) => {
    if (!peek(s)) throw new PromQLError(`parse error at char ${i + 1}: expected "${s}", got "${src.slice(i, i + 10) || 'end of input'}"`);
    i += s.length;
  };
  const ident = (): string | undefined => {
    skip();
    const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(src.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const string = (): string => {
    skip();
    const quote = src[i];
    if (quote !== '"' && quote !== "'" && quote !== '`') throw new PromQLError(`parse error at char ${i + 1}: expected a quoted label value`);
    let out = '';
    i += 1;
    while (i < src.length && src[i] !== quote) {
      if (src[i] === '\\' && quote !== '`') {
        const next = src[i + 1];
        out += next === 'n' ? '\n' : next === 't' ? '\t' : (next ?? '');
        i += 2;
      } else out += src[i++];
    }
    if (src[i] !== quote) throw new PromQLError('parse error: unterminated quoted string');
    i += 1;
    return out;
  };
  const labelList = (): string[] => {
    expect('(');
    const out: string[] = [];
    while (!peek(')')) {
      const name = ident();
      if (!name) throw new PromQLError(`parse error at char ${i + 1}: expected a label name`);
      out.push(name);
      if (!peek(')')) expect(',');
    }
    expect(')');
    return out;
  };
  const selector = (name: string | undefined): Node => {
    const matchers: Matcher[] = name ? [{ name: '__name__', op: '=', value: name }] : [];
    if (peek('{')) {
      expect('{');
      while (!peek('}')) {
        const label = ident();
        if (!label) throw new PromQLError(`parse error at char ${i + 1}: expected a label name in the selector`);
        skip();
        const op = (['=~', '!~', '!=', '='] as const).find((o) => src.startsWith(o, i));
        if (!op) throw new PromQLError(`parse error at char ${i + 1}: expected a label matching operator (=, !=, =~, !~)`);
        i += op.length;
        const value = string();
        let re: RegExp | undefined;
        if (op === '=~' || op === '!~') {
          try {
            re = new RegExp(`^(?:${value})$`);
          } catch {
            throw new PromQLError(`invalid regular expression "${value}"`);
          }
        }
        matchers.push({ name: label, op, value, ...(re ? { re } : {}) });
        if (!peek('}')) expect(',');
      }
      expect('}');
    }
    if (matchers.length === 0 || matchers.every((m) => (m.op === '=' && m.value === '') || (m.re !== undefined && m.re.test(''))))
      throw new PromQLError('vector selector must contain at least one non-empty matcher');
    let rangeMs: number | undefined;
    if (peek('[')) {
      expect('[');
      skip();
      const m = /^[0-9a-z]+/.exec(src.slice(i));
      if (!m) throw new PromQLError(`parse error at char ${i + 1}: expected a range duration`);
      i += m[0].length;
      rangeMs = parseDuration(m[0]);
      expect(']');
    }
    return { type: 'selector', matchers, ...(rangeMs !== undefined ? { rangeMs } : {}) };
  };
  const primary = (): Node => {
    skip();
    if (peek('(')) {
      expect('(');
      const inner = expr();
      expect(')');
      return inner;
    }
    if (peek('-')) {
      expect('-');
      return { type: 'negate', arg: primary() };
    }
    const num = /^(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/.exec(src.slice(i));
    if (num) {
      i += num[0].length;
      return { type: 'number', value: Number(num[0]) };
    }
    if (peek('{')) return selector(undefined);
    const name = ident();
    if (!name) throw new PromQLError(`parse error at char ${i + 1}: unexpected "${src.slice(i, i + 10) || 'end of input'}"`);
    if (AGGREGATIONS.has(name)) {
      let by: string[] | undefined;
      let without: string[] | undefined;
      const grouping = () => {
        if (keyword('by')) {
          i += 2;
          by = labelList();
        } else if (keyword('without')) {
          i += 7;
          without = labelList();
        }
      };
      grouping();
      expect('(');
      const arg = expr();
      expect(')');
      grouping();
      return { type: 'aggregate', op: name, arg, ...(by ? { by } : {}), ...(without ? { without } : {}) };
    }
    if (FUNCTIONS.has(name) && peek('(')) {
      expect('(');
      const args: Node[] = [];
      while (!peek(')')) {
        args.push(expr());
        if (!peek(')')) expect(',');
      }
      expect(')');
      return { type: 'call', name, args };
    }
    if (peek('(')) throw new PromQLError(`unknown function with name "${name}" (this Prometheus answers: ${[...FUNCTIONS, ...AGGREGATIONS].join(', ')})`);
    return selector(name);
  };
  const term = (): Node => {
    let left = primary();
    for (;;) {
      if (peek('*') || peek('/')) {
        const op = src[i]!;
        i += 1;
        left = { type: 'binary', op, left, right: primary() };
      } else return left;
    }
  };
  const expr = (): Node => {
    let left = term();
    for (;;) {
      if (peek('+') || peek('-')) {
        const op = src[i]!;
        i += 1;
        left = { type: 'binary', op, left, right: term() };
      } else return left;
    }
  };
  const node = expr();
  skip();
  if (i < src.length) throw new PromQLError(`parse error at char ${i + 1}: unexpected "${src.slice(i, i + 10)}"`);
  return node;
}

// ------------------------------------------------------------------------------------ data

type Sample = { readonly labels: Labels; readonly value: number };
type Value = { readonly kind: 'scalar'; readonly value: number } | { readonly kind: 'vector'; readonly samples: Sample[] };

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function withoutName(labels: Labels): Labels {
  const { __name__: _ignored, ...rest } = labels;
  return rest;
}

function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  return matchers.every((m) => {
    const v = labels[m.name] ?? '';
    switch (m.op) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return m.re!.test(v);
      case '!~':
        return !m.re!.test(v);
    }
  });
}

/** Prometheus's number formatting in JSON answers. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** The metrics store and query engine. */
export class Prometheus {
  private readonly pods = new Map<string, PodSeries>();

  constructor(
    private readonly seed: number,
    private readonly now: () => number,
  ) {}

  /** Records a pod's state at the current instant (after every write to it). */
  observe(uid: string, namespace: string, name: string, labels: Labels, started: boolean, ready: boolean, deleted: boolean, behaviour: () => MetricBehaviour): void {
    const at = this.now();
    let pod = this.pods.get(uid);
    if (!pod) {
      pod = { uid, namespace, name, createdAt: at, segments: [], behaviour };
      this.pods.set(uid, pod);
    }
    if (deleted) {
      pod.deletedAt ??= at;
      return;
    }
    if (started && pod.startedAt === undefined) pod.startedAt = at;
    const last = pod.segments[pod.segments.length - 1];
    if (!last || last.ready !== ready || key(last.labels) !== key(labels)) {
      if (last && last.from === at) pod.segments.pop();
      pod.segments.push({ from: at, labels: { ...labels }, ready });
    }
  }

  private segmentAt(pod: PodSeries, t: number): Segment | undefined {
    let found: Segment | undefined;
    for (const s of pod.segments) if (s.from <= t) found = s;
    return found;
  }

  /** Cumulative counters up to (and excluding) whole second `seconds` since creation. */
  private counters(pod: PodSeries, seconds: number): { requests: number; errors: number; sum: number; buckets: number[] } {
    pod.cumulative ??= { requests: [0], errors: [0], sum: [0], buckets: [BUCKETS.map(() => 0)] };
    const c = pod.cumulative;
    const behaviour = pod.behaviour();
    const limit = Math.max(0, Math.floor((this.now() - pod.createdAt) / 1000));
    while (c.requests.length <= Math.min(seconds, limit)) {
      const s = c.requests.length - 1;
      const at = pod.createdAt + s * 1000;
      const ready = this.segmentAt(pod, at)?.ready === true && (pod.deletedAt === undefined || at < pod.deletedAt);
      // One seeded stream per pod and second: the same world replays the same numbers.
      const random = createRandom((this.seed * 2654435761) ^ hashText(`${pod.uid}/${s}`));
      const rps = behaviour.requestsPerSecond;
      const requests = ready ? Math.floor(rps * (0.9 + 0.2 * random()) + random()) : 0;
      const errors = Math.min(requests, Math.floor(requests * behaviour.errorRate + random()));
      const u = random();
      const mean = Math.max(0.001, behaviour.latencyMs / 1000);
      c.requests.push(c.requests[s]! + requests);
      c.errors.push(c.errors[s]! + errors);
      c.sum.push(c.sum[s]! + requests * mean);
      c.buckets.push(BUCKETS.map((le, i) => c.buckets[s]![i]! + Math.floor(requests * (1 - Math.exp(-le / mean)) + u)));
    }
    const index = Math.min(seconds, c.requests.length - 1);
    return { requests: c.requests[index]!, errors: c.errors[index]!, sum: c.sum[index]!, buckets: c.buckets[index]! };
  }

  /** Every series of a pod at a scrape instant, with its value. */
  private seriesAt(pod: PodSeries, t: number): Sample[] {
    const segment = this.segmentAt(pod, t);
    if (!segment || pod.startedAt === undefined || t < pod.startedAt || (pod.deletedAt !== undefined && t >= pod.deletedAt) || t > this.now()) return [];
    const base: Labels = { ...segment.labels, namespace: pod.namespace, pod: pod.name };
    const c = this.counters(pod, Math.floor((t - pod.createdAt) / 1000));
    const out: Sample[] = [
      { labels: { ...base, __name__: 'up' }, value: 1 },
      { labels: { ...base, __name__: 'http_requests_total', code: '200' }, value: c.requests - c.errors },
      { labels: { ...base, __name__: 'http_requests_total', code: '500' }, value: c.errors },
      { labels: { ...base, __name__: 'http_request_duration_seconds_sum' }, value: c.sum },
      { labels: { ...base, __name__: 'http_request_duration_seconds_count' }, value: c.requests },
    ];
    BUCKETS.forEach((le, i) => out.push({ labels: { ...base, __name__: 'http_request_duration_seconds_bucket', le: String(le) }, value: c.buckets[i]! }));
    out.push({ labels: { ...base, __name__: 'http_request_duration_seconds_bucket', le: '+Inf' }, value: c.requests });
    return out;
  }

  /** Samples of every series the matchers select in (from, to], grouped by series. */
  private range(matchers: readonly Matcher[], from: number, to: number): Map<string, { labels: Labels; points: { t: number; v: number }[] }> {
    const out = new Map<string, { labels: Labels; points: { t: number; v: number }[] }>();
    const first = Math.floor(from / SCRAPE_MS) * SCRAPE_MS + SCRAPE_MS;
    for (const pod of this.pods.values()) {
      for (let t = first; t <= to; t += SCRAPE_MS) {
        for (const sample of this.seriesAt(pod, t)) {
          if (!matchesAll(matchers, sample.labels)) continue;
          const k = key(sample.labels);
          let entry = out.get(k);
          if (!entry) out.set(k, (entry = { labels: sample.labels, points: [] }));
          entry.points.push({ t, v: sample.value });
        }
      }
    }
    return out;
  }

  /** The latest sample of each selected series at `t` (within the lookback, and not stale). */
  private instant(matchers: readonly Matcher[], t: number): Sample[] {
    const out: Sample[] = [];
    for (const pod of this.pods.values()) {
      if (pod.deletedAt !== undefined && pod.deletedAt <= t) continue;
      const scrape = Math.floor(t / SCRAPE_MS) * SCRAPE_MS;
      if (t - scrape > LOOKBACK_MS) continue;
      const current = this.segmentAt(pod, t);
      for (const sample of this.seriesAt(pod, scrape)) {
        // A target whose labels changed since the scrape is a new series; the old one is stale.
        if (current && key({ ...current.labels, namespace: pod.namespace, pod: pod.name }) !== key(withoutInternal(sample.labels))) continue;
        if (matchesAll(matchers, sample.labels)) out.push(sample);
      }
    }
    return out;
  }

  private evaluate(node: Node, t: number): Value {
    switch (node.type) {
      case 'number':
        return { kind: 'scalar', value: node.value };
      case 'negate': {
        const v = this.evaluate(node.arg, t);
        return v.kind === 'scalar' ? { kind: 'scalar', value: -v.value } : { kind: 'vector', samples: v.samples.map((s) => ({ labels: withoutName(s.labels), value: -s.value })) };
      }
      case 'selector':
        if (node.rangeMs !== undefined) throw new PromQLError('ranges only allowed for vector selectors inside rate, irate, increase or delta; a range vector cannot be the result of a query');
        return { kind: 'vector', samples: this.instant(node.matchers, t) };
      case 'call':
        return this.call(node, t);
      case 'aggregate': {
        const v = this.evaluate(node.arg, t);
        if (v.kind !== 'vector') throw new PromQLError(`expected type instant vector in aggregation expression, got scalar`);
        const groups = new Map<string, { labels: Labels; values: number[] }>();
        for (const s of v.samples) {
          const labels: Labels = {};
          if (node.by) for (const l of node.by) (s.labels[l] !== undefined ? (labels[l] = s.labels[l]!) : undefined);
          else if (node.without) for (const [k, val] of Object.entries(withoutName(s.labels))) if (!node.without.includes(k)) labels[k] = val;
          const k = key(labels);
          let g = groups.get(k);
          if (!g) groups.set(k, (g = { labels, values: [] }));
          g.values.push(s.value);
        }
        const reduce = (values: number[]) => {
          switch (node.op) {
            case 'sum':
              return values.reduce((a, b) => a + b, 0);
            case 'avg':
              return values.reduce((a, b) => a + b, 0) / values.length;
            case 'min':
              return Math.min(...values);
            case 'max':
              return Math.max(...values);
            default:
              return values.length;
          }
        };
        return { kind: 'vector', samples: [...groups.values()].map((g) => ({ labels: g.labels, value: reduce(g.values) })) };
      }
      case 'binary': {
        const l = this.evaluate(node.left, t);
        const r = this.evaluate(node.right, t);
        const apply = (a: number, b: number) => (node.op === '+' ? a + b : node.op === '-' ? a - b : node.op === '*' ? a * b : a / b);
        if (l.kind === 'scalar' && r.kind === 'scalar') return { kind: 'scalar', value: apply(l.value, r.value) };
        if (l.kind === 'scalar' && r.kind === 'vector') return { kind: 'vector', samples: r.samples.map((s) => ({ labels: withoutName(s.labels), value: apply(l.value, s.value) })) };
        if (l.kind === 'vector' && r.kind === 'scalar') return { kind: 'vector', samples: l.samples.map((s) => ({ labels: withoutName(s.labels), value: apply(s.value, r.value) })) };
        const right = new Map((r as { samples: Sample[] }).samples.map((s) => [key(withoutName(s.labels)), s]));
        const samples: Sample[] = [];
        for (const s of (l as { samples: Sample[] }).samples) {
          const match = right.get(key(withoutName(s.labels)));
          if (match) samples.push({ labels: withoutName(s.labels), value: apply(s.value, match.value) });
        }
        return { kind: 'vector', samples };
      }
    }
  }

  private call(node: Extract<Node, { type: 'call' }>, t: number): Value {
    if (node.name === 'abs') {
      const v = this.evaluate(node.args[0] ?? { type: 'number', value: 0 }, t);
      if (v.kind !== 'vector') throw new PromQLError('expected type instant vector in call to function "abs", got scalar');
      return { kind: 'vector', samples: v.samples.map((s) => ({ labels: withoutName(s.labels), value: Math.abs(s.value) })) };
    }
    if (node.name === 'histogram_quantile') {
      const phi = this.evaluate(node.args[0] ?? { type: 'number', value: NaN }, t);
      const v = this.evaluate(node.args[1] ?? { type: 'number', value: 0 }, t);
      if (phi.kind !== 'scalar' || v.kind !== 'vector') throw new PromQLError('histogram_quantile(φ scalar, b instant-vector) expects a number and a vector of buckets with an "le" label');
      const groups = new Map<string, { labels: Labels; buckets: { le: number; count: number }[] }>();
      for (const s of v.samples) {
        const le = s.labels['le'];
        if (le === undefined) continue;
        const { le: _le, ...rest } = withoutName(s.labels);
        const k = key(rest);
        let g = groups.get(k);
        if (!g) groups.set(k, (g = { labels: rest, buckets: [] }));
        g.buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: s.value });
      }
      return { kind: 'vector', samples: [...groups.values()].map((g) => ({ labels: g.labels, value: quantile(phi.value, g.buckets) })) };
    }
    const arg = node.args[0];
    if (node.args.length !== 1 || !arg || arg.type !== 'selector' || arg.rangeMs === undefined) throw new PromQLError(`expected type range vector in call to function "${node.name}", e.g. ${node.name}(http_requests_total[1m])`);
    const rangeMs = arg.rangeMs;
    const series = this.range(arg.matchers, t - rangeMs, t);
    const samples: Sample[] = [];
    for (const { labels, points } of series.values()) {
      if (points.length < 2) continue;
      const first = points[0]!;
      const last = points[points.length - 1]!;
      if (node.name === 'irate') {
        const prev = points[points.length - 2]!;
        samples.push({ labels: withoutName(labels), value: (last.v - prev.v) / ((last.t - prev.t) / 1000) });
        continue;
      }
      // Prometheus's extrapolatedRate: extend to the window's edges when samples stop short of them.
      const delta = last.v - first.v;
      const sampled = (last.t - first.t) / 1000;
      const average = sampled / (points.length - 1);
      let toStart = (first.t - (t - rangeMs)) / 1000;
      const toEnd = (t - last.t) / 1000;
      if (node.name !== 'delta' && delta > 0 && first.v >= 0) toStart = Math.min(toStart, (sampled * first.v) / delta);
      const threshold = average * 1.1;
      let extended = sampled;
      extended += toStart < threshold ? toStart : average / 2;
      extended += toEnd < threshold ? toEnd : average / 2;
      const increase = (delta * extended) / sampled;
      samples.push({ labels: withoutName(labels), value: node.name === 'rate' ? increase / (rangeMs / 1000) : increase });
    }
    return { kind: 'vector', samples };
  }

  /** `GET|POST /api/v1/query_range`: a matrix, one point per step. */
  queryRange(query: string, startS: number, endS: number, stepS: number): unknown {
    const node = parse(query);
    if (endS < startS) throw new PromQLError('end timestamp must not be before start time');
    if (!(stepS > 0)) throw new PromQLError('zero or negative query resolution step widths are not accepted. Try a positive integer');
    if ((endS - startS) / stepS > 11_000) throw new PromQLError('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    const series = new Map<string, { metric: Labels; values: [number, string][] }>();
    for (let t = startS; t <= endS + 1e-9; t += stepS) {
      const v = this.evaluate(node, Math.round(t * 1000));
      const samples = v.kind === 'scalar' ? [{ labels: {}, value: v.value }] : v.samples;
      for (const s of samples) {
        const k = key(s.labels);
        let entry = series.get(k);
        if (!entry) series.set(k, (entry = { metric: s.labels, values: [] }));
        entry.values.push([Math.round(t * 1000) / 1000, formatValue(s.value)]);
      }
    }
    return { status: 'success', data: { resultType: 'matrix', result: [...series.values()] } };
  }

  /** `GET|POST /api/v1/query`: an instant vector (or scalar) at `timeS`. */
  query(query: string, timeS: number): unknown {
    const v = this.evaluate(parse(query), Math.round(timeS * 1000));
    const at = Math.round(timeS * 1000) / 1000;
    if (v.kind === 'scalar') return { status: 'success', data: { resultType: 'scalar', result: [at, formatValue(v.value)] } };
    return { status: 'success', data: { resultType: 'vector', result: v.samples.map((s) => ({ metric: s.labels, value: [at, formatValue(s.value)] })) } };
  }
}

function withoutInternal(labels: Labels): Labels {
  const { __name__: _n, code: _c, le: _l, ...rest } = labels;
  return rest;
}

function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Prometheus's bucketQuantile: linear interpolation inside the bucket the rank falls in. */
function quantile(phi: number, buckets: { le: number; count: number }[]): number {
  if (Number.isNaN(phi)) return NaN;
  if (phi < 0) return -Infinity;
  if (phi > 1) return Infinity;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted[sorted.length - 1]!.le !== Infinity) return NaN;
  const total = sorted[sorted.length - 1]!.count;
  if (total === 0) return NaN;
  const rank = phi * total;
  let index = sorted.findIndex((b) => b.count >= rank);
  if (index === sorted.length - 1) return sorted[sorted.length - 2]!.le;
  if (index === 0 && sorted[0]!.le <= 0) return sorted[0]!.le;
  let start = 0;
  let countBefore = 0;
  if (index > 0) {
    start = sorted[index - 1]!.le;
    countBefore = sorted[index - 1]!.count;
  }
  if (index < 0) index = sorted.length - 1;
  const end = sorted[index]!.le;
  const inBucket = sorted[index]!.count - countBefore;
  return inBucket === 0 ? end : start + ((end - start) * (rank - countBefore)) / inBucket;
}

/** Parses a Prometheus API time: unix seconds (float) or RFC 3339. */
export function parseTime(text: string | null, name: string): number {
  if (text === null || text === '') throw new PromQLError(`invalid parameter "${name}": missing; send unix seconds or RFC 3339`);
  const n = Number(text);
  if (Number.isFinite(n)) return n;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new PromQLError(`invalid parameter "${name}": cannot parse "${text}" to a valid timestamp`);
  return ms / 1000;
}

/** Parses `step`: seconds (float) or a duration (`15s`). */
export function parseStep(text: string | null): number {
  if (text === null || text === '') throw new PromQLError('invalid parameter "step": missing; send seconds such as 60 or a duration such as 1m');
  const n = Number(text);
  if (Number.isFinite(n)) return n;
  try {
    return parseDuration(text) / 1000;
  } catch {
    throw new PromQLError(`invalid parameter "step": cannot parse "${text}" to a valid duration`);
  }
}
