/**
 * Echo's names for how an execution or a stage ended, apart from the rest of the notifications
 * code: the stage runner and the execution service publish them, and their bundles need no more.
 */
import type { ExecutionStatus } from '../execution/status.ts';

/** The `pipeline.*` phase of an execution that ended in `status`; undefined for CANCELED (Echo sends nothing). */
export function pipelinePhaseOf(status: ExecutionStatus): 'complete' | 'failed' | undefined {
  if (status === 'CANCELED') return undefined;
  return status === 'SUCCEEDED' || status === 'STOPPED' || status === 'SKIPPED' ? 'complete' : 'failed';
}

/** The phase of a stage that ended in `status` (Orca's EchoNotifyingStageListener.afterStage). */
export function stagePhaseOf(status: ExecutionStatus): 'complete' | 'failed' | 'skipped' {
  if (status === 'SUCCEEDED') return 'complete';
  if (status === 'SKIPPED') return 'skipped';
  return 'failed';
}
