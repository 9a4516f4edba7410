/**
 * Spinnaker's execution semantics (reference/spinnaker.md §1.2, §1.4): failure policies, the
 * join rule and the final status of an execution, as Orca decides them.
 */
import { describe, expect, it } from 'vitest';
import {
  canStart,
  executionStatus,
  failureStatus,
  statusFromSynthetic,
  upstreamStates,
  type StageState,
  type UpstreamState,
} from '../../../core/execution/semantics.ts';
import type { ExecutionStatus } from '../../../core/execution/status.ts';
import type { FailurePolicy } from '../../../core/pipeline/model.ts';

describe('failureStatus', () => {
  it.each([
    ['halt-pipeline', 'TERMINAL'],
    ['halt-branch', 'STOPPED'],
    ['halt-branch-fail-pipeline', 'STOPPED'],
    ['ignore', 'FAILED_CONTINUE'],
  ] as const)('maps %s to %s', (policy, status) => {
    expect(failureStatus(policy)).toBe(status);
  });
});

describe('canStart (the join rule)', () => {
  it.each<[string, ReadonlyArray<ExecutionStatus | UpstreamState>, ReturnType<typeof canStart>]>([
    ['a root stage', [], 'start'],
    ['one SUCCEEDED parent', ['SUCCEEDED'], 'start'],
    ['SUCCEEDED, FAILED_CONTINUE and SKIPPED parents', ['SUCCEEDED', 'FAILED_CONTINUE', 'SKIPPED'], 'start'],
    ['a RUNNING parent', ['SUCCEEDED', 'RUNNING'], 'wait'],
    ['a NOT_STARTED parent that may still start', ['SUCCEEDED', 'NOT_STARTED'], 'wait'],
    ['a PAUSED parent', ['PAUSED'], 'wait'],
    ['a TERMINAL parent', ['SUCCEEDED', 'TERMINAL'], 'blocked'],
    ['a STOPPED parent', ['STOPPED'], 'blocked'],
    ['a CANCELED parent', ['RUNNING', 'CANCELED'], 'blocked'],
    ['a blocked NOT_STARTED parent', [{ status: 'NOT_STARTED', blocked: true }], 'blocked'],
    ['a NOT_STARTED parent not blocked', [{ status: 'NOT_STARTED', blocked: false }], 'wait'],
  ])('decides for %s', (_, parents, decision) => {
    expect(canStart(parents)).toBe(decision);
  });
});

const stage = (
  refId: string,
  status: ExecutionStatus,
  requisiteStageRefIds: string[] = [],
  failurePolicy: FailurePolicy = 'halt-pipeline',
): StageState => ({ refId, status, requisiteStageRefIds, failurePolicy });

describe('upstreamStates', () => {
  it('marks a NOT_STARTED parent blocked when something above it halted', () => {
    // given 1 STOPPED → 2 NOT_STARTED → 3
    const stages = [stage('1', 'STOPPED'), stage('2', 'NOT_STARTED', ['1']), stage('3', 'NOT_STARTED', ['2'])];

    // then
    expect(upstreamStates('3', stages)).toEqual([{ status: 'NOT_STARTED', blocked: true }]);
    expect(canStart(upstreamStates('3', stages))).toBe('blocked');
  });

  it('leaves a NOT_STARTED parent unblocked while its parents may still finish', () => {
    const stages = [stage('1', 'RUNNING'), stage('2', 'NOT_STARTED', ['1']), stage('3', 'NOT_STARTED', ['2'])];
    expect(upstreamStates('3', stages)).toEqual([{ status: 'NOT_STARTED', blocked: false }]);
    expect(canStart(upstreamStates('3', stages))).toBe('wait');
  });
});

describe('statusFromSynthetic (Orca CompleteStageHandler.determineStatus)', () => {
  it.each<[string, ExecutionStatus[], FailurePolicy, ExecutionStatus]>([
    ['all SUCCEEDED', ['SUCCEEDED', 'SUCCEEDED'], 'halt-pipeline', 'SUCCEEDED'],
    ['SUCCEEDED and SKIPPED', ['SUCCEEDED', 'SKIPPED'], 'halt-pipeline', 'SUCCEEDED'],
    ['none: nothing ran', [], 'halt-pipeline', 'SKIPPED'],
    ['a TERMINAL one under halt-pipeline', ['SUCCEEDED', 'TERMINAL'], 'halt-pipeline', 'TERMINAL'],
    ['a TERMINAL one under halt-branch: the stage’s own policy', ['TERMINAL'], 'halt-branch', 'STOPPED'],
    ['a TERMINAL one under ignore', ['TERMINAL'], 'ignore', 'FAILED_CONTINUE'],
    ['TERMINAL beats STOPPED', ['STOPPED', 'TERMINAL'], 'halt-pipeline', 'TERMINAL'],
    ['STOPPED beats CANCELED and FAILED_CONTINUE', ['FAILED_CONTINUE', 'CANCELED', 'STOPPED'], 'ignore', 'STOPPED'],
    ['CANCELED beats FAILED_CONTINUE', ['FAILED_CONTINUE', 'CANCELED'], 'halt-pipeline', 'CANCELED'],
    ['FAILED_CONTINUE beats SUCCEEDED', ['SUCCEEDED', 'FAILED_CONTINUE'], 'halt-pipeline', 'FAILED_CONTINUE'],
    ['one still running', ['SUCCEEDED', 'RUNNING'], 'halt-pipeline', 'RUNNING'],
  ])('gives %s → %s', (_, children, policy, expected) => {
    expect(statusFromSynthetic(children, policy)).toBe(expected);
  });
});

describe('executionStatus (Orca CompleteExecutionHandler)', () => {
  it.each<[string, StageState[], ExecutionStatus]>([
    ['no stages', [], 'SUCCEEDED'],
    ['all SUCCEEDED', [stage('1', 'SUCCEEDED'), stage('2', 'SUCCEEDED', ['1'])], 'SUCCEEDED'],
    ['SUCCEEDED, SKIPPED and FAILED_CONTINUE', [stage('1', 'SKIPPED'), stage('2', 'FAILED_CONTINUE', ['1'], 'ignore'), stage('3', 'SUCCEEDED', ['2'])], 'SUCCEEDED'],
    ['a TERMINAL stage, its sibling canceled', [stage('1', 'TERMINAL'), stage('2', 'CANCELED'), stage('3', 'NOT_STARTED', ['1', '2'])], 'TERMINAL'],
    ['a CANCELED stage and no TERMINAL', [stage('1', 'SUCCEEDED'), stage('2', 'CANCELED', ['1'])], 'CANCELED'],
    [
      'a STOPPED branch whose downstream never started, other branch done',
      [stage('1', 'STOPPED', [], 'halt-branch'), stage('2', 'NOT_STARTED', ['1']), stage('3', 'SUCCEEDED'), stage('4', 'NOT_STARTED', ['2', '3'])],
      'SUCCEEDED',
    ],
    [
      'a STOPPED branch with completeOtherBranchesThenFail, other branch done',
      [stage('1', 'STOPPED', [], 'halt-branch-fail-pipeline'), stage('2', 'SUCCEEDED')],
      'TERMINAL',
    ],
    [
      'a STOPPED stage whose policy halts the pipeline but whose context has completeOtherBranchesThenFail (a precondition stopped it)',
      [{ ...stage('1', 'STOPPED', [], 'halt-pipeline'), completeOtherBranchesThenFail: true }, stage('2', 'SUCCEEDED')],
      'TERMINAL',
    ],
    ['a STOPPED branch while the other still runs', [stage('1', 'STOPPED', [], 'halt-branch'), stage('2', 'RUNNING')], 'RUNNING'],
    [
      'a STOPPED branch while another stage could still start',
      [stage('1', 'STOPPED', [], 'halt-branch'), stage('2', 'SUCCEEDED'), stage('3', 'NOT_STARTED', ['2'])],
      'RUNNING',
    ],
    ['a STOPPED branch while another is PAUSED (counts as running)', [stage('1', 'STOPPED', [], 'halt-branch'), stage('2', 'PAUSED')], 'RUNNING'],
    ['stages still running and nothing halted', [stage('1', 'SUCCEEDED'), stage('2', 'RUNNING', ['1'])], 'RUNNING'],
  ])('gives %s → %s', (_, stages, expected) => {
    expect(executionStatus(stages)).toBe(expected);
  });

  it('decides TERMINAL when the state machine ended with stages unfinished and nothing halted', () => {
    // given the completion ran while a stage was still RUNNING (its branch broke off)
    const stages = [stage('1', 'SUCCEEDED'), stage('2', 'RUNNING', ['1'])];

    // then
    expect(executionStatus(stages, { final: true })).toBe('TERMINAL');
  });

  it('keeps the normal answers at the end of the state machine', () => {
    expect(executionStatus([stage('1', 'SUCCEEDED')], { final: true })).toBe('SUCCEEDED');
    expect(executionStatus([stage('1', 'STOPPED', [], 'halt-branch')], { final: true })).toBe('SUCCEEDED');
  });
});
