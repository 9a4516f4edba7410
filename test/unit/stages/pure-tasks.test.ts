/**
 * The pure parts of the stage tasks: execution-window math, the JSONPath subset, poll
 * intervals within budgets, judgment decisions, and the poll budget shared with the compiler.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLL_BUDGET, faultMessage } from '../../../core/execution/stage-runner.ts';
import { parsePipeline, type ManualJudgmentStage } from '../../../core/pipeline/index.ts';
import type { ExecutionWindow } from '../../../core/pipeline/model.ts';
import { msUntilWindowOpens } from '../../../core/stages/execution-window.ts';
import { readJsonPath } from '../../../core/stages/json-path.ts';
import { applyJudgment } from '../../../core/stages/manual-judgment.ts';
import { deadlineWaitSeconds } from '../../../core/stages/polling.ts';
import { isSecretHeaderName, statusList } from '../../../core/stages/webhook.ts';
import { DEFAULT_MAX_POLLS } from '../../../statemachines/lower.ts';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const weekdays9to17: ExecutionWindow = { whitelist: [{ startHour: 9, startMin: 0, endHour: 17, endMin: 0 }], days: [2, 3, 4, 5, 6] };
const overnight: ExecutionWindow = { whitelist: [{ startHour: 22, startMin: 0, endHour: 2, endMin: 30 }], days: [] };

describe('execution window (UTC, days 1 = Sunday)', () => {
  it.each([
    ['inside the window', weekdays9to17, '2024-01-01T12:00:00Z', 0],
    ['before it opens on a weekday', weekdays9to17, '2024-01-01T07:30:00Z', 1.5 * HOUR],
    ['after it closes: next morning', weekdays9to17, '2024-01-01T17:00:00Z', 16 * HOUR],
    ['on Saturday: Monday 9:00', weekdays9to17, '2024-01-06T10:00:00Z', 47 * HOUR],
    ['Friday evening: Monday 9:00', weekdays9to17, '2024-01-05T18:00:00Z', 63 * HOUR],
    ['overnight range, after midnight', overnight, '2024-01-02T01:00:00Z', 0],
    ['overnight range, before it opens', overnight, '2024-01-02T03:00:00Z', 19 * HOUR],
    ['no ranges and no days: always open', { whitelist: [], days: [] }, '2024-01-03T03:00:00Z', 0],
  ])('%s', (_case, window, now, expected) => {
    expect(msUntilWindowOpens(at(now), window)).toBe(expected);
  });
});

describe('JSONPath subset', () => {
  const document = { status: 'OK', build: { result: 'SUCCESS' }, 'job-status': 'done', runs: [{ state: 'a' }, { state: 'b' }] };
  it.each([
    ['$.status', 'OK'],
    ['$.build.result', 'SUCCESS'],
    ["$['job-status']", 'done'],
    ['$["build"]["result"]', 'SUCCESS'],
    ['$.runs[1].state', 'b'],
  ])('reads %s', (path, value) => {
    expect(readJsonPath(document, path)).toEqual({ ok: true, found: true, value });
  });

  it.each([['$.nothing'], ['$.runs[5]'], ['$.status.deeper']])('finds nothing at %s', (path) => {
    expect(readJsonPath(document, path)).toMatchObject({ ok: true, found: false });
  });

  it('rejects paths outside the subset, saying what is supported', () => {
    expect(readJsonPath(document, '$..status')).toMatchObject({ ok: false, message: expect.stringContaining("use $.a.b, $['a'] or $.list[0]") });
    expect(readJsonPath(document, 'status')).toMatchObject({ ok: false, message: expect.stringContaining("must start with '$'") });
  });
});

describe('wait intervals within the poll budget', () => {
  it.each([
    // remaining s, polls left after this call, expected wait
    [60, 2, 30],
    [30, 1, 30],
    [10, 1, 10],
    [600, 99, 15],
    [3000, 9, 334],
    [0, 5, 0],
  ])('%s s left with %s polls: waits %s s', (remaining, pollsLeft, expected) => {
    expect(deadlineWaitSeconds(remaining, pollsLeft, 15)).toBe(expected);
  });

  it('a wait of waitTime s fits the compiled budget ceil(waitTime / 30) + 1', () => {
    for (const waitTime of [1, 29, 30, 31, 60, 95, 3600]) {
      const budget = Math.ceil(waitTime / 30) + 1;
      let elapsed = 0;
      let calls = 1;
      while (elapsed < waitTime) {
        elapsed += deadlineWaitSeconds(waitTime - elapsed, budget - calls, 15);
        calls += 1;
      }
      expect(calls).toBeLessThanOrEqual(budget);
    }
  });

  it('uses the same default poll budget as the compiler', () => {
    expect(DEFAULT_POLL_BUDGET).toBe(DEFAULT_MAX_POLLS);
  });
});

describe('manual judgment decisions', () => {
  const judgment = (stage: Record<string, unknown>): ManualJudgmentStage => {
    const parsed = parsePipeline({ application: 'a', name: 'p', stages: [{ refId: '1', type: 'manualJudgment', name: 'Approve', ...stage }] });
    return parsed.pipeline!.stages[0] as ManualJudgmentStage;
  };

  it.each([
    ['continue', {}, 'SUCCEEDED'],
    ['stop', {}, 'TERMINAL'],
    ['stop', { failPipeline: false }, 'STOPPED'],
    ['stop', { failPipeline: false, continuePipeline: true }, 'FAILED_CONTINUE'],
  ] as const)('%s with %j answers %s', (judgmentStatus, flags, status) => {
    const decision = applyJudgment(judgment(flags), { judgmentStatus, user: 'alice', roles: [] });
    expect(decision).toEqual({ ok: true, context: { judgmentStatus, lastModifiedBy: 'alice' }, status, answer: { status } });
  });

  it('answers NEXT when a step follows the judgment (an execution window comes first, so none does)', () => {
    const windowed = judgment({ restrictExecutionDuringTimeWindow: true, restrictedExecutionWindow: { whitelist: [] } });
    expect(applyJudgment(windowed, { judgmentStatus: 'continue', user: 'a', roles: [] })).toMatchObject({ answer: { status: 'SUCCEEDED' } });
  });

  it.each([
    [['release'], [], ['dev'], false],
    [['release'], [], ['RELEASE'], true],
    [[], ['ops'], ['ops'], true],
    [[], [], [], true],
  ])('roles %j / %j, caller %j: allowed %s', (selectedStageRoles, requiredJudgmentRoles, roles, allowed) => {
    const decision = applyJudgment(judgment({ selectedStageRoles, requiredJudgmentRoles }), { judgmentStatus: 'continue', user: 'bob', roles });
    expect(decision.ok).toBe(allowed);
    if (!decision.ok) expect(decision).toMatchObject({ reason: 'forbidden', message: expect.stringContaining("user 'bob' may not judge stage 'Approve'") });
  });

  it('rejects an input that is not one of the choices', () => {
    const decision = applyJudgment(judgment({ judgmentInputs: [{ value: 'ship' }] }), { judgmentStatus: 'continue', judgmentInput: 'yolo', user: 'a', roles: [] });
    expect(decision).toMatchObject({ ok: false, reason: 'invalid' });
  });
});

describe('webhook helpers and fault messages', () => {
  it.each([['Authorization', true], ['X-Api-Key', true], ['x-auth-token', true], ['Cookie', true], ['Client-Secret', true], ['Content-Type', false], ['X-Team', false]])(
    'header %s is secret: %s',
    (name, secret) => expect(isSecretHeaderName(name)).toBe(secret),
  );

  it('reads comma-separated statuses as Deck writes them', () => {
    expect(statusList(' success, Done ,,')).toEqual(['SUCCESS', 'DONE']);
  });

  it.each([
    [{ Error: 'States.Timeout', Cause: 'arn:aws:... internal' }, 'the step timed out (for a manual judgment: nobody judged it in time)'],
    [{ Error: 'Gennaker.StoreUnavailable', Cause: 'ThrottlingException: Rate exceeded' }, 'the step failed: The execution store did not answer (throttled or unreachable).'],
    [{ Error: 'States.TaskFailed', Cause: '{"errorMessage":"stack..."}' }, 'the step failed inside the stage runner; see its logs'],
  ])('describes fault %j without its cause', (fault, message) => {
    expect(faultMessage(fault)).toBe(message);
  });
});
