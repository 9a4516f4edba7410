/**
 * The pipeline publisher: (re)publishes a saved pipeline version to Step Functions and syncs its
 * cron schedules. The API already publishes inline on save; this function is for what happens
 * outside a save: a publish the API deferred while the control plane was throttled, schedules
 * whose sync failed, or republishing every pipeline after Gennaker itself was upgraded. It waits
 * out throttling (its timeout is minutes, not API Gateway's seconds).
 *
 * It also answers the stage runner, which may not publish: `{ "pipelineConfigId", "version",
 * "start": true }` asks for the ARN a start of that version runs on (the live alias, or a
 * published version), publishing it first when that start would have to (a deferred publish, or
 * an older version no longer kept), and answers it as `published.ref`.
 *
 * Event: `{ "pipelineConfigId": "...", "version"?: n, "start"?: true }` (default: the latest version).
 */
import { z } from 'zod';
import type { PublishedPipeline, PublishRequest } from '../../core/ports/state-machine-engine.ts';
import type { ExecutionStore } from '../../core/ports/execution-store.ts';
import { publishingRuntimeForColdStart } from '../publishing-wiring.ts';

export const publishEventSchema = z.object({
  pipelineConfigId: z.string().min(1),
  version: z.number().int().positive().optional(),
  start: z.literal(true).optional(),
});

export interface PublisherDeps {
  readonly store: Pick<ExecutionStore, 'getPipelineConfig'>;
  readonly loadPublishRequest: (pipelineConfigId: string, version: number) => Promise<PublishRequest | undefined>;
  readonly publishNow: (request: PublishRequest) => Promise<PublishedPipeline>;
  readonly syncSchedules: (pipelineConfigId: string) => Promise<void>;
  /** The ARN a start of the version runs on, publishing it first when needed (the engine's `startTargetOf`). */
  readonly startTargetOf: (pipelineConfigId: string, version: number) => Promise<string>;
}

export type PublishResult = { readonly ok: true; readonly published: PublishedPipeline } | { readonly ok: false; readonly message: string };

export function createPublisherHandler(deps: PublisherDeps): (event: unknown) => Promise<PublishResult> {
  return async (event) => {
    const parsed = publishEventSchema.safeParse(event);
    if (!parsed.success) {
      return { ok: false, message: `the publisher expects {"pipelineConfigId": "...", "version"?: n}; ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}` };
    }
    const { pipelineConfigId } = parsed.data;
    if (parsed.data.start) {
      if (parsed.data.version === undefined) return { ok: false, message: 'a start target needs the version to start: {"pipelineConfigId": "...", "version": n, "start": true}' };
      const ref = await deps.startTargetOf(pipelineConfigId, parsed.data.version);
      return { ok: true, published: { pipelineConfigId, version: parsed.data.version, ref } };
    }
    const version = parsed.data.version ?? (await deps.store.getPipelineConfig(pipelineConfigId))?.version;
    const request = version === undefined ? undefined : await deps.loadPublishRequest(pipelineConfigId, version);
    if (!request) {
      return { ok: false, message: `pipeline ${pipelineConfigId}${parsed.data.version === undefined ? '' : ` version ${parsed.data.version}`} is not saved (or no longer parses); save it first` };
    }
    const published = await deps.publishNow(request);
    await deps.syncSchedules(pipelineConfigId);
    return { ok: true, published };
  };
}

export async function handler(event: unknown): Promise<PublishResult> {
  const runtime = publishingRuntimeForColdStart();
  return createPublisherHandler({
    store: runtime.store,
    loadPublishRequest: runtime.loadPublishRequest,
    publishNow: runtime.engine.publishNow,
    syncSchedules: runtime.syncSchedules,
    startTargetOf: runtime.engine.startTargetOf,
  })(event);
}
