/**
 * Pipeline templates (Managed Pipeline Templates v2) as Front50 keeps them: one document per
 * key, where a key is a template id (`deploy-service`), an id with a tag (`deploy-service:stable`,
 * `deploy-service:latest`) or an id with a content digest (`deploy-service@sha256:<hex>`). The
 * rules that write several keys per save (latest, digest) are in
 * core/pipeline/templates/template-service.ts; this port only keeps documents. Templates are
 * global: they belong to no application.
 *
 * Pure types: no I/O.
 */
import type { JsonObject, TooLarge } from './execution-store.ts';

/** One stored template document. */
export interface StoredPipelineTemplate {
  /** `id`, `id:tag` or `id@sha256:digest`. */
  readonly key: string;
  /** The undecorated template id. */
  readonly id: string;
  /** The v2 template document as saved (Front50 also keeps `tag` and `digest` in it). */
  readonly template: JsonObject;
  /** Epoch ms of the write. */
  readonly updatedAt: number;
  readonly updatedBy?: string;
}

export type PutPipelineTemplateResult = { readonly ok: true } | { readonly ok: false; readonly reason: 'exists' } | TooLarge;

export interface PipelineTemplateStore {
  /** Writes the document under its key; with `create`, refuses when the key holds one already. */
  put(entry: Omit<StoredPipelineTemplate, 'updatedAt'>, options?: { readonly create?: boolean }): Promise<PutPipelineTemplateResult>;
  get(key: string): Promise<StoredPipelineTemplate | undefined>;
  /** Removes the document under the key; false when there was none. */
  delete(key: string): Promise<boolean>;
  /** Every stored document (every key), by id then key. */
  list(): Promise<readonly StoredPipelineTemplate[]>;
}
