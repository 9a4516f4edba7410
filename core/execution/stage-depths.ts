/**
 * Where each stage stands in its graph, for showing an execution's stages in order (the CLI's
 * progress) and for looking at the nearest upstream stages first (artifacts bound by an
 * execution's stages). Kept apart from core/pipeline so a reader of executions loads no schemas.
 */

/** What `stageDepths` reads of a stage (a pipeline's stage, or an execution's stage record). */
export interface DepthStage {
  readonly refId: string;
  readonly requisiteStageRefIds: readonly string[];
  /** Set on synthetic stages, which are left out (they sit at their parent's depth). */
  readonly parentStageId?: string;
}

/**
 * Each top-level stage's distance from the roots of its graph, by refId: 0 for a stage with no
 * upstream stage, else one more than its deepest upstream one. Upstream refIds that name no stage
 * are ignored, and a cycle (which validation refuses) does not loop.
 */
export function stageDepths(stages: readonly DepthStage[]): Map<string, number> {
  const byRef = new Map(stages.filter((stage) => stage.parentStageId === undefined).map((stage) => [stage.refId, stage] as const));
  const depths = new Map<string, number>();
  const depthOf = (refId: string, seen: Set<string>): number => {
    const known = depths.get(refId);
    if (known !== undefined) return known;
    const stage = byRef.get(refId);
    if (!stage || seen.has(refId)) return 0;
    seen.add(refId);
    const parents = stage.requisiteStageRefIds.filter((parent) => byRef.has(parent));
    const depth = parents.reduce((deepest, parent) => Math.max(deepest, depthOf(parent, seen) + 1), 0);
    depths.set(refId, depth);
    return depth;
  };
  for (const refId of byRef.keys()) depthOf(refId, new Set());
  return depths;
}
