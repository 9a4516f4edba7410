/**
 * Cron triggers: Spinnaker's Quartz form (seconds first, `?`, `L`, `W`, `#`, names, Echo's `H`
 * hashing) and EventBridge's `cron(...)` form parse to one schedule, convert to EventBridge when
 * representable, and give the right next fire time (UTC).
 */
import { describe, expect, it } from 'vitest';
import type { CronSchedule } from '../../../core/triggers/cron.ts';
import { javaStringHashCode, nextFireTime, parseCron, toEventBridgeCron } from '../../../core/triggers/cron.ts';

function schedule(expr: string, hashKey?: string): CronSchedule {
  const parsed = parseCron(expr, hashKey === undefined ? undefined : { hashKey });
  if (!parsed.ok) throw new Error(`expected '${expr}' to parse: ${parsed.message}`);
  return parsed.schedule;
}

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('parseCron, Quartz form', () => {
  it.each([
    // expression, field, expected values
    ['0 0/12 * * * ?', 'minutes', [0, 12, 24, 36, 48]],
    ['0 0 12 * * ?', 'hours', [12]],
    ['*/20 * * * * ?', 'seconds', [0, 20, 40]],
    ['0 10-40/10 * * * ?', 'minutes', [10, 20, 30, 40]],
    ['0 0 22-2 * * ?', 'hours', [0, 1, 2, 22, 23]],
    ['0 0 12 ? JAN,jul *', 'months', [1, 7]],
    ['0 0 12 ? * MON-FRI', 'daysOfWeek', { kind: 'days', days: [2, 3, 4, 5, 6] }],
    ['0 0 12 ? * FRI-MON', 'daysOfWeek', { kind: 'days', days: [1, 2, 6, 7] }],
    ['0 0 12 1,15 * ?', 'daysOfMonth', { kind: 'days', days: [1, 15] }],
    ['0 0 12 L * ?', 'daysOfMonth', { kind: 'last', offset: 0 }],
    ['0 0 12 L-3 * ?', 'daysOfMonth', { kind: 'last', offset: 3 }],
    ['0 0 12 15W * ?', 'daysOfMonth', { kind: 'nearest-weekday', day: 15 }],
    ['0 0 12 LW * ?', 'daysOfMonth', { kind: 'last-weekday' }],
    ['0 0 12 ? * 6L', 'daysOfWeek', { kind: 'last-of-month', day: 6 }],
    ['0 0 12 ? * FRI#3', 'daysOfWeek', { kind: 'nth', day: 6, nth: 3 }],
    ['0 0 12 ? * L', 'daysOfWeek', { kind: 'days', days: [7] }],
    ['0 0 12 * * ? 2030,2031', 'years', [2030, 2031]],
  ] as const)('reads %s (%s)', (expr, field, expected) => {
    expect(schedule(expr)[field as keyof CronSchedule]).toEqual(expected);
  });

  it('treats a 7th field of * as every year', () => {
    expect(schedule('0 0 12 * * ? *').years).toBeUndefined();
  });

  it.each([
    ['0 0/12 * * *', "cron expression '0 0/12 * * *' has 5 fields; Spinnaker's Quartz form needs 6 or 7 (seconds first), e.g. '0 0 0/12 * * ?'", undefined],
    ['0 9 * * 1-5', "cron expression '0 9 * * 1-5' has 5 fields; Spinnaker's Quartz form needs 6 or 7 (seconds first), e.g. '0 0 9 ? * 2-6'", undefined],
    ['0 0 0 1 1 ? 2030 x', "cron expression '0 0 0 1 1 ? 2030 x' has 8 fields; Spinnaker's Quartz form needs 6 or 7 (seconds first), e.g. '0 0 12 * * ?'", undefined],
    ['', "cron expression is empty; use Spinnaker's Quartz form (seconds first), e.g. '0 0 12 * * ?'", undefined],
    ['0 75 * * * ?', "cron expression '0 75 * * * ?': minutes field '75' is out of range (75); use 0-59", 2],
    ['0 0 24 * * ?', "cron expression '0 0 24 * * ?': hours field '24' is out of range (24); use 0-23", 4],
    ['0 0 12 * FOO ?', "cron expression '0 0 12 * FOO ?': month field 'FOO' has 'FOO', which is not a valid value; use 1-12 or JAN-DEC", 9],
    ['0 0 12 ? * MON#6', "cron expression '0 0 12 ? * MON#6': day-of-week field 'MON#6' asks for occurrence #6; use #1 to #5, e.g. 2#1 for the first Monday", 11],
    ['0 0/0 * * * ?', "cron expression '0 0/0 * * * ?': minutes field '0/0' has step 0; use a step between 1 and 60", 2],
    ['0 0 12 * * *', "cron expression '0 0 12 * * *' sets both day-of-month ('*') and day-of-week ('*'); put '?' in one of them, e.g. '0 0 12 * * ?'", 11],
    ['0 0 12 ? * ?', "cron expression '0 0 12 ? * ?' has '?' in both day-of-month and day-of-week; set one of them, e.g. '*' in day-of-month", 7],
    ['0 ? 12 * * ?', "cron expression '0 ? 12 * * ?': minutes field '?' uses '?'; '?' is only allowed in day-of-month or day-of-week; use '*' in the minutes field", 2],
    ['0 0 12 H * ?', "cron expression '0 0 12 H * ?': day-of-month field 'H' uses 'H'; 'H' is only supported in the seconds, minutes and hours fields", 7],
    ['0 0 12 1,L * ?', "cron expression '0 0 12 1,L * ?': day-of-month field '1,L' combines 'L' or 'W' with other values; use L, L-n, nW or LW on their own, without ',' or '-'", 7],
  ])('rejects %j with a message naming the field and the fix', (expr, message, offset) => {
    const parsed = parseCron(expr);
    expect(parsed).toEqual(offset === undefined ? { ok: false, message } : { ok: false, message, offset });
  });
});

describe('parseCron, EventBridge form', () => {
  it('reads cron(min hour dom month dow year) with seconds at 0', () => {
    const parsed = schedule('cron(15 10 ? * MON-FRI 2030-2032)');
    expect(parsed).toMatchObject({ source: 'eventbridge', seconds: [0], minutes: [15], hours: [10], years: [2030, 2031, 2032] });
    expect(parsed.daysOfWeek).toEqual({ kind: 'days', days: [2, 3, 4, 5, 6] });
  });

  it('rejects the wrong number of fields', () => {
    expect(parseCron('cron(0 12 * * ?)')).toEqual({
      ok: false,
      message: "EventBridge cron expression 'cron(0 12 * * ?)' has 5 fields; it needs 6 (minutes hours day-of-month month day-of-week year), e.g. 'cron(0 12 * * ? *)'",
    });
  });

  it('points offsets into the whole expression', () => {
    expect(parseCron('cron(0 99 * * ? *)')).toMatchObject({ ok: false, offset: 7 });
  });
});

describe('H hashing (Echo CronExpressionFuzzer)', () => {
  it("hashes with Java's String.hashCode", () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('abc')).toBe(96354);
    // Checked against java.lang.String#hashCode on a JDK.
    expect(javaStringHashCode('b2ba0819-dbe5-42bd-a8b0-0499c131711f')).toBe(-1839670645);
  });

  it('replaces H with abs(hashCode % 59) in seconds and minutes and % 23 in hours', () => {
    // 96354 % 59 = 7, 96354 % 23 = 7
    expect(schedule('H H H * * ?', 'abc')).toMatchObject({ seconds: [7], minutes: [7], hours: [7] });
    // -1839670645 % 59 = -23 → 23; % 23 = -5 → 5 (Java's remainder keeps the sign)
    expect(schedule('H H/30 H * * ?', 'b2ba0819-dbe5-42bd-a8b0-0499c131711f')).toMatchObject({ seconds: [23], minutes: [23, 53], hours: [5] });
  });

  it('gives the same schedule for the same key and spreads different keys', () => {
    expect(schedule('0 H * * * ?', 'trigger-a')).toEqual(schedule('0 H * * * ?', 'trigger-a'));
    const minutes = new Set(['a', 'b', 'c', 'd', 'e', 'f'].map((key) => schedule('0 H * * * ?', key).minutes[0]));
    expect(minutes.size).toBeGreaterThan(1);
  });
});

describe('toEventBridgeCron', () => {
  it.each([
    ['0 0/12 * * * ?', 'cron(0/12 * * * ? *)'],
    ['0 0 12 * * ?', 'cron(0 12 * * ? *)'],
    ['0 15 10 ? * MON-FRI', 'cron(15 10 ? * 2-6 *)'],
    ['0 0 8 L * ?', 'cron(0 8 L * ? *)'],
    ['0 0 8 15W * ?', 'cron(0 8 15W * ? *)'],
    ['0 0 8 ? * 2#1', 'cron(0 8 ? * 2#1 *)'],
    ['0 0 8,9,10,14 1,15 * ? 2030', 'cron(0 8-10,14 1,15 * ? 2030)'],
    ['cron(5 4 ? JAN-MAR SUN *)', 'cron(5 4 ? 1-3 1 *)'],
  ])('converts %s to %s', (expr, expected) => {
    expect(toEventBridgeCron(schedule(expr))).toEqual({ ok: true, expression: expected });
  });

  it.each([
    ['30 0 12 * * ?', "cron expression '30 0 12 * * ?' fires at second 30 of the minute; EventBridge schedules fire on whole minutes, so set the seconds field to 0"],
    ['0 0 12 L-2 * ?', "cron expression '0 0 12 L-2 * ?' uses 'L-2' in day-of-month, which EventBridge does not support; use 'L' or explicit days"],
    ['0 0 12 LW * ?', "cron expression '0 0 12 LW * ?' uses 'LW' in day-of-month, which EventBridge does not support; use 'L' or a weekday rule such as '6#4'"],
    ['0 0 12 ? * 6L', "cron expression '0 0 12 ? * 6L' uses '6L' (last such weekday of the month) in day-of-week, which EventBridge does not support; use 'n#k' instead"],
  ])('refuses %s with a clear reason', (expr, message) => {
    expect(toEventBridgeCron(schedule(expr))).toEqual({ ok: false, message });
  });
});

describe('nextFireTime (UTC)', () => {
  it.each([
    ['0 0/12 * * * ?', '2024-05-01T10:05:00Z', '2024-05-01T10:12:00.000Z'],
    ['0 0/12 * * * ?', '2024-05-01T10:48:00Z', '2024-05-01T11:00:00.000Z'],
    ['0 0 12 * * ?', '2024-05-01T12:00:00Z', '2024-05-02T12:00:00.000Z'],
    ['*/20 * * * * ?', '2024-05-01T10:00:59.500Z', '2024-05-01T10:01:00.000Z'],
    ['0 15 10 ? * MON-FRI', '2024-05-03T11:00:00Z', '2024-05-06T10:15:00.000Z'], // Friday → Monday
    ['0 0 0 L * ?', '2024-02-10T00:00:00Z', '2024-02-29T00:00:00.000Z'], // leap year
    ['0 0 0 L-2 * ?', '2023-02-01T00:00:00Z', '2023-02-26T00:00:00.000Z'],
    ['0 0 9 15W * ?', '2024-06-01T00:00:00Z', '2024-06-14T09:00:00.000Z'], // 15th is a Saturday
    ['0 0 9 1W * ?', '2024-06-01T00:00:00Z', '2024-06-03T09:00:00.000Z'], // 1st is a Saturday: Monday the 3rd
    ['0 0 9 LW * ?', '2024-08-01T00:00:00Z', '2024-08-30T09:00:00.000Z'], // 31st is a Saturday
    ['0 0 9 ? * 6L', '2024-05-01T00:00:00Z', '2024-05-31T09:00:00.000Z'], // last Friday of May 2024
    ['0 0 9 ? * 2#1', '2024-05-07T00:00:00Z', '2024-06-03T09:00:00.000Z'], // first Monday of June
    ['0 0 0 29 2 ?', '2024-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['0 0 0 1 1 ? 2030', '2024-01-01T00:00:00Z', '2030-01-01T00:00:00.000Z'],
    ['cron(30 6 ? * SUN *)', '2024-05-01T00:00:00Z', '2024-05-05T06:30:00.000Z'],
  ])('%s after %s is %s', (expr, after, expected) => {
    expect(iso(nextFireTime(schedule(expr), at(after)))).toBe(expected);
  });

  it('is strictly after the given time', () => {
    expect(iso(nextFireTime(schedule('0 0 12 * * ?'), at('2024-05-01T12:00:00.000Z')))).toBe('2024-05-02T12:00:00.000Z');
  });

  it('returns undefined for schedules that never fire again', () => {
    expect(nextFireTime(schedule('0 0 0 30 2 ?'), at('2024-01-01T00:00:00Z'))).toBeUndefined();
    expect(nextFireTime(schedule('0 0 0 1 1 ? 2020'), at('2024-01-01T00:00:00Z'))).toBeUndefined();
  });
});
