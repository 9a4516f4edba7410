/**
 * An artifact account held in memory: the documents it serves are put in by whoever builds it.
 * `--sandbox` serves the artifact accounts a pipeline names from one of these, seeded with what
 * the pipeline expects to find there (local/sandbox), so the run reads them exactly as it would
 * read GitHub or an HTTP server. Keys are type, reference and version (an empty version is any).
 */
import { artifactLabel, type ArtifactContentResult, type ArtifactToFetch } from '../../core/ports/artifact-content.ts';
import type { ArtifactAccount } from './artifact-accounts.ts';

export interface MemoryArtifactAccount extends ArtifactAccount {
  /** Stores `text` as the content of the artifact (its type, reference and version). */
  put(artifact: Pick<ArtifactToFetch, 'type' | 'reference' | 'version'>, text: string): void;
  /** What it holds, for reports. */
  list(): ReadonlyArray<{ readonly type: string; readonly reference: string; readonly version?: string; readonly bytes: number }>;
}

const key = (type: string, reference: string, version: string | undefined) => `${type}\u0000${reference}\u0000${version ?? ''}`;

/** Creates an account `name` reading `types` from memory, and every type put into it. */
export function createMemoryArtifactAccount(options: { readonly name: string; readonly types?: readonly string[] }): MemoryArtifactAccount {
  const held = new Map<string, { type: string; reference: string; version?: string; text: string }>();
  return {
    get types() {
      return [...new Set([...(options.types ?? []), ...[...held.values()].map((entry) => entry.type)])];
    },
    put(artifact, text) {
      held.set(key(artifact.type, artifact.reference, artifact.version), { type: artifact.type, reference: artifact.reference, ...(artifact.version ? { version: artifact.version } : {}), text });
    },
    list: () => [...held.values()].map(({ text, ...rest }) => ({ ...rest, bytes: Buffer.byteLength(text, 'utf8') })),
    async fetch(artifact): Promise<ArtifactContentResult> {
      const found = held.get(key(artifact.type, artifact.reference, artifact.version)) ?? held.get(key(artifact.type, artifact.reference, undefined));
      if (found) return { ok: true, text: found.text };
      return { ok: false, reason: 'not-found', message: `artifact ${artifactLabel(artifact)} does not exist in account '${options.name}'; check its reference and version` };
    },
  };
}
