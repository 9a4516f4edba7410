/**
 * The simulated CloudWatch (AWS JSON 1.0, `X-Amz-Target: GraniteServiceVersion20100801.<Op>`,
 * awsQuery-compatible errors): metric alarms (cloudwatch-alarms.ts) and GetMetricData (metric
 * stats and metric-math arithmetic), GetMetricStatistics and ListMetrics over two sources:
 *
 * - traffic profiles a test or the demo seeds (requests per second, error rate, latency) for an
 *   ALB target group, a Lambda function/alias/version or an ECS service, from which the
 *   namespace's metrics are synthesized per period, deterministic per seed and per period (the
 *   same query always returns the same numbers, whatever was asked before);
 * - datapoints other simulated services record (Lambda records every invocation).
 */
import type { AwsProtocol, AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';
import { AwsError, epochSeconds, readTimestamp, type JsonProtocol, jsonOperations } from './json-rpc.ts';
import { createAlarmStore, type AlarmQuery } from './cloudwatch-alarms.ts';

/** How another simulated service reports a datapoint (Lambda's invocations). */
export interface MetricRecorder {
  record(region: string, namespace: string, metricName: string, dimensions: Readonly<Record<string, string>>, at: number, value: number, unit: string): void;
}

/** A traffic level for one resource, from `from` on (until the next level seeded for the same resource). */
export interface TrafficProfile {
  /** "AWS/ApplicationELB", "AWS/Lambda" or "AWS/ECS". */
  readonly namespace: string;
  /** The metric dimensions exactly as CloudWatch keys them (e.g. TargetGroup + LoadBalancer). */
  readonly dimensions?: Readonly<Record<string, string>>;
  /** Convenience for ALB: sets `TargetGroup` to the ARN's `targetgroup/<name>/<id>` suffix. */
  readonly targetGroupArn?: string;
  /** Convenience for ALB: sets `LoadBalancer` to the ARN's `app/<name>/<id>` suffix. */
  readonly loadBalancerArn?: string;
  /** Region of the metrics. @default "us-east-1" */
  readonly region?: string;
  /** @default 10 */
  readonly requestsPerSecond?: number;
  /** Share of requests that fail (5XX / Errors), 0..1. @default 0 */
  readonly errorRate?: number;
  /** Mean latency in milliseconds (TargetResponseTime is reported in seconds, Duration in ms). @default 50 */
  readonly latencyMs?: number;
  /** ECS CPUUtilization / MemoryUtilization percent. @default 30 / 40 */
  readonly cpuPercent?: number;
  readonly memoryPercent?: number;
  /** Relative spread of every synthesized value, 0..1. @default 0.1 */
  readonly noise?: number;
  /** Start of this level, ms since the epoch. @default the simulator's now */
  readonly from?: number;
}

/** Seeding CloudWatch. */
export interface CloudWatchSeeder {
  /** Sets the traffic level of one resource from `from` on. */
  traffic(profile: TrafficProfile): { namespace: string; dimensions: Record<string, string>; from: string };
}

/** How another simulated service manages alarms of its own (Application Auto Scaling's target-tracking alarms). */
export interface AlarmPort {
  /** PutMetricAlarm with the wire request's members; returns the alarm's ARN. Throws AwsError on bad input. */
  putAlarm(region: string, request: Record<string, unknown>, ctx: SimContext): string;
  /** Deletes the named alarms that exist. */
  removeAlarms(region: string, names: readonly string[], ctx: SimContext): void;
}

/** One metric a GetMetricData call asked for, as the simulator read it. */
export interface MetricQuerySeen {
  /** Simulated time of the call, ms since the epoch. */
  readonly at: number;
  readonly region: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: string;
  readonly periodSeconds: number;
}

/** The simulated CloudWatch, its seeding API, and what other services use (metric recording, alarms). */
export interface CloudWatchSim extends AwsServiceSim, MetricRecorder, AlarmPort {
  bindSeed(context: () => SimContext): CloudWatchSeeder;
  /** The metrics GetMetricData calls asked for, oldest first (the last 1,000): what a caller's queries named. */
  metricQueries(): readonly MetricQuerySeen[];
}

/** How many asked-for metrics `metricQueries` keeps. */
const QUERIES_KEPT = 1_000;

export interface CloudWatchServiceOptions {
  /** Seed of the synthesized values. @default 1 */
  readonly seed?: number;
}

const PROTOCOL: JsonProtocol = {
  version: '1.0',
  namespace: 'com.amazonaws.cloudwatch',
  // The awsQuery code and fault the SDK (awsQueryCompatible) reads from x-amzn-query-error.
  queryError: (code, status) => {
    const query: Record<string, string> = {
      InvalidParameterValueException: 'InvalidParameterValue',
      InvalidParameterCombinationException: 'InvalidParameterCombination',
      MissingRequiredParameterException: 'MissingParameter',
      InvalidNextToken: 'InvalidNextToken',
      LimitExceededException: 'LimitExceeded',
      ResourceNotFound: 'ResourceNotFound',
    };
    return `${query[code] ?? code};${status >= 500 ? 'Receiver' : 'Sender'}`;
  },
};
const WIRE: AwsProtocol = { kind: 'awsJson', jsonVersion: '1.0' };
const TARGET_PREFIX = 'GraniteServiceVersion20100801';
const OPERATIONS = ['GetMetricData', 'GetMetricStatistics', 'ListMetrics', 'PutMetricAlarm', 'DescribeAlarms', 'DeleteAlarms', 'SetAlarmState'] as const;
type Operation = (typeof OPERATIONS)[number];

const METRICS: Record<string, Record<string, string>> = {
  'AWS/ApplicationELB': { RequestCount: 'Count', HTTPCode_Target_2XX_Count: 'Count', HTTPCode_Target_5XX_Count: 'Count', TargetResponseTime: 'Seconds' },
  'AWS/Lambda': { Invocations: 'Count', Errors: 'Count', Duration: 'Milliseconds', Throttles: 'Count' },
  'AWS/ECS': { CPUUtilization: 'Percent', MemoryUtilization: 'Percent' },
};

/** What one period holds for one metric. */
interface PeriodStats {
  sum: number;
  count: number;
  min: number;
  max: number;
  /** Mean of the synthesized part, for percentiles. */
  mean?: number;
  raw: number[];
}

interface Segment {
  readonly from: number;
  readonly profile: TrafficProfile;
}

interface Series {
  readonly region: string;
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions: Record<string, string>;
  readonly unit: string;
  readonly points: Array<{ at: number; value: number }>;
}

type Body = Record<string, unknown>;

function dimsKey(dimensions: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.keys(dimensions).sort().map((k) => [k, dimensions[k]]));
}

/** FNV-1a then one mulberry32 step: a uniform number in [0, 1) that depends only on its inputs. */
function uniform(seed: number, text: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  let t = (h + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function arnSuffix(arn: string, marker: string): string {
  const at = arn.indexOf(marker);
  if (at < 0) throw new Error(`'${arn}' is not an ARN with '${marker}'`);
  return arn.slice(at + (marker === 'loadbalancer/' ? marker.length : 0));
}

const STATS = new Set(['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']);

function statValue(stats: PeriodStats, stat: string): number | undefined {
  if (stats.count === 0) return undefined;
  switch (stat) {
    case 'Sum':
      return stats.sum;
    case 'SampleCount':
      return stats.count;
    case 'Average':
      return stats.sum / stats.count;
    case 'Minimum':
      return stats.min;
    case 'Maximum':
      return stats.max;
  }
  const p = /^p(\d{1,2}(?:\.\d+)?|100)$/.exec(stat);
  if (p !== null) {
    const q = Number(p[1]) / 100;
    if (stats.mean !== undefined) return stats.mean * (0.5 + q);
    const sorted = [...stats.raw].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  }
  throw new AwsError('InvalidParameterValueException', `The value ${stat} for parameter Stat is not supported. Use SampleCount, Average, Sum, Minimum, Maximum or a percentile such as p99.`);
}

// ---------------------------------------------------------------------------------------------
// Metric math: + - * / over query ids and numbers, parentheses, FILL(x, n), ABS(x).

type Value = number | Map<number, number>;

interface MathContext {
  series(id: string): Map<number, number>;
  grid: readonly number[];
}

function evaluate(expression: string, mc: MathContext): Map<number, number> {
  const tokens = expression.match(/\s*([A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|[-+*/(),])/g)?.map((t) => t.trim()) ?? [];
  if (tokens.join('') !== expression.replace(/\s+/g, '')) throw new AwsError('InvalidParameterValueException', `Error in expression: unsupported syntax in '${expression}' (the simulator supports + - * / ( ), numbers, query ids, FILL and ABS)`);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const expect = (t: string) => {
    if (next() !== t) throw new AwsError('InvalidParameterValueException', `Error in expression '${expression}': expected '${t}'`);
  };
  const apply = (a: Value, b: Value, op: string): Value => {
    const f = (x: number, y: number) => (op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : x / y);
    if (typeof a === 'number' && typeof b === 'number') return f(a, b);
    const out = new Map<number, number>();
    if (typeof a === 'number') for (const [t, v] of b as Map<number, number>) out.set(t, f(a, v));
    else if (typeof b === 'number') for (const [t, v] of a) out.set(t, f(v, b));
    else for (const [t, v] of a) if (b.has(t)) out.set(t, f(v, b.get(t)!));
    for (const [t, v] of out) if (!Number.isFinite(v)) out.delete(t);
    return out;
  };
  const primary = (): Value => {
    const t = next();
    if (t === undefined) throw new AwsError('InvalidParameterValueException', `Error in expression '${expression}': unexpected end`);
    if (t === '(') {
      const v = sum();
      expect(')');
      return v;
    }
    if (t === '-') return apply(-1, primary(), '*');
    if (/^\d/.test(t)) return Number(t);
    if (peek() === '(') {
      next();
      const arg = sum();
      if (t.toUpperCase() === 'FILL') {
        expect(',');
        const fill = sum();
        expect(')');
        if (typeof fill !== 'number') throw new AwsError('InvalidParameterValueException', `Error in expression '${expression}': FILL takes a number as its second argument`);
        const out = new Map<number, number>();
        const series = typeof arg === 'number' ? new Map<number, number>() : arg;
        for (const at of mc.grid) out.set(at, series.get(at) ?? fill);
        return out;
      }
      expect(')');
      if (t.toUpperCase() === 'ABS') return typeof arg === 'number' ? Math.abs(arg) : new Map([...arg].map(([k, v]) => [k, Math.abs(v)]));
      throw new AwsError('InvalidParameterValueException', `Error in expression '${expression}': the simulator does not support function ${t}`);
    }
    return mc.series(t);
  };
  const product = (): Value => {
    let v = primary();
    while (peek() === '*' || peek() === '/') {
      const op = next()!;
      v = apply(v, primary(), op);
    }
    return v;
  };
  const sum = (): Value => {
    let v = product();
    while (peek() === '+' || peek() === '-') {
      const op = next()!;
      v = apply(v, product(), op);
    }
    return v;
  };
  const result = sum();
  if (i !== tokens.length) throw new AwsError('InvalidParameterValueException', `Error in expression '${expression}': unexpected '${peek()}'`);
  if (typeof result === 'number') return new Map(mc.grid.map((t) => [t, result]));
  return result;
}

/** Creates the simulated CloudWatch. */
export function createCloudWatchService(options: CloudWatchServiceOptions = {}): CloudWatchSim {
  const seed = options.seed ?? 1;
  const segments = new Map<string, Segment[]>();
  const recorded = new Map<string, Series>();
  const asked: MetricQuerySeen[] = [];

  const profileKey = (region: string, namespace: string, dimensions: Readonly<Record<string, string>>) => `${region}|${namespace}|${dimsKey(dimensions)}`;

  /** The synthesized statistics of one metric of one profile for the period starting at `at`. */
  function synthesize(key: string, profile: TrafficProfile, metric: string, at: number, periodS: number): PeriodStats | undefined {
    const noise = profile.noise ?? 0.1;
    const u = (salt: string) => 1 + noise * (2 * uniform(seed, `${key}|${salt}|${at}|${periodS}`) - 1);
    const n = Math.max(0, Math.round((profile.requestsPerSecond ?? 10) * periodS * u('n')));
    const errors = Math.min(n, Math.round(n * (profile.errorRate ?? 0) * u('e')));
    const latency = (profile.latencyMs ?? 50) * u('l');
    const counted = (value: number): PeriodStats => ({ sum: value, count: value, min: 1, max: 1, raw: [] });
    const timed = (mean: number): PeriodStats | undefined => (n === 0 ? undefined : { sum: mean * n, count: n, min: mean * 0.5, max: mean * 2, mean, raw: [] });
    const gauge = (value: number): PeriodStats => {
      const samples = Math.max(1, Math.round(periodS / 60));
      return { sum: value * samples, count: samples, min: value * 0.8, max: value * 1.2, mean: value, raw: [] };
    };
    switch (`${profile.namespace}/${metric}`) {
      case 'AWS/ApplicationELB/RequestCount':
        return n > 0 ? counted(n) : undefined;
      // ALB publishes the HTTP code counts only for periods where they are not zero.
      case 'AWS/ApplicationELB/HTTPCode_Target_5XX_Count':
        return errors > 0 ? counted(errors) : undefined;
      case 'AWS/ApplicationELB/HTTPCode_Target_2XX_Count':
        return n - errors > 0 ? counted(n - errors) : undefined;
      case 'AWS/ApplicationELB/TargetResponseTime':
        return timed(latency / 1000);
      case 'AWS/Lambda/Invocations':
        return n > 0 ? counted(n) : undefined;
      case 'AWS/Lambda/Errors':
        return n > 0 ? { sum: errors, count: n, min: 0, max: errors > 0 ? 1 : 0, raw: [] } : undefined;
      case 'AWS/Lambda/Throttles':
        return n > 0 ? { sum: 0, count: n, min: 0, max: 0, raw: [] } : undefined;
      case 'AWS/Lambda/Duration':
        return timed(latency);
      case 'AWS/ECS/CPUUtilization':
        return gauge((profile.cpuPercent ?? 30) * u('cpu'));
      case 'AWS/ECS/MemoryUtilization':
        return gauge((profile.memoryPercent ?? 40) * u('mem'));
      default:
        return undefined;
    }
  }

  /** One metric's statistics per period over [start, end): synthesized plus recorded datapoints. */
  function periods(region: string, namespace: string, metric: string, dimensions: Readonly<Record<string, string>>, start: number, end: number, periodS: number, unit: string | undefined): Map<number, PeriodStats> {
    const out = new Map<number, PeriodStats>();
    const periodMs = periodS * 1000;
    const key = profileKey(region, namespace, dimensions);
    const native = METRICS[namespace]?.[metric];
    const levels = segments.get(key);
    const first = Math.floor(start / periodMs) * periodMs;
    if (levels !== undefined && native !== undefined && (unit === undefined || unit === native)) {
      for (let at = first; at < end; at += periodMs) {
        const level = [...levels].reverse().find((s) => s.from <= at);
        if (level === undefined) continue;
        const stats = synthesize(key, level.profile, metric, at, periodS);
        if (stats !== undefined) out.set(at, stats);
      }
    }
    const series = recorded.get(`${key}|${metric}`);
    if (series !== undefined && (unit === undefined || unit === series.unit)) {
      for (const point of series.points) {
        if (point.at < first || point.at >= end) continue;
        const at = Math.floor(point.at / periodMs) * periodMs;
        const stats = out.get(at) ?? { sum: 0, count: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY, raw: [] };
        stats.sum += point.value;
        stats.count += 1;
        stats.min = Math.min(stats.min, point.value);
        stats.max = Math.max(stats.max, point.value);
        stats.raw.push(point.value);
        out.set(at, stats);
      }
    }
    return out;
  }

  function readDimensions(value: unknown, field: string): Record<string, string> {
    if (value === undefined || value === null) return {};
    if (!Array.isArray(value)) throw new AwsError('InvalidParameterValueException', `${field} must be a list of {Name, Value}.`);
    const out: Record<string, string> = {};
    for (const d of value as Body[]) {
      if (typeof d.Name !== 'string' || typeof d.Value !== 'string') throw new AwsError('InvalidParameterValueException', `${field} must be a list of {Name, Value} strings.`);
      out[d.Name] = d.Value;
    }
    return out;
  }

  function readPeriod(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || (value >= 60 ? value % 60 !== 0 : ![1, 5, 10, 20, 30].includes(value))) {
      throw new AwsError('InvalidParameterValueException', `The parameter ${field} must be 1, 5, 10, 20, 30, 60 or a multiple of 60, got ${JSON.stringify(value)}.`);
    }
    return value;
  }

  function readWindow(body: Body): { start: number; end: number } {
    if (body.StartTime === undefined) throw new AwsError('MissingRequiredParameterException', 'The parameter StartTime is required.');
    if (body.EndTime === undefined) throw new AwsError('MissingRequiredParameterException', 'The parameter EndTime is required.');
    const start = readTimestamp(body.StartTime, 'StartTime');
    const end = readTimestamp(body.EndTime, 'EndTime');
    if (start >= end) throw new AwsError('InvalidParameterValueException', 'The parameter StartTime must be less than the parameter EndTime.');
    return { start, end };
  }

  function getMetricData(body: Body, region: string, now?: number): Body {
    const queries = body.MetricDataQueries;
    if (!Array.isArray(queries) || queries.length === 0) throw new AwsError('MissingRequiredParameterException', 'The parameter MetricDataQueries is required.');
    if (queries.length > 500) throw new AwsError('InvalidParameterValueException', 'The collection MetricDataQueries must not have a size greater than 500.');
    const { start, end } = readWindow(body);
    const ids = new Set<string>();
    const computed = new Map<string, Map<number, number>>();
    const byId = new Map<string, Body>();
    (queries as Body[]).forEach((q, index) => {
      const id = q.Id;
      if (typeof id !== 'string' || !/^[a-z][a-zA-Z0-9_]*$/.test(id)) throw new AwsError('InvalidParameterValueException', `The value ${JSON.stringify(id)} for parameter MetricDataQueries.member.${index + 1}.Id is invalid: it must start with a lower-case letter and contain only letters, digits and underscores.`);
      if (ids.has(id)) throw new AwsError('InvalidParameterValueException', `The values for parameter id in MetricDataQueries are not unique: ${id}.`);
      if ((q.MetricStat === undefined) === (q.Expression === undefined)) throw new AwsError('InvalidParameterCombinationException', `Exactly one of MetricStat and Expression must be given in MetricDataQueries.member.${index + 1}.`);
      ids.add(id);
      byId.set(id, q);
    });
    const periodOf = (q: Body): number => {
      const stat = q.MetricStat as Body | undefined;
      if (stat !== undefined) return readPeriod(stat.Period, 'Period');
      if (q.Period !== undefined) return readPeriod(q.Period, 'Period');
      return Math.max(60, ...[...byId.values()].filter((o) => o.MetricStat !== undefined).map((o) => readPeriod((o.MetricStat as Body).Period, 'Period')));
    };
    const resolving = new Set<string>();
    const seriesOf = (id: string): Map<number, number> => {
      const hit = computed.get(id);
      if (hit !== undefined) return hit;
      const q = byId.get(id);
      if (q === undefined) throw new AwsError('InvalidParameterValueException', `Error in expression: unknown metric id ${id}`);
      if (resolving.has(id)) throw new AwsError('InvalidParameterValueException', `Error in expression: ${id} refers to itself`);
      resolving.add(id);
      const periodS = periodOf(q);
      let values: Map<number, number>;
      if (q.MetricStat !== undefined) {
        const ms = q.MetricStat as Body;
        const metric = (ms.Metric ?? {}) as Body;
        if (typeof metric.Namespace !== 'string' || typeof metric.MetricName !== 'string' || typeof ms.Stat !== 'string') {
          throw new AwsError('MissingRequiredParameterException', `MetricStat of ${id} needs Metric.Namespace, Metric.MetricName and Stat.`);
        }
        const dimensions = readDimensions(metric.Dimensions, 'Dimensions');
        if (now !== undefined) {
          asked.push({ at: now, region, namespace: metric.Namespace, metricName: metric.MetricName, dimensions, stat: ms.Stat, periodSeconds: periodS });
          if (asked.length > QUERIES_KEPT) asked.splice(0, asked.length - QUERIES_KEPT);
        }
        const stats = periods(region, metric.Namespace, metric.MetricName, dimensions, start, end, periodS, typeof ms.Unit === 'string' ? ms.Unit : undefined);
        values = new Map();
        for (const [at, s] of [...stats].sort((a, b) => a[0] - b[0])) {
          const v = statValue(s, ms.Stat);
          if (v !== undefined) values.set(at, v);
        }
      } else {
        const periodMs = periodS * 1000;
        const grid: number[] = [];
        for (let at = Math.floor(start / periodMs) * periodMs; at < end; at += periodMs) grid.push(at);
        values = evaluate(String(q.Expression), { series: seriesOf, grid });
      }
      resolving.delete(id);
      computed.set(id, values);
      return values;
    };
    const descending = (body.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';
    const results = (queries as Body[])
      .filter((q) => q.ReturnData !== false)
      .map((q) => {
        const id = q.Id as string;
        const points = [...seriesOf(id)].sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0]));
        const label = typeof q.Label === 'string' ? q.Label : q.MetricStat !== undefined ? String(((q.MetricStat as Body).Metric as Body).MetricName) : id;
        return { id, label, points };
      });
    // Paging: at most MaxDatapoints values per answer; the rest comes with NextToken.
    const max = typeof body.MaxDatapoints === 'number' && body.MaxDatapoints > 0 ? body.MaxDatapoints : 100_800;
    let skip = 0;
    if (typeof body.NextToken === 'string') {
      skip = Number(Buffer.from(body.NextToken, 'base64').toString('utf8'));
      if (!Number.isInteger(skip) || skip < 0) throw new AwsError('InvalidNextToken', 'The service couldn\'t process the NextToken.', 400);
    }
    let offset = 0;
    let taken = 0;
    const out: Body[] = [];
    for (const r of results) {
      const from = Math.max(0, skip - offset);
      const room = max - taken;
      const slice = r.points.slice(from, from + Math.max(0, room));
      taken += slice.length;
      const partial = from + slice.length < r.points.length;
      offset += r.points.length;
      if (from >= r.points.length && r.points.length > 0) continue;
      out.push({ Id: r.id, Label: r.label, Timestamps: slice.map(([at]) => epochSeconds(at)), Values: slice.map(([, v]) => v), StatusCode: partial ? 'PartialData' : 'Complete', Messages: [] });
    }
    const total = results.reduce((n, r) => n + r.points.length, 0);
    const next = skip + taken < total ? Buffer.from(String(skip + taken)).toString('base64') : undefined;
    return { MetricDataResults: out, Messages: [], ...(next !== undefined ? { NextToken: next } : {}) };
  }

  function getMetricStatistics(body: Body, req: SimRequest): Body {
    if (typeof body.Namespace !== 'string') throw new AwsError('MissingRequiredParameterException', 'The parameter Namespace is required.');
    if (typeof body.MetricName !== 'string') throw new AwsError('MissingRequiredParameterException', 'The parameter MetricName is required.');
    const { start, end } = readWindow(body);
    const periodS = readPeriod(body.Period, 'Period');
    const statistics = Array.isArray(body.Statistics) ? (body.Statistics as string[]) : [];
    const extended = Array.isArray(body.ExtendedStatistics) ? (body.ExtendedStatistics as string[]) : [];
    if (statistics.length === 0 && extended.length === 0) throw new AwsError('MissingRequiredParameterException', 'At least one of the parameters Statistics and ExtendedStatistics must be specified.');
    for (const s of statistics) if (!STATS.has(s)) throw new AwsError('InvalidParameterValueException', `The value ${s} for parameter Statistics is not a valid statistic.`);
    const unit = typeof body.Unit === 'string' ? body.Unit : undefined;
    const stats = periods(req.region, body.Namespace, body.MetricName, readDimensions(body.Dimensions, 'Dimensions'), start, end, periodS, unit);
    const nativeUnit = METRICS[body.Namespace]?.[body.MetricName] ?? recorded.get(`${profileKey(req.region, body.Namespace, readDimensions(body.Dimensions, 'Dimensions'))}|${body.MetricName}`)?.unit ?? 'None';
    const datapoints = [...stats].sort((a, b) => a[0] - b[0]).map(([at, s]) => ({
      Timestamp: epochSeconds(at),
      ...Object.fromEntries(statistics.map((name) => [name, statValue(s, name)])),
      Unit: unit ?? nativeUnit,
      ...(extended.length > 0 ? { ExtendedStatistics: Object.fromEntries(extended.map((name) => [name, statValue(s, name)])) } : {}),
    }));
    return { Label: body.MetricName, Datapoints: datapoints };
  }

  function listMetrics(body: Body, req: SimRequest): Body {
    const metrics: Body[] = [];
    const seen = new Set<string>();
    const add = (namespace: string, metric: string, dimensions: Record<string, string>) => {
      const key = `${namespace}|${metric}|${dimsKey(dimensions)}`;
      if (seen.has(key)) return;
      seen.add(key);
      metrics.push({ Namespace: namespace, MetricName: metric, Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })) });
    };
    for (const [key, levels] of segments) {
      const [region, namespace] = key.split('|');
      if (region !== req.region || namespace === undefined) continue;
      const dims = levels[0]!.profile.dimensions ?? {};
      for (const metric of Object.keys(METRICS[namespace] ?? {})) add(namespace, metric, { ...dims });
    }
    for (const s of recorded.values()) if (s.region === req.region) add(s.namespace, s.metric, s.dimensions);
    const filtered = metrics.filter((m) => (body.Namespace === undefined || m.Namespace === body.Namespace) && (body.MetricName === undefined || m.MetricName === body.MetricName));
    return { Metrics: filtered };
  }

  /** An alarm's values per period: the statistic of one metric, or the one query of its metric math that returns data. */
  function alarmData(region: string, query: AlarmQuery, start: number, end: number): Map<number, number> {
    if (query.kind === 'metric') {
      const out = new Map<number, number>();
      for (const [at, s] of periods(region, query.namespace, query.metricName, query.dimensions, start, end, query.periodS, query.unit)) {
        const v = statValue(s, query.stat);
        if (v !== undefined) out.set(at, v);
      }
      return out;
    }
    const answer = getMetricData({ MetricDataQueries: query.metrics, StartTime: epochSeconds(start), EndTime: epochSeconds(end), ScanBy: 'TimestampAscending' }, region);
    const result = (answer.MetricDataResults as Body[])[0];
    const times = (result?.Timestamps as number[] | undefined) ?? [];
    const values = (result?.Values as number[] | undefined) ?? [];
    return new Map(times.map((t, i) => [t * 1000, values[i]!]));
  }

  const alarms = createAlarmStore(alarmData, readPeriod);

  const handlers: Record<Operation, (body: Body, req: SimRequest, ctx: SimContext) => Body> = {
    GetMetricData: (body, req, ctx) => getMetricData(body, req.region, ctx.now()),
    GetMetricStatistics: getMetricStatistics,
    ListMetrics: listMetrics,
    PutMetricAlarm: (body, req, ctx) => alarms.putMetricAlarm(body, req.region, ctx),
    DescribeAlarms: (body, req) => alarms.describeAlarms(body, req.region),
    DeleteAlarms: (body, req, ctx) => alarms.deleteAlarms(body, req.region, ctx),
    SetAlarmState: (body, req, ctx) => alarms.setAlarmState(body, req.region, ctx),
  };

  function seeder(context: () => SimContext): CloudWatchSeeder {
    return {
      traffic(profile) {
        if (METRICS[profile.namespace] === undefined) throw new Error(`traffic: 'namespace' must be one of ${Object.keys(METRICS).join(', ')}, got ${JSON.stringify(profile.namespace)}`);
        for (const [field, value, max] of [['requestsPerSecond', profile.requestsPerSecond, Number.POSITIVE_INFINITY], ['errorRate', profile.errorRate, 1], ['latencyMs', profile.latencyMs, Number.POSITIVE_INFINITY], ['noise', profile.noise, 1]] as const) {
          if (value !== undefined && (typeof value !== 'number' || value < 0 || value > max)) throw new Error(`traffic: '${field}' must be a number between 0 and ${max}, got ${JSON.stringify(value)}`);
        }
        const dimensions: Record<string, string> = { ...(profile.dimensions ?? {}) };
        if (profile.targetGroupArn !== undefined) dimensions.TargetGroup = arnSuffix(profile.targetGroupArn, 'targetgroup/');
        if (profile.loadBalancerArn !== undefined) dimensions.LoadBalancer = arnSuffix(profile.loadBalancerArn, 'loadbalancer/');
        if (Object.keys(dimensions).length === 0) throw new Error("traffic: give 'dimensions' (or targetGroupArn/loadBalancerArn) naming the resource");
        const from = profile.from ?? context().now();
        const key = profileKey(profile.region ?? 'us-east-1', profile.namespace, dimensions);
        const levels = segments.get(key) ?? [];
        levels.push({ from, profile: { ...profile, dimensions } });
        levels.sort((a, b) => a.from - b.from);
        segments.set(key, levels);
        return { namespace: profile.namespace, dimensions, from: new Date(from).toISOString() };
      },
    };
  }

  return {
    signingName: 'monitoring',
    protocol: WIRE,
    operations: OPERATIONS,
    handle: jsonOperations(PROTOCOL, TARGET_PREFIX, handlers),
    reconcile(ctx: SimContext): void {
      // Metrics are computed when asked; alarms evaluate on their own schedule.
      alarms.reconcile(ctx);
    },
    nextChangeAt(): number | undefined {
      return alarms.nextChangeAt();
    },
    snapshot(): Record<string, unknown> {
      return {
        alarms: alarms.snapshot(),
        traffic: [...segments.values()].flatMap((levels) => levels.map((l) => ({ namespace: l.profile.namespace, dimensions: l.profile.dimensions, from: new Date(l.from).toISOString(), requestsPerSecond: l.profile.requestsPerSecond ?? 10, errorRate: l.profile.errorRate ?? 0, latencyMs: l.profile.latencyMs ?? 50 }))),
        recordedSeries: [...recorded.values()].map((s) => ({ namespace: s.namespace, metric: s.metric, dimensions: s.dimensions, datapoints: s.points.length })),
      };
    },
    control(command: string, input: Record<string, unknown>, ctx: SimContext): unknown {
      if (command === 'traffic') return seeder(() => ctx).traffic(input as unknown as TrafficProfile);
      throw new Error(`monitoring has no side-door command '${command}' (have: traffic)`);
    },
    bindSeed: seeder,
    metricQueries: () => [...asked],
    putAlarm(region, request, ctx) {
      alarms.putMetricAlarm(request, region, ctx);
      return alarms.arnOf(region, String(request.AlarmName))!;
    },
    removeAlarms(region, names, ctx) {
      const existing = names.filter((name) => alarms.arnOf(region, name) !== undefined);
      if (existing.length > 0) alarms.deleteAlarms({ AlarmNames: existing }, region, ctx);
    },
    record(region, namespace, metricName, dimensions, at, value, unit): void {
      const key = `${profileKey(region, namespace, dimensions)}|${metricName}`;
      let series = recorded.get(key);
      if (series === undefined) {
        series = { region, namespace, metric: metricName, dimensions: { ...dimensions }, unit, points: [] };
        recorded.set(key, series);
      }
      series.points.push({ at, value });
    },
  };
}
