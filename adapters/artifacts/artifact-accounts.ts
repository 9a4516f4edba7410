/**
 * The artifact-content port (core/ports/artifact-content.ts) over named artifact accounts, as
 * clouddriver keeps its artifact credentials: each artifact is read by the account it names
 * (`artifactAccount`), which must read its type, or, when it names none, by the first account
 * (by name) that reads its type; `embedded/base64` is decoded here and needs no account. The composition root builds the accounts (github-artifact-account.ts,
 * http-artifact-account.ts, memory-artifact-account.ts) and names them.
 */
import { artifactLabel, type ArtifactContentPort, type ArtifactContentResult, type ArtifactToFetch } from '../../core/ports/artifact-content.ts';

/** One artifact account: the types it reads and how. */
export interface ArtifactAccount {
  readonly types: readonly string[];
  fetch(artifact: ArtifactToFetch): Promise<ArtifactContentResult>;
}

export interface ArtifactAccountsOptions {
  /** Accounts by name (`my-github-artifact-account`). */
  readonly accounts: Readonly<Record<string, ArtifactAccount>>;
  /** Bytes of content read at most (embedded content included). @default 1_048_576 */
  readonly maxBytes?: number;
}

export const EMBEDDED_BASE64 = 'embedded/base64';

/** Base64 as Spinnaker writes it (standard alphabet, padding optional, line breaks allowed). */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes an `embedded/base64` artifact: its reference is the content. */
export function decodeEmbedded(artifact: ArtifactToFetch, maxBytes: number): ArtifactContentResult {
  const encoded = artifact.reference.replace(/\s+/g, '');
  if (!BASE64.test(encoded)) return { ok: false, reason: 'invalid', message: `artifact ${artifactLabel(artifact)} is not base64; set its reference to the base64 of the content` };
  if (Math.floor((encoded.length * 3) / 4) > maxBytes) return { ok: false, reason: 'failed', message: `artifact ${artifactLabel(artifact)} holds more than ${maxBytes} bytes; keep artifacts under that size` };
  return { ok: true, text: Buffer.from(encoded, 'base64').toString('utf8') };
}

/** Creates the port over the given accounts. */
export function createArtifactAccounts(options: ArtifactAccountsOptions): ArtifactContentPort {
  const maxBytes = options.maxBytes ?? 1_048_576;
  const accounts = options.accounts;
  const names = Object.keys(accounts).sort();
  const types = [...new Set([EMBEDDED_BASE64, ...Object.values(accounts).flatMap((account) => account.types)])].sort();
  return {
    types,
    async fetch(artifact) {
      if (artifact.type === EMBEDDED_BASE64) return decodeEmbedded(artifact, maxBytes);
      // An artifact naming no account is read by the first one that reads its type, as clouddriver's
      // ArtifactCredentialsRepository picks credentials by type when no name is given.
      const name = artifact.artifactAccount !== undefined && artifact.artifactAccount !== '' ? artifact.artifactAccount : names.find((candidate) => accounts[candidate]!.types.includes(artifact.type));
      if (name === undefined) {
        return { ok: false, reason: 'unsupported', message: `no artifact account serves ${artifact.type} ${artifact.reference}; add one to accounts or use embedded/base64` };
      }
      const account = Object.hasOwn(accounts, name) ? accounts[name] : undefined;
      if (account === undefined) {
        return { ok: false, reason: 'not-found', message: `artifact account '${name}' is not configured (known: ${names.length > 0 ? names.join(', ') : 'none'}); configure it, or name a known account in artifactAccount` };
      }
      if (!account.types.includes(artifact.type)) {
        return { ok: false, reason: 'unsupported', message: `artifact account '${name}' reads ${account.types.join(', ')}, not ${artifact.type}; name an account that reads ${artifact.type}` };
      }
      const fetched = await account.fetch(artifact);
      if (fetched.ok && Buffer.byteLength(fetched.text, 'utf8') > maxBytes) {
        return { ok: false, reason: 'failed', message: `artifact ${artifactLabel(artifact)} holds more than ${maxBytes} bytes; keep artifacts under that size` };
      }
      return fetched;
    },
  };
}

/**
 * An account that answers its types now and builds the real one on its first read, so a module
 * it needs (an SDK client) loads only when an artifact of its kind is read; a failed load is tried
 * again on the next read.
 */
export function onDemandArtifactAccount(types: readonly string[], load: () => Promise<ArtifactAccount>): ArtifactAccount {
  let loading: Promise<ArtifactAccount> | undefined;
  return {
    types,
    async fetch(artifact) {
      loading ??= load().catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
      return (await loading).fetch(artifact);
    },
  };
}
