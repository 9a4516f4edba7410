/**
 * `manualJudgment` (Orca's ManualJudgmentStage): the stage waits on a callback step; the stage
 * runner only stores the task token. The judgment is applied by the ExecutionService with
 * `applyJudgment`, which decides — purely — whether the caller may judge, what the stage's
 * context records and what answer resumes the state machine (SendTaskSuccess).
 */
import { failureStatus } from '../execution/semantics.ts';
import { stageSteps, type StageAnswer } from '../execution/runner-contract.ts';
import type { ExecutionStatus } from '../execution/status.ts';
import { planStage, type ManualJudgmentStage } from '../pipeline/stage-types/index.ts';

export interface JudgmentInput {
  readonly judgmentStatus: 'continue' | 'stop';
  readonly judgmentInput?: string;
  readonly user: string;
  readonly roles: readonly string[];
  /** Admins may judge every stage. @default false */
  readonly admin?: boolean;
}

export type JudgmentDecision =
  | {
      readonly ok: true;
      /** Merge into the stage's context (what `#judgment('name')` and the UI read). */
      readonly context: { readonly judgmentStatus: 'continue' | 'stop'; readonly judgmentInput?: string; readonly lastModifiedBy: string };
      /** The stage's new status; absent when steps follow the judgment (the stage stays RUNNING). */
      readonly status?: ExecutionStatus;
      /** Send with SendTaskSuccess. */
      readonly answer: StageAnswer;
    }
  | { readonly ok: false; readonly reason: 'forbidden' | 'invalid'; readonly message: string };

/** The roles allowed to judge: Deck's `selectedStageRoles` and the older `requiredJudgmentRoles`. Empty: anyone. */
export function judgmentRoles(stage: ManualJudgmentStage): readonly string[] {
  return [...new Set([...stage.config.selectedStageRoles, ...stage.config.requiredJudgmentRoles])];
}

/**
 * Decides a judgment: continue → SUCCEEDED (or NEXT when steps follow); stop → the stage fails
 * under its failure policy (TERMINAL halts the pipeline). Roles compare case-insensitively; an
 * admin may judge whatever the stage's roles. (EXECUTE on the application is checked before, by
 * the execution service.)
 */
export function applyJudgment(stage: ManualJudgmentStage, input: JudgmentInput): JudgmentDecision {
  if (input.judgmentStatus !== 'continue' && input.judgmentStatus !== 'stop') {
    return { ok: false, reason: 'invalid', message: `judgmentStatus must be 'continue' or 'stop', got ${JSON.stringify(input.judgmentStatus)}` };
  }
  const allowed = judgmentRoles(stage);
  if (allowed.length > 0 && input.admin !== true) {
    const mine = new Set(input.roles.map((role) => role.toLowerCase()));
    if (!allowed.some((role) => mine.has(role.toLowerCase()))) {
      return {
        ok: false,
        reason: 'forbidden',
        message: `user '${input.user}' may not judge stage '${stage.name}': it requires one of the roles ${allowed.join(', ')}`,
      };
    }
  }
  const offered = stage.config.judgmentInputs.map((choice) => choice.value);
  if (input.judgmentInput !== undefined && offered.length > 0 && !offered.includes(input.judgmentInput)) {
    return { ok: false, reason: 'invalid', message: `judgmentInput '${input.judgmentInput}' is not one of the choices of stage '${stage.name}': ${offered.join(', ')}` };
  }
  const context = {
    judgmentStatus: input.judgmentStatus,
    ...(input.judgmentInput !== undefined ? { judgmentInput: input.judgmentInput } : {}),
    lastModifiedBy: input.user,
  };
  if (input.judgmentStatus === 'stop') {
    const status = failureStatus(stage.failurePolicy);
    return { ok: true, context, status, answer: { status } };
  }
  const steps = stageSteps(stage, planStage(stage));
  const judging = steps.findIndex((step) => step.kind === 'callback');
  if (judging >= 0 && judging < steps.length - 1) return { ok: true, context, answer: { status: 'NEXT' } };
  return { ok: true, context, status: 'SUCCEEDED', answer: { status: 'SUCCEEDED' } };
}
