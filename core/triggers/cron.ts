/**
 * Cron schedules for cron triggers. Two spellings are accepted:
 *
 * - Spinnaker's Quartz form (what Echo stores): 6 or 7 fields, seconds first,
 *   `sec min hour day-of-month month day-of-week [year]`, with `?`, `L`, `W`, `#`, ranges, steps,
 *   names (`JAN`, `MON`) and Jenkins-style `H` in the seconds, minutes and hours fields, hashed
 *   from the trigger id exactly as Echo's `CronExpressionFuzzer` does (`abs(id.hashCode() % 59)`
 *   for seconds and minutes, `% 23` for hours), so a pipeline imported from Spinnaker fires at the
 *   same second it did there.
 * - EventBridge's form: `cron(min hour day-of-month month day-of-week year)`.
 *
 * Both parse to one `CronSchedule` (expanded value sets plus the day rules), which converts to
 * EventBridge's form when representable and computes fire times. Day-of-week counts 1-7 from
 * Sunday in both forms. Exactly one of day-of-month and day-of-week must be `?` (Quartz and
 * EventBridge both refuse anything else).
 */

export type CronSource = 'quartz' | 'eventbridge';

/** Which days of the month fire. */
export type DayOfMonthRule =
  /** `?`: the day-of-week field decides. */
  | { readonly kind: 'unspecified' }
  /** A set of days (1-31); days past the month's end never fire. */
  | { readonly kind: 'days'; readonly days: readonly number[] }
  /** `L` (offset 0) or `L-n`: the last day of the month, minus `offset` days. */
  | { readonly kind: 'last'; readonly offset: number }
  /** `nW`: the weekday (Mon-Fri) nearest day `day`, never crossing into another month. */
  | { readonly kind: 'nearest-weekday'; readonly day: number }
  /** `LW`: the last weekday of the month. */
  | { readonly kind: 'last-weekday' };

/** Which days of the week fire (1 = Sunday ... 7 = Saturday). */
export type DayOfWeekRule =
  /** `?`: the day-of-month field decides. */
  | { readonly kind: 'unspecified' }
  | { readonly kind: 'days'; readonly days: readonly number[] }
  /** `nL`: the last such weekday of the month. */
  | { readonly kind: 'last-of-month'; readonly day: number }
  /** `n#k`: the k-th such weekday of the month. */
  | { readonly kind: 'nth'; readonly day: number; readonly nth: number };

export interface CronSchedule {
  readonly source: CronSource;
  /** The expression as written. */
  readonly expression: string;
  /** Allowed values, ascending. */
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: DayOfMonthRule;
  /** 1-12. */
  readonly months: readonly number[];
  readonly daysOfWeek: DayOfWeekRule;
  /** Undefined = every year. */
  readonly years?: readonly number[];
}

export type CronParseResult =
  | { readonly ok: true; readonly schedule: CronSchedule }
  | { readonly ok: false; readonly message: string; readonly offset?: number };

type FieldName = 'seconds' | 'minutes' | 'hours' | 'day-of-month' | 'month' | 'day-of-week' | 'year';

interface FieldSpec {
  readonly name: FieldName;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly hint: string;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const SECONDS: FieldSpec = { name: 'seconds', min: 0, max: 59, hint: 'use 0-59' };
const MINUTES: FieldSpec = { name: 'minutes', min: 0, max: 59, hint: 'use 0-59' };
const HOURS: FieldSpec = { name: 'hours', min: 0, max: 23, hint: 'use 0-23' };
const DAY_OF_MONTH: FieldSpec = { name: 'day-of-month', min: 1, max: 31, hint: "use 1-31, L, L-n, nW, LW or '?'" };
const MONTH: FieldSpec = { name: 'month', min: 1, max: 12, names: MONTH_NAMES, hint: 'use 1-12 or JAN-DEC' };
const DAY_OF_WEEK: FieldSpec = { name: 'day-of-week', min: 1, max: 7, names: DAY_NAMES, hint: "use 1-7 or SUN-SAT (1 = Sunday), nL, n#k or '?'" };
const QUARTZ_YEAR: FieldSpec = { name: 'year', min: 1970, max: 2099, hint: 'use 1970-2099' };
const EVENTBRIDGE_YEAR: FieldSpec = { name: 'year', min: 1970, max: 2199, hint: 'use 1970-2199' };

const HASHED_FIELDS: ReadonlyMap<FieldName, number> = new Map([
  ['seconds', 59],
  ['minutes', 59],
  ['hours', 23],
]);

class CronError extends Error {
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(message);
  }
}

interface Token {
  readonly text: string;
  readonly offset: number;
}

/**
 * Parses a cron expression in Spinnaker's Quartz form or EventBridge's `cron(...)` form.
 * `hashKey` (the trigger id) resolves `H`; without one, `H` hashes the empty string (0).
 * Never throws.
 */
export function parseCron(expr: string, opts?: { hashKey?: string }): CronParseResult {
  try {
    return { ok: true, schedule: parseOrThrow(expr, opts?.hashKey ?? '') };
  } catch (error) {
    if (error instanceof CronError) {
      return error.offset === undefined ? { ok: false, message: error.message } : { ok: false, message: error.message, offset: error.offset };
    }
    return { ok: false, message: `cron expression ${quote(expr)} could not be read; use Spinnaker's Quartz form, e.g. '0 0 12 * * ?'` };
  }
}

function parseOrThrow(expr: string, hashKey: string): CronSchedule {
  if (typeof expr !== 'string' || expr.trim() === '') {
    throw new CronError("cron expression is empty; use Spinnaker's Quartz form (seconds first), e.g. '0 0 12 * * ?'");
  }
  const aws = /^\s*cron\((.*)\)\s*$/is.exec(expr);
  if (aws) {
    const innerStart = expr.indexOf('(') + 1;
    const tokens = tokenize(aws[1] ?? '', innerStart);
    if (tokens.length !== 6) {
      throw new CronError(
        `EventBridge cron expression ${quote(expr)} has ${tokens.length} field${tokens.length === 1 ? '' : 's'}; it needs 6 (minutes hours day-of-month month day-of-week year), e.g. 'cron(0 12 * * ? *)'`,
      );
    }
    const [min, hour, dom, month, dow, year] = tokens as [Token, Token, Token, Token, Token, Token];
    return build(expr, 'eventbridge', hashKey, { text: '0', offset: -1 }, min, hour, dom, month, dow, year, EVENTBRIDGE_YEAR);
  }
  const tokens = tokenize(expr, 0);
  if (tokens.length < 6 || tokens.length > 7) {
    throw new CronError(
      `cron expression ${quote(expr)} has ${tokens.length} field${tokens.length === 1 ? '' : 's'}; Spinnaker's Quartz form needs 6 or 7 (seconds first), e.g. ${quote(suggestQuartz(tokens))}`,
    );
  }
  const [sec, min, hour, dom, month, dow, year] = tokens as [Token, Token, Token, Token, Token, Token, Token | undefined];
  return build(expr, 'quartz', hashKey, sec, min, hour, dom, month, dow, year, QUARTZ_YEAR);
}

/** A Quartz example built from what the user wrote: a Unix 5-field form gains seconds and a `?`. */
function suggestQuartz(tokens: readonly Token[]): string {
  if (tokens.length !== 5) return '0 0 12 * * ?';
  const [min, hour, dom, month, dow] = tokens.map((token) => token.text) as [string, string, string, string, string];
  if (dow === '*' || dow === '?') return `0 ${min} ${hour} ${dom === '?' ? '*' : dom} ${month} ?`;
  if (/\d/.test(dow)) return `0 ${min} ${hour} ? ${month} ${dow.replace(/\d/g, (digit) => String((Number(digit) % 7) + 1))}`;
  return `0 ${min} ${hour} ? ${month} ${dow}`;
}

function tokenize(text: string, base: number): Token[] {
  const tokens: Token[] = [];
  const pattern = /\S+/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) tokens.push({ text: match[0], offset: base + match.index });
  return tokens;
}

function build(
  expr: string,
  source: CronSource,
  hashKey: string,
  sec: Token,
  min: Token,
  hour: Token,
  dom: Token,
  month: Token,
  dow: Token,
  year: Token | undefined,
  yearSpec: FieldSpec,
): CronSchedule {
  const ctx = { expr };
  const resolve = (token: Token, spec: FieldSpec): Token => resolveHash(ctx, token, spec, hashKey);
  const seconds = parseValues(ctx, resolve(sec, SECONDS), SECONDS);
  const minutes = parseValues(ctx, resolve(min, MINUTES), MINUTES);
  const hours = parseValues(ctx, resolve(hour, HOURS), HOURS);
  const months = parseValues(ctx, resolve(month, MONTH), MONTH);
  const daysOfMonth = parseDayOfMonth(ctx, resolve(dom, DAY_OF_MONTH));
  const daysOfWeek = parseDayOfWeek(ctx, resolve(dow, DAY_OF_WEEK));
  const years = year === undefined || year.text === '*' ? undefined : parseValues(ctx, resolve(year, yearSpec), yearSpec);

  const domUnspecified = daysOfMonth.kind === 'unspecified';
  const dowUnspecified = daysOfWeek.kind === 'unspecified';
  if (domUnspecified && dowUnspecified) {
    throw new CronError(
      `cron expression ${quote(expr)} has '?' in both day-of-month and day-of-week; set one of them, e.g. '*' in day-of-month`,
      dom.offset,
    );
  }
  if (!domUnspecified && !dowUnspecified) {
    throw new CronError(
      `cron expression ${quote(expr)} sets both day-of-month (${quote(dom.text)}) and day-of-week (${quote(dow.text)}); put '?' in one of them, e.g. ${quote(replaceToken(expr, dow, '?'))}`,
      dow.offset,
    );
  }
  const schedule: CronSchedule = { source, expression: expr, seconds, minutes, hours, daysOfMonth, months, daysOfWeek };
  return years === undefined ? schedule : { ...schedule, years };
}

function replaceToken(expr: string, token: Token, replacement: string): string {
  return `${expr.slice(0, token.offset)}${replacement}${expr.slice(token.offset + token.text.length)}`;
}

function fieldError(ctx: { expr: string }, spec: FieldSpec, token: Token, problem: string, fix: string = spec.hint): CronError {
  return new CronError(`cron expression ${quote(ctx.expr)}: ${spec.name} field ${quote(token.text)} ${problem}; ${fix}`, token.offset < 0 ? undefined : token.offset);
}

/** Replaces `H` with Echo's hash of the key; only seconds, minutes and hours may use it. */
function resolveHash(ctx: { expr: string }, token: Token, spec: FieldSpec, hashKey: string): Token {
  if (!/H/i.test(token.text)) return token;
  const modulus = HASHED_FIELDS.get(spec.name);
  if (modulus === undefined) {
    throw fieldError(ctx, spec, token, "uses 'H'", "'H' is only supported in the seconds, minutes and hours fields");
  }
  if (/H\s*\(/i.test(token.text)) {
    throw fieldError(ctx, spec, token, "uses Jenkins' H(range) form, which Spinnaker does not support", "use plain 'H' or 'H/step'");
  }
  const hashed = String(Math.abs(javaStringHashCode(hashKey) % modulus));
  return { text: token.text.replace(/H/gi, hashed), offset: token.offset };
}

/** Java's `String.hashCode()`: what Echo hashes trigger ids with. */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

function parseNumber(ctx: { expr: string }, spec: FieldSpec, token: Token, text: string): number {
  const upper = text.toUpperCase();
  let value: number;
  if (/^\d+$/.test(text)) value = Number(text);
  else if (spec.names?.includes(upper)) value = spec.names.indexOf(upper) + spec.min;
  else throw fieldError(ctx, spec, token, `has ${quote(text)}, which is not a valid value`);
  if (value < spec.min || value > spec.max) throw fieldError(ctx, spec, token, `is out of range (${value})`);
  return value;
}

/** `*`, `a`, `a-b`, `a/s`, `a-b/s`, `* /s` items separated by commas; ranges may wrap (`FRI-MON`). */
function parseValues(ctx: { expr: string }, token: Token, spec: FieldSpec): number[] {
  if (token.text === '?') {
    throw fieldError(ctx, spec, token, "uses '?'", `'?' is only allowed in day-of-month or day-of-week; use '*' in the ${spec.name} field`);
  }
  const values = new Set<number>();
  for (const item of token.text.split(',')) {
    if (item === '') throw fieldError(ctx, spec, token, 'has an empty list item', 'remove the extra comma');
    for (const value of parseItem(ctx, token, spec, item)) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function parseItem(ctx: { expr: string }, token: Token, spec: FieldSpec, item: string): number[] {
  const slash = item.split('/');
  if (slash.length > 2) throw fieldError(ctx, spec, token, `has more than one '/' in ${quote(item)}`, 'write start/step, e.g. 0/15');
  const [rangeText, stepText] = slash as [string, string | undefined];
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText)) throw fieldError(ctx, spec, token, `has step ${quote(stepText)}, which is not a number`, 'write start/step, e.g. 0/15');
    step = Number(stepText);
    const span = spec.max - spec.min + 1;
    if (step < 1 || step > span) throw fieldError(ctx, spec, token, `has step ${step}`, `use a step between 1 and ${span}`);
  }
  let start: number;
  let end: number;
  if (rangeText === '*' || (rangeText === '' && stepText !== undefined)) {
    start = spec.min;
    end = spec.max;
  } else {
    const dash = rangeText.split('-');
    if (dash.length > 2 || dash.some((part) => part === '')) throw fieldError(ctx, spec, token, `has ${quote(item)}, which is not a value or range`);
    start = parseNumber(ctx, spec, token, dash[0] as string);
    // `a/s` runs from a to the field's end; `a` alone is one value.
    end = dash.length === 2 ? parseNumber(ctx, spec, token, dash[1] as string) : stepText !== undefined ? spec.max : start;
  }
  const values: number[] = [];
  const span = spec.max - spec.min + 1;
  const length = end >= start ? end - start : end + span - start; // wrap-around ranges, as Quartz allows
  for (let i = 0; i <= length; i += step) values.push(((start - spec.min + i) % span) + spec.min);
  return values;
}

function parseDayOfMonth(ctx: { expr: string }, token: Token): DayOfMonthRule {
  const text = token.text.toUpperCase();
  if (text === '?') return { kind: 'unspecified' };
  if (text === 'L') return { kind: 'last', offset: 0 };
  if (text === 'LW') return { kind: 'last-weekday' };
  const lastOffset = /^L-(\d+)$/.exec(text);
  if (lastOffset) {
    const offset = Number(lastOffset[1]);
    if (offset > 30) throw fieldError(ctx, DAY_OF_MONTH, token, `has an offset of ${offset} days from the last day`, 'use L-0 to L-30');
    return { kind: 'last', offset };
  }
  const weekday = /^(\d+)W$/.exec(text);
  if (weekday) {
    const day = Number(weekday[1]);
    if (day < 1 || day > 31) throw fieldError(ctx, DAY_OF_MONTH, token, `is out of range (${day})`, 'use 1W-31W');
    return { kind: 'nearest-weekday', day };
  }
  if (/[LW]/.test(text)) {
    throw fieldError(ctx, DAY_OF_MONTH, token, "combines 'L' or 'W' with other values", "use L, L-n, nW or LW on their own, without ',' or '-'");
  }
  return { kind: 'days', days: parseValues(ctx, token, DAY_OF_MONTH) };
}

function parseDayOfWeek(ctx: { expr: string }, token: Token): DayOfWeekRule {
  const text = token.text.toUpperCase();
  if (text === '?') return { kind: 'unspecified' };
  // Quartz: `L` alone in day-of-week is Saturday.
  if (text === 'L') return { kind: 'days', days: [7] };
  const last = /^([A-Z]{3}|\d+)L$/.exec(text);
  if (last) return { kind: 'last-of-month', day: parseNumber(ctx, DAY_OF_WEEK, token, last[1] as string) };
  const nth = /^([A-Z]{3}|\d+)#(\d+)$/.exec(text);
  if (nth) {
    const k = Number(nth[2]);
    if (k < 1 || k > 5) throw fieldError(ctx, DAY_OF_WEEK, token, `asks for occurrence #${k}`, 'use #1 to #5, e.g. 2#1 for the first Monday');
    return { kind: 'nth', day: parseNumber(ctx, DAY_OF_WEEK, token, nth[1] as string), nth: k };
  }
  if (/[L#]/.test(text)) {
    throw fieldError(ctx, DAY_OF_WEEK, token, "combines 'L' or '#' with other values", 'use nL or n#k on their own, without , or -');
  }
  return { kind: 'days', days: parseValues(ctx, token, DAY_OF_WEEK) };
}

function quote(text: string): string {
  return `'${text}'`;
}

// ---------------------------------------------------------------------------------------------
// EventBridge conversion

/**
 * Renders a schedule in EventBridge's `cron(min hour dom month dow year)` form (UTC), or says why
 * it cannot be: EventBridge fires on whole minutes and has no `L-n`, `LW` or `nL`.
 */
export function toEventBridgeCron(schedule: CronSchedule): { ok: true; expression: string } | { ok: false; message: string } {
  const expr = quote(schedule.expression);
  if (schedule.seconds.length !== 1 || schedule.seconds[0] !== 0) {
    return {
      ok: false,
      message: `cron expression ${expr} fires at second ${schedule.seconds.join(',')} of the minute; EventBridge schedules fire on whole minutes, so set the seconds field to 0`,
    };
  }
  let dom: string;
  switch (schedule.daysOfMonth.kind) {
    case 'unspecified':
      dom = '?';
      break;
    case 'days':
      dom = renderSet(schedule.daysOfMonth.days, DAY_OF_MONTH, true);
      break;
    case 'last':
      if (schedule.daysOfMonth.offset !== 0) {
        return { ok: false, message: `cron expression ${expr} uses 'L-${schedule.daysOfMonth.offset}' in day-of-month, which EventBridge does not support; use 'L' or explicit days` };
      }
      dom = 'L';
      break;
    case 'nearest-weekday':
      dom = `${schedule.daysOfMonth.day}W`;
      break;
    case 'last-weekday':
      return { ok: false, message: `cron expression ${expr} uses 'LW' in day-of-month, which EventBridge does not support; use 'L' or a weekday rule such as '6#4'` };
    default:
      return assertNever(schedule.daysOfMonth);
  }
  let dow: string;
  switch (schedule.daysOfWeek.kind) {
    case 'unspecified':
      dow = '?';
      break;
    case 'days':
      dow = renderSet(schedule.daysOfWeek.days, DAY_OF_WEEK, false);
      break;
    case 'nth':
      dow = `${schedule.daysOfWeek.day}#${schedule.daysOfWeek.nth}`;
      break;
    case 'last-of-month':
      return {
        ok: false,
        message: `cron expression ${expr} uses '${schedule.daysOfWeek.day}L' (last such weekday of the month) in day-of-week, which EventBridge does not support; use 'n#k' instead`,
      };
    default:
      return assertNever(schedule.daysOfWeek);
  }
  const year = schedule.years === undefined ? '*' : renderSet(schedule.years, EVENTBRIDGE_YEAR, true);
  const fields = [renderSet(schedule.minutes, MINUTES, true), renderSet(schedule.hours, HOURS, true), dom, renderSet(schedule.months, MONTH, true), dow, year];
  return { ok: true, expression: `cron(${fields.join(' ')})` };
}

/** `*`, `start/step` for a progression to the field's end, else runs (`a-b`) and values. */
function renderSet(values: readonly number[], spec: FieldSpec, allowStep: boolean): string {
  if (values.length === spec.max - spec.min + 1) return '*';
  const first = values[0];
  const second = values[1];
  if (allowStep && values.length >= 3 && first !== undefined && second !== undefined) {
    const step = second - first;
    const progression = values.every((value, i) => value === first + i * step);
    const last = values[values.length - 1] as number;
    if (step > 1 && progression && last + step > spec.max) return `${first}/${step}`;
  }
  const parts: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && (values[j + 1] as number) === (values[j] as number) + 1) j++;
    parts.push(j - i >= 2 ? `${values[i]}-${values[j]}` : values.slice(i, j + 1).join(','));
    i = j + 1;
  }
  return parts.join(',');
}

function assertNever(value: never): never {
  throw new Error(`unexpected cron rule ${JSON.stringify(value)}`);
}

// ---------------------------------------------------------------------------------------------
// Fire times

const DAY_MS = 86_400_000;
/** Schedules that can never fire (e.g. Feb 30) give up after this many years. */
const SEARCH_YEARS = 400;

/**
 * The first fire time strictly after `afterEpochMs`, in epoch milliseconds, or undefined when
 * the schedule never fires again. Evaluated in UTC only: Spinnaker's Echo defaults to
 * America/Los_Angeles, but Gennaker's schedules run on EventBridge, whose cron rules are UTC.
 */
export function nextFireTime(schedule: CronSchedule, afterEpochMs: number, timeZone: 'UTC' = 'UTC'): number | undefined {
  void timeZone;
  if (!Number.isFinite(afterEpochMs)) return undefined;
  let t = Math.floor(afterEpochMs / 1000) * 1000 + 1000;
  const lastYear = new Date(t).getUTCFullYear() + SEARCH_YEARS;
  for (let guard = 0; guard < 100_000; guard++) {
    const date = new Date(t);
    const year = date.getUTCFullYear();
    if (year > lastYear) return undefined;
    if (schedule.years !== undefined && !schedule.years.includes(year)) {
      const next = schedule.years.find((candidate) => candidate > year);
      if (next === undefined) return undefined;
      t = Date.UTC(next, 0, 1);
      continue;
    }
    const month = date.getUTCMonth() + 1;
    if (!schedule.months.includes(month)) {
      const next = schedule.months.find((candidate) => candidate > month);
      t = next === undefined ? Date.UTC(year + 1, (schedule.months[0] as number) - 1, 1) : Date.UTC(year, next - 1, 1);
      continue;
    }
    const day = date.getUTCDate();
    const matchDay = firstMatchingDay(schedule, year, month, day);
    if (matchDay === undefined) {
      t = Date.UTC(year, month, 1); // first day of the next month
      continue;
    }
    if (matchDay !== day) {
      t = Date.UTC(year, month - 1, matchDay);
      continue;
    }
    const hour = date.getUTCHours();
    if (!schedule.hours.includes(hour)) {
      const next = schedule.hours.find((candidate) => candidate > hour);
      t = next === undefined ? Date.UTC(year, month - 1, day) + DAY_MS : Date.UTC(year, month - 1, day, next);
      continue;
    }
    const minute = date.getUTCMinutes();
    if (!schedule.minutes.includes(minute)) {
      const next = schedule.minutes.find((candidate) => candidate > minute);
      t = next === undefined ? Date.UTC(year, month - 1, day, hour + 1) : Date.UTC(year, month - 1, day, hour, next);
      continue;
    }
    const second = date.getUTCSeconds();
    if (!schedule.seconds.includes(second)) {
      const next = schedule.seconds.find((candidate) => candidate > second);
      t = next === undefined ? Date.UTC(year, month - 1, day, hour, minute + 1) : Date.UTC(year, month - 1, day, hour, minute, next);
      continue;
    }
    return t;
  }
  return undefined;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 = Sunday ... 7 = Saturday. */
function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

function firstMatchingDay(schedule: CronSchedule, year: number, month: number, fromDay: number): number | undefined {
  const length = daysInMonth(year, month);
  for (let day = fromDay; day <= length; day++) {
    if (dayMatches(schedule, year, month, day, length)) return day;
  }
  return undefined;
}

function dayMatches(schedule: CronSchedule, year: number, month: number, day: number, length: number): boolean {
  const dom = schedule.daysOfMonth;
  switch (dom.kind) {
    case 'unspecified':
      break;
    case 'days':
      return dom.days.includes(day);
    case 'last':
      return day === Math.max(1, length - dom.offset);
    case 'nearest-weekday':
      return day === nearestWeekday(year, month, Math.min(dom.day, length), length);
    case 'last-weekday':
      return day === nearestWeekday(year, month, length, length);
    default:
      return assertNever(dom);
  }
  const dow = schedule.daysOfWeek;
  const today = weekday(year, month, day);
  switch (dow.kind) {
    case 'unspecified':
      return false;
    case 'days':
      return dow.days.includes(today);
    case 'last-of-month':
      return today === dow.day && day + 7 > length;
    case 'nth':
      return today === dow.day && Math.ceil(day / 7) === dow.nth;
    default:
      return assertNever(dow);
  }
}

/** Quartz's `W`: Saturday moves to Friday (or Monday the 3rd), Sunday to Monday (or Friday at month end). */
function nearestWeekday(year: number, month: number, day: number, length: number): number {
  const dow = weekday(year, month, day);
  if (dow === 7) return day === 1 ? 3 : day - 1;
  if (dow === 1) return day === length ? day - 2 : day + 1;
  return day;
}
