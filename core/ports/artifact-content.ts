/**
 * The artifact-content port: what an artifact holds, fetched through the artifact account that
 * can read it, as clouddriver's ArtifactDownloader does with its artifact credentials. A pipeline
 * carries artifacts as references (`{type, reference, artifactAccount, version}`, bound by Orca);
 * a target that needs the document behind one — an ECS task definition, later a Kubernetes
 * manifest — asks this port for it when it creates a server group.
 *
 * The contract every implementation keeps:
 * - `embedded/base64` needs no account: its reference is the content.
 * - Other types are read through the account the artifact names; an account that is not
 *   configured, or that cannot read this type, answers `not-found` / `unsupported` naming the
 *   known accounts or types. Outbound reads (`http/file`, `github/file`) go through the outbound
 *   allowlist, and a host off the list answers `refused`.
 * - Results are values; only broken invariants throw. `unavailable` (throttled, 5xx, unreachable)
 *   is the one reason worth retrying.
 * - Content is text (task definitions and manifests are JSON or YAML documents), read up to a byte
 *   cap the implementation names.
 *
 * Pure types: no I/O.
 */
import type { ArtifactReference } from '../deploy/model.ts';

/** An artifact as Spinnaker writes it: a reference, and the account that can read it. */
export interface ArtifactToFetch extends ArtifactReference {
  /** The artifact account (`my-github-artifact-account`); absent for `embedded/base64`. */
  readonly artifactAccount?: string;
  readonly location?: string;
}

/** Why no content came back. */
export type ArtifactContentFailureReason =
  /** The artifact, or its account, does not exist. */
  | 'not-found'
  /** The reference is malformed (not base64, not a URL...). */
  | 'invalid'
  /** No account reads this type. */
  | 'unsupported'
  /** The outbound allowlist does not allow the artifact's host. */
  | 'refused'
  /** Throttled, 5xx or unreachable: the same fetch may succeed later. */
  | 'unavailable'
  /** The account answered and refused (401, 403), or the content is too large. */
  | 'failed';

export type ArtifactContentResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: ArtifactContentFailureReason; readonly message: string };

/** Reads artifacts' content through the artifact accounts it knows. */
export interface ArtifactContentPort {
  /** The artifact types it can read (`embedded/base64`, `github/file`, `http/file`...). */
  readonly types: readonly string[];
  fetch(artifact: ArtifactToFetch): Promise<ArtifactContentResult>;
}

/** An artifact for a one-line message: `github/file https://…/demo-task-def.json@master (my-github-artifact-account)`. */
export function artifactLabel(artifact: ArtifactToFetch): string {
  const reference = artifact.type === 'embedded/base64' ? `${artifact.name ?? 'inline'} (${artifact.reference.length} base64 characters)` : artifact.reference;
  const version = artifact.version !== undefined && artifact.version !== '' ? `@${artifact.version}` : '';
  const account = artifact.artifactAccount !== undefined && artifact.artifactAccount !== '' ? ` (${artifact.artifactAccount})` : '';
  return `${artifact.type} ${reference}${version}${account}`;
}
