/**
 * CloudWatch metric alarms for the simulated CloudWatch: PutMetricAlarm, DescribeAlarms,
 * DeleteAlarms and SetAlarmState, and the evaluation that moves each alarm between
 * INSUFFICIENT_DATA, OK and ALARM on the simulator's clock. As CloudWatch does, an alarm is
 * evaluated once a minute (every period for high-resolution periods below 60 s) over its last
 * `EvaluationPeriods` complete periods; `DatapointsToAlarm` of them must breach, and missing
 * periods count as `TreatMissingData` says. Actions are recorded, never executed.
 */
import { AwsError, epochSeconds } from './json-rpc.ts';
import type { SimContext } from './service.ts';

type Body = Record<string, unknown>;

/** What one alarm watches: a single metric, or metric math (`Metrics`, one query returning data). */
export type AlarmQuery =
  | { readonly kind: 'metric'; readonly namespace: string; readonly metricName: string; readonly dimensions: Readonly<Record<string, string>>; readonly stat: string; readonly unit?: string; readonly periodS: number }
  | { readonly kind: 'math'; readonly metrics: readonly Body[]; readonly periodS: number };

/** The values of a query per period start (ms) over [start, end): CloudWatch's own metric store answers it. */
export type AlarmDataSource = (region: string, query: AlarmQuery, start: number, end: number) => Map<number, number>;

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

const OPERATORS: Record<string, { readonly test: (value: number, threshold: number) => boolean; readonly words: string }> = {
  GreaterThanOrEqualToThreshold: { test: (v, t) => v >= t, words: 'greater than or equal to' },
  GreaterThanThreshold: { test: (v, t) => v > t, words: 'greater than' },
  LessThanThreshold: { test: (v, t) => v < t, words: 'less than' },
  LessThanOrEqualToThreshold: { test: (v, t) => v <= t, words: 'less than or equal to' },
};
const MISSING = ['missing', 'ignore', 'breaching', 'notBreaching'];

interface Alarm {
  readonly name: string;
  readonly arn: string;
  readonly region: string;
  readonly request: Body;
  readonly query: AlarmQuery;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison: string;
  readonly treatMissingData: string;
  readonly configUpdatedAt: number;
  state: AlarmState;
  stateReason: string;
  stateReasonData?: string;
  stateUpdatedAt: number;
  stateTransitionedAt: number;
  /** The next evaluation instant on the simulator's clock. */
  nextEvalAt: number;
}

/** The alarm store, its wire operations and its clock. */
export interface AlarmStore {
  putMetricAlarm(body: Body, region: string, ctx: SimContext): Body;
  describeAlarms(body: Body, region: string): Body;
  deleteAlarms(body: Body, region: string, ctx: SimContext): Body;
  setAlarmState(body: Body, region: string, ctx: SimContext): Body;
  /** Evaluates every alarm due at or before `ctx.now()`, each at its own instant. */
  reconcile(ctx: SimContext): void;
  nextChangeAt(): number | undefined;
  /** ARN of an alarm, or undefined when there is none by that name. */
  arnOf(region: string, name: string): string | undefined;
  snapshot(): Body[];
}

function evaluationStep(periodS: number): number {
  return periodS < 60 ? periodS * 1000 : 60_000;
}

function num(body: Body, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new AwsError('InvalidParameterValueException', `The value ${JSON.stringify(value)} for parameter ${key} is not a number.`);
  return value;
}

function strings(body: Body, key: string): string[] {
  const value = body[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new AwsError('InvalidParameterValueException', `The parameter ${key} must be a list of strings.`);
  if (value.length > 5) throw new AwsError('ValidationError', `The collection ${key} must not have a size greater than 5.`);
  return value as string[];
}

function missingParameter(name: string): AwsError {
  return new AwsError('MissingRequiredParameterException', `The parameter ${name} is required.`);
}

/** Creates the alarm store over CloudWatch's metric data. */
export function createAlarmStore(data: AlarmDataSource, readPeriod: (value: unknown, field: string) => number): AlarmStore {
  const alarms = new Map<string, Alarm>();
  const keyOf = (region: string, name: string) => `${region}|${name}`;

  function readQuery(body: Body): AlarmQuery {
    const metrics = body.Metrics;
    const single = body.MetricName !== undefined || body.Namespace !== undefined;
    if (metrics !== undefined && single) throw new AwsError('InvalidParameterCombinationException', 'Exactly one of MetricName and Metrics must be specified.');
    if (metrics !== undefined) {
      if (!Array.isArray(metrics) || metrics.length === 0) throw new AwsError('InvalidParameterValueException', 'The parameter Metrics must be a non-empty list of metric data queries.');
      const returning = (metrics as Body[]).filter((m) => m.ReturnData !== false);
      if (returning.length !== 1) throw new AwsError('ValidationError', 'Metrics list must contain exactly one metric matching the ReturnData parameter value true.');
      const periods = (metrics as Body[]).map((m) => (m.MetricStat as Body | undefined)?.Period ?? m.Period).filter((p) => p !== undefined);
      if (periods.length === 0) throw missingParameter('Metrics.member.N.MetricStat.Period');
      return { kind: 'math', metrics: JSON.parse(JSON.stringify(metrics)) as Body[], periodS: readPeriod(periods[0], 'Period') };
    }
    if (typeof body.MetricName !== 'string' || body.MetricName === '') throw missingParameter('MetricName');
    if (typeof body.Namespace !== 'string' || body.Namespace === '') throw missingParameter('Namespace');
    const statistic = body.Statistic;
    const extended = body.ExtendedStatistic;
    if ((statistic === undefined) === (extended === undefined)) throw new AwsError('InvalidParameterCombinationException', 'Exactly one of Statistic and ExtendedStatistic must be specified.');
    if (statistic !== undefined && !['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'].includes(String(statistic))) {
      throw new AwsError('InvalidParameterValueException', `The value ${String(statistic)} for parameter Statistic is not a valid statistic.`);
    }
    if (extended !== undefined && !/^p(\d{1,2}(\.\d+)?|100)$/.test(String(extended))) throw new AwsError('InvalidParameterValueException', `The value ${String(extended)} for parameter ExtendedStatistic is not supported (the simulator takes percentiles such as p99).`);
    if (body.Period === undefined) throw missingParameter('Period');
    const dimensions: Record<string, string> = {};
    const given = body.Dimensions ?? [];
    if (!Array.isArray(given)) throw new AwsError('InvalidParameterValueException', 'The parameter Dimensions must be a list of {Name, Value}.');
    for (const d of given as Body[]) {
      if (typeof d.Name !== 'string' || typeof d.Value !== 'string') throw new AwsError('InvalidParameterValueException', 'The parameter Dimensions must be a list of {Name, Value} strings.');
      dimensions[d.Name] = d.Value;
    }
    return {
      kind: 'metric',
      namespace: body.Namespace,
      metricName: body.MetricName,
      dimensions,
      stat: String(statistic ?? extended),
      ...(typeof body.Unit === 'string' ? { unit: body.Unit } : {}),
      periodS: readPeriod(body.Period, 'Period'),
    };
  }

  function encode(alarm: Alarm): Body {
    const r = alarm.request;
    const single = alarm.query.kind === 'metric';
    return {
      AlarmName: alarm.name,
      AlarmArn: alarm.arn,
      ...(typeof r.AlarmDescription === 'string' ? { AlarmDescription: r.AlarmDescription } : {}),
      AlarmConfigurationUpdatedTimestamp: epochSeconds(alarm.configUpdatedAt),
      ActionsEnabled: r.ActionsEnabled !== false,
      OKActions: strings(r, 'OKActions'),
      AlarmActions: strings(r, 'AlarmActions'),
      InsufficientDataActions: strings(r, 'InsufficientDataActions'),
      StateValue: alarm.state,
      StateReason: alarm.stateReason,
      ...(alarm.stateReasonData !== undefined ? { StateReasonData: alarm.stateReasonData } : {}),
      StateUpdatedTimestamp: epochSeconds(alarm.stateUpdatedAt),
      ...(single ? { MetricName: r.MetricName, Namespace: r.Namespace } : {}),
      ...(single && r.Statistic !== undefined ? { Statistic: r.Statistic } : {}),
      ...(single && r.ExtendedStatistic !== undefined ? { ExtendedStatistic: r.ExtendedStatistic } : {}),
      Dimensions: single ? (r.Dimensions ?? []) : [],
      ...(single ? { Period: r.Period } : {}),
      ...(typeof r.Unit === 'string' ? { Unit: r.Unit } : {}),
      EvaluationPeriods: alarm.evaluationPeriods,
      DatapointsToAlarm: alarm.datapointsToAlarm,
      Threshold: alarm.threshold,
      ComparisonOperator: alarm.comparison,
      TreatMissingData: alarm.treatMissingData,
      ...(!single ? { Metrics: (alarm.query as { readonly metrics: readonly Body[] }).metrics } : {}),
      StateTransitionedTimestamp: epochSeconds(alarm.stateTransitionedAt),
    };
  }

  function setState(ctx: SimContext, alarm: Alarm, state: AlarmState, reason: string, reasonData: string | undefined, at: number): void {
    const from = alarm.state;
    alarm.stateReason = reason;
    alarm.stateReasonData = reasonData;
    alarm.stateUpdatedAt = at;
    if (from === state) return;
    alarm.state = state;
    alarm.stateTransitionedAt = at;
    ctx.event('cloudwatch.alarm-state', { alarmName: alarm.name, from, to: state, reason, actions: state === 'ALARM' ? strings(alarm.request, 'AlarmActions') : state === 'OK' ? strings(alarm.request, 'OKActions') : strings(alarm.request, 'InsufficientDataActions') });
  }

  /** One evaluation at `at` over the last EvaluationPeriods complete periods. */
  function evaluate(ctx: SimContext, alarm: Alarm, at: number): void {
    const periodMs = alarm.query.periodS * 1000;
    const end = Math.floor(at / periodMs) * periodMs;
    const start = end - alarm.evaluationPeriods * periodMs;
    const values = data(alarm.region, alarm.query, start, end);
    const operator = OPERATORS[alarm.comparison]!;
    let breaching = 0;
    let present = 0;
    const recent: string[] = [];
    for (let t = end - periodMs; t >= start; t -= periodMs) {
      const value = values.get(t);
      if (value === undefined) {
        if (alarm.treatMissingData === 'breaching') breaching++;
        if (alarm.treatMissingData === 'breaching' || alarm.treatMissingData === 'notBreaching') present++;
        continue;
      }
      present++;
      if (operator.test(value, alarm.threshold)) breaching++;
      recent.push(`${Number(value.toFixed(6))} (${new Date(t).toISOString().slice(0, 16).replace('T', ' ')})`);
    }
    const reasonData = JSON.stringify({ version: '1.0', queryDate: new Date(at).toISOString(), startDate: new Date(start).toISOString(), period: alarm.query.periodS, recentDatapoints: [...values.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v), threshold: alarm.threshold, evaluatedDatapoints: recent.length });
    const description = `${recent.length > 0 ? `[${recent.join(', ')}]` : 'no datapoints'}`;
    if (breaching >= alarm.datapointsToAlarm) {
      setState(ctx, alarm, 'ALARM', `Threshold Crossed: ${breaching} out of the last ${alarm.evaluationPeriods} datapoints ${description} were ${operator.words} the threshold (${alarm.threshold}) (minimum ${alarm.datapointsToAlarm} datapoints for OK -> ALARM transition).`, reasonData, at);
    } else if (present > 0) {
      setState(ctx, alarm, 'OK', `Threshold Crossed: ${alarm.evaluationPeriods - breaching} out of the last ${alarm.evaluationPeriods} datapoints ${description} were not ${operator.words} the threshold (${alarm.threshold}) (minimum ${alarm.evaluationPeriods - alarm.datapointsToAlarm + 1} datapoints for ALARM -> OK transition).`, reasonData, at);
    } else if (alarm.treatMissingData !== 'ignore') {
      setState(ctx, alarm, 'INSUFFICIENT_DATA', `Insufficient Data: ${alarm.evaluationPeriods} datapoints were unknown.`, reasonData, at);
    }
  }

  function require(region: string, name: string): Alarm {
    const alarm = alarms.get(keyOf(region, name));
    if (alarm === undefined) throw new AwsError('ResourceNotFound', `Alarm ${name} not found`, 404);
    return alarm;
  }

  return {
    putMetricAlarm(body, region, ctx) {
      const name = body.AlarmName;
      if (typeof name !== 'string' || name === '') throw missingParameter('AlarmName');
      if (name.length > 255) throw new AwsError('InvalidParameterValueException', 'The parameter AlarmName must be at most 255 characters.');
      const evaluationPeriods = num(body, 'EvaluationPeriods');
      if (evaluationPeriods === undefined) throw missingParameter('EvaluationPeriods');
      if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1) throw new AwsError('InvalidParameterValueException', `The value ${evaluationPeriods} for parameter EvaluationPeriods must be a whole number of at least 1.`);
      const datapointsToAlarm = num(body, 'DatapointsToAlarm') ?? evaluationPeriods;
      if (!Number.isInteger(datapointsToAlarm) || datapointsToAlarm < 1 || datapointsToAlarm > evaluationPeriods) {
        throw new AwsError('ValidationError', `DatapointsToAlarm (${datapointsToAlarm}) must be between 1 and EvaluationPeriods (${evaluationPeriods}).`);
      }
      const comparison = body.ComparisonOperator;
      if (comparison === undefined) throw missingParameter('ComparisonOperator');
      if (typeof comparison !== 'string' || OPERATORS[comparison] === undefined) {
        throw new AwsError('InvalidParameterValueException', `The value ${JSON.stringify(comparison)} for parameter ComparisonOperator is not supported (the simulator takes ${Object.keys(OPERATORS).join(', ')}).`);
      }
      const threshold = num(body, 'Threshold');
      if (threshold === undefined) throw missingParameter('Threshold');
      const treatMissingData = body.TreatMissingData ?? 'missing';
      if (typeof treatMissingData !== 'string' || !MISSING.includes(treatMissingData)) throw new AwsError('InvalidParameterValueException', `The value ${JSON.stringify(treatMissingData)} for parameter TreatMissingData must be one of ${MISSING.join(', ')}.`);
      for (const key of ['OKActions', 'AlarmActions', 'InsufficientDataActions']) strings(body, key);
      const query = readQuery(body);
      if (query.periodS * evaluationPeriods > 86_400 * 7) throw new AwsError('ValidationError', 'The evaluation period (Period × EvaluationPeriods) must not exceed 7 days.');
      const now = ctx.now();
      // Metric math is checked now (its errors answer this call), not at the first evaluation.
      if (query.kind === 'math') data(region, query, now - query.periodS * 1000, now);
      const existing = alarms.get(keyOf(region, name));
      const step = evaluationStep(query.periodS);
      const alarm: Alarm = {
        name,
        region,
        arn: existing?.arn ?? `arn:aws:cloudwatch:${region}:${ctx.accountId}:alarm:${name}`,
        request: JSON.parse(JSON.stringify(body)) as Body,
        query,
        evaluationPeriods,
        datapointsToAlarm,
        threshold,
        comparison,
        treatMissingData,
        configUpdatedAt: now,
        // A new alarm starts INSUFFICIENT_DATA; an update keeps its state until the next evaluation.
        state: existing?.state ?? 'INSUFFICIENT_DATA',
        stateReason: existing?.stateReason ?? 'Unchecked: Initial alarm creation',
        ...(existing?.stateReasonData !== undefined ? { stateReasonData: existing.stateReasonData } : {}),
        stateUpdatedAt: existing?.stateUpdatedAt ?? now,
        stateTransitionedAt: existing?.stateTransitionedAt ?? now,
        nextEvalAt: (Math.floor(now / step) + 1) * step,
      };
      alarms.set(keyOf(region, name), alarm);
      ctx.event('cloudwatch.alarm-put', { alarmName: name, created: existing === undefined, threshold, comparisonOperator: comparison, alarmActions: strings(body, 'AlarmActions') });
      return {};
    },

    describeAlarms(body, region) {
      const names = body.AlarmNames;
      const prefix = body.AlarmNamePrefix;
      if (names !== undefined && prefix !== undefined) throw new AwsError('InvalidParameterCombinationException', 'AlarmNames and AlarmNamePrefix cannot be given together.');
      if (names !== undefined && (!Array.isArray(names) || names.length > 100)) throw new AwsError('InvalidParameterValueException', 'The parameter AlarmNames must be a list of at most 100 names.');
      const state = body.StateValue;
      if (state !== undefined && !['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(String(state))) throw new AwsError('InvalidParameterValueException', `The value ${String(state)} for parameter StateValue is not one of OK, ALARM, INSUFFICIENT_DATA.`);
      const types = Array.isArray(body.AlarmTypes) ? (body.AlarmTypes as string[]) : ['MetricAlarm'];
      const actionPrefix = typeof body.ActionPrefix === 'string' ? body.ActionPrefix : undefined;
      const max = num(body, 'MaxRecords') ?? 50;
      if (!Number.isInteger(max) || max < 1 || max > 100) throw new AwsError('InvalidParameterValueException', 'The parameter MaxRecords must be between 1 and 100.');
      const matching = [...alarms.values()]
        .filter((a) => a.region === region && types.includes('MetricAlarm'))
        .filter((a) => (names === undefined || (names as string[]).includes(a.name)) && (typeof prefix !== 'string' || a.name.startsWith(prefix)))
        .filter((a) => state === undefined || a.state === state)
        .filter((a) => actionPrefix === undefined || strings(a.request, 'AlarmActions').some((action) => action.startsWith(actionPrefix)))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      let offset = 0;
      if (typeof body.NextToken === 'string') {
        offset = Number(Buffer.from(body.NextToken, 'base64').toString('utf8'));
        if (!Number.isInteger(offset) || offset < 0) throw new AwsError('InvalidNextToken', 'The service couldn\'t process the NextToken.');
      }
      const page = matching.slice(offset, offset + max);
      const next = offset + max < matching.length ? Buffer.from(String(offset + max)).toString('base64') : undefined;
      return { MetricAlarms: page.map(encode), CompositeAlarms: [], ...(next !== undefined ? { NextToken: next } : {}) };
    },

    deleteAlarms(body, region, ctx) {
      const names = body.AlarmNames;
      if (!Array.isArray(names) || names.length === 0) throw missingParameter('AlarmNames');
      if (names.length > 100) throw new AwsError('InvalidParameterValueException', 'The parameter AlarmNames must be a list of at most 100 names.');
      // All or nothing: one unknown name deletes none.
      const missing = (names as string[]).filter((n) => !alarms.has(keyOf(region, n)));
      if (missing.length > 0) throw new AwsError('ResourceNotFound', `${missing.length} of ${names.length} alarms not found: ${missing.join(', ')}`, 404);
      for (const name of names as string[]) {
        alarms.delete(keyOf(region, name));
        ctx.event('cloudwatch.alarm-deleted', { alarmName: name });
      }
      return {};
    },

    setAlarmState(body, region, ctx) {
      if (typeof body.AlarmName !== 'string') throw missingParameter('AlarmName');
      const alarm = require(region, body.AlarmName);
      const state = body.StateValue;
      if (state !== 'OK' && state !== 'ALARM' && state !== 'INSUFFICIENT_DATA') throw new AwsError('InvalidParameterValueException', `The value ${String(state)} for parameter StateValue is not one of OK, ALARM, INSUFFICIENT_DATA.`);
      if (typeof body.StateReason !== 'string') throw missingParameter('StateReason');
      // The next evaluation sets the state the data calls for again, as on CloudWatch.
      setState(ctx, alarm, state, body.StateReason, typeof body.StateReasonData === 'string' ? body.StateReasonData : undefined, ctx.now());
      return {};
    },

    reconcile(ctx) {
      const now = ctx.now();
      for (const alarm of alarms.values()) {
        const step = evaluationStep(alarm.query.periodS);
        if (alarm.nextEvalAt > now) continue;
        // Only the last due evaluation matters when the clock jumped past several (the router normally stops at each).
        const at = alarm.nextEvalAt + Math.floor((now - alarm.nextEvalAt) / step) * step;
        evaluate(ctx, alarm, at);
        alarm.nextEvalAt = at + step;
      }
    },

    nextChangeAt() {
      let next: number | undefined;
      for (const alarm of alarms.values()) if (next === undefined || alarm.nextEvalAt < next) next = alarm.nextEvalAt;
      return next;
    },

    arnOf(region, name) {
      return alarms.get(keyOf(region, name))?.arn;
    },

    snapshot() {
      return [...alarms.values()].map((a) => ({ name: a.name, region: a.region, state: a.state, threshold: a.threshold, comparisonOperator: a.comparison, alarmActions: strings(a.request, 'AlarmActions'), stateReason: a.stateReason }));
    },
  };
}
