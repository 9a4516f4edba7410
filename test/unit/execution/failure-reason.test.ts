/**
 * The one-line reason shown next to a status that is not a success: read from where Orca keeps
 * it (the exception, a judgment to stop, a skip, the cancellation), flattened and capped.
 */
import { describe, expect, it } from 'vitest';
import { executionFailureReason, MAX_REASON_CHARS, oneLine, stageFailureReason, type ReasonSource } from '../../../core/execution/failure-reason.ts';

const stage = (status: ReasonSource['status'], context: Record<string, unknown>, type = 'wait'): ReasonSource => ({ type, status, context });
const exception = (details: Record<string, unknown>) => ({ exception: { exceptionType: 'StageFailed', details } });

describe('stageFailureReason', () => {
  it.each([
    ['the exception error', stage('TERMINAL', exception({ error: 'deploy failed: 0 of 3 instances Up', errors: ['x'] })), 'deploy failed: 0 of 3 instances Up'],
    ['the exception errors, joined', stage('FAILED_CONTINUE', exception({ errors: ['first', 'second'] })), 'first; second'],
    ['a multi-line job output on one line', stage('TERMINAL', exception({ error: 'exit code 2; last lines:\n  boom\n  bang' })), 'exit code 2; last lines: boom bang'],
    ['a judgment to stop', stage('TERMINAL', { judgmentStatus: 'stop', lastModifiedBy: 'ana', judgmentInput: 'too risky' }, 'manualJudgment'), "judged 'stop' by ana (too risky)"],
    ['a skipped stage', stage('SKIPPED', { skippedReason: 'stageEnabled expression is false' }), 'stageEnabled expression is false'],
    ['a stopped branch', stage('STOPPED', { failedPrecondition: { message: 'precondition expression is false' } }), 'precondition expression is false'],
  ])('reads %s', (_what, source, reason) => {
    expect(stageFailureReason(source)).toBe(reason);
  });

  it.each(['SUCCEEDED', 'RUNNING', 'NOT_STARTED'] as const)('gives none for a %s stage, whatever its context holds', (status) => {
    expect(stageFailureReason(stage(status, exception({ error: 'left over from an earlier attempt' })))).toBeUndefined();
  });

  it('gives none when nothing says why (a stage canceled with its execution)', () => {
    expect(stageFailureReason(stage('CANCELED', {}))).toBeUndefined();
  });

  it('caps a long reason with an ellipsis', () => {
    const reason = stageFailureReason(stage('TERMINAL', exception({ error: 'x'.repeat(1000) })))!;
    expect(reason).toHaveLength(MAX_REASON_CHARS);
    expect(reason.endsWith('…')).toBe(true);
    expect(oneLine('short')).toBe('short');
  });
});

describe('executionFailureReason', () => {
  const named = (name: string, source: ReasonSource) => ({ ...source, name });

  it('prefers the cancellation reason', () => {
    expect(executionFailureReason({ status: 'CANCELED', cancellationReason: 'wrong build', stages: [named('Deploy', stage('CANCELED', {}))] })).toBe('wrong build');
  });

  it('names the stage that halted the execution, before one that only failed its branch', () => {
    const stages = [named('Optional', stage('FAILED_CONTINUE', exception({ error: 'ignored' }))), named('Deploy', stage('TERMINAL', exception({ error: 'no capacity' })))];
    expect(executionFailureReason({ status: 'TERMINAL', cancellationReason: null, stages })).toBe("stage 'Deploy': no capacity");
  });

  it('does not name the stage twice when its message already does', () => {
    const stages = [named('Rollback', stage('TERMINAL', exception({ error: "stage 'Rollback': cluster 'x' has no server groups" })))];
    expect(executionFailureReason({ status: 'TERMINAL', stages })).toBe("stage 'Rollback': cluster 'x' has no server groups");
    expect(stageFailureReason(stages[0]!)).toBe("cluster 'x' has no server groups");
  });

  it('gives none for a succeeded or running execution', () => {
    expect(executionFailureReason({ status: 'SUCCEEDED', stages: [named('Optional', stage('FAILED_CONTINUE', exception({ error: 'ignored' })))] })).toBeUndefined();
    expect(executionFailureReason({ status: 'RUNNING', stages: [] })).toBeUndefined();
  });
});
