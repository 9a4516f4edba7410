/**
 * What `gennaker run` and the API commands (`execution watch`, `pipeline execute --watch`) share:
 * the `--param` parser and the stage tree the progress display shows. Kept apart from run.ts so
 * the API commands start without the local runtime, the pipeline model or the deploy plans.
 */
import { stageFailureReason } from '../../core/execution/failure-reason.ts';
import { stageDepths } from '../../core/execution/stage-depths.ts';
import type { StageProgress } from '../../core/io-host.ts';
import type { Execution, StageRecord } from '../../core/ports/execution-store.ts';
import { UsageError } from '../usage.ts';

/** Parses `--param k=v`. */
export function parseParams(pairs: readonly string[]): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--param takes name=value, got '${pair}' (e.g. --param env=staging)`);
    parameters[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return parameters;
}

/**
 * The stage tree as progress displays show it: depth from the roots, in a stable order. A stage's
 * synthetic stages are those the execution lists under it, else `derived(stage)`: a stored
 * record derives them from its saved plans (core/execution/synthetic-stages.ts), while the API's
 * document already lists every one.
 */
export function progressOf(execution: Execution, now: number, derived: (stage: StageRecord) => StageRecord[]): StageProgress[] {
  const top = execution.stages.filter((stage) => stage.parentStageId === undefined);
  const depths = stageDepths(execution.stages);
  const line = (stage: StageRecord, depth: number): StageProgress => ({
    id: stage.id,
    refId: stage.refId,
    name: stage.name,
    type: stage.type,
    status: stage.status,
    depth,
    ...(stage.startTime !== undefined ? { durationMs: (stage.endTime ?? now) - stage.startTime } : {}),
    ...(stage.type === 'manualJudgment' && stage.status === 'RUNNING' && stage.awaitingCallback ? { awaitingJudgment: true } : {}),
    ...withReason(stageFailureReason(stage)),
  });
  const syntheticOf = (stage: StageRecord): StageRecord[] => {
    const listed = execution.stages.filter((candidate) => candidate.parentStageId === stage.id);
    return listed.length > 0 ? listed : derived(stage);
  };
  return top
    .map((stage, index) => ({ stage, index, depth: depths.get(stage.refId) ?? 0 }))
    .sort((a, b) => a.depth - b.depth || a.index - b.index)
    .flatMap(({ stage, depth }) => [line(stage, depth), ...syntheticOf(stage).map((synthetic) => line(synthetic, depth + 1))]);
}

/** `{ reason }` when there is one, for spreading into a progress message. */
export function withReason(reason: string | undefined): { reason?: string } {
  return reason === undefined ? {} : { reason };
}
