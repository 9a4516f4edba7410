/**
 * Artifact accounts that read over HTTP through the HttpClient port, so the outbound allowlist
 * decides which hosts an artifact may come from:
 * - `http/file` (clouddriver's HttpArtifactCredentials): GET the reference, optionally with basic
 *   credentials or a bearer token;
 * - `github/file` (clouddriver's GitHubArtifactCredentials, content API mode): GET the reference —
 *   a contents URL, `https://api.github.com/repos/<owner>/<repo>/contents/<path>` — with
 *   `ref=<version>` (default `master`, as clouddriver) and the raw media type, so one request
 *   answers the file itself; the account's token, when it has one, as the Authorization header.
 * Answers map to the port's reasons: 404 not-found, 401/403 failed (naming the token), 429 and
 * 5xx unavailable, other statuses failed; a host off the allowlist refused.
 */
import { artifactLabel, type ArtifactContentResult, type ArtifactToFetch } from '../../core/ports/artifact-content.ts';
import type { HttpClient } from '../../core/ports/http-client.ts';
import type { ArtifactAccount } from './artifact-accounts.ts';

export interface HttpArtifactAccountOptions {
  /** Outbound HTTP; its allowlist must allow the artifacts' hosts. */
  readonly http: HttpClient;
  /** `user:password` for basic authentication. @default none */
  readonly basicAuth?: string;
  /** A bearer token. @default none */
  readonly token?: string;
  /** @default 30_000 */
  readonly timeoutMs?: number;
}

export interface GithubArtifactAccountOptions {
  readonly http: HttpClient;
  /** A token that can read the repositories. @default none (public repositories only) */
  readonly token?: string;
  /** @default 30_000 */
  readonly timeoutMs?: number;
}

function urlOf(artifact: ArtifactToFetch, fix: string): URL | ArtifactContentResult {
  try {
    const url = new URL(artifact.reference);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // Not a URL: answered below.
  }
  return { ok: false, reason: 'invalid', message: `artifact ${artifactLabel(artifact)} has reference ${JSON.stringify(artifact.reference)}, which is not an http(s) URL; ${fix}` };
}

async function get(http: HttpClient, artifact: ArtifactToFetch, url: URL, headers: Record<string, string>, timeoutMs: number, authFix: string): Promise<ArtifactContentResult> {
  const sent = await http.send({ method: 'GET', url: url.toString(), headers, timeoutMs });
  if (!sent.ok) {
    const reason = sent.failure.kind === 'refused-by-allowlist' ? 'refused' : sent.failure.kind === 'too-large' ? 'failed' : 'unavailable';
    // The client's message says how to allow the host.
    return { ok: false, reason, message: `artifact ${artifactLabel(artifact)} could not be read: ${sent.failure.message}` };
  }
  const status = sent.response.status;
  if (status >= 200 && status < 300) return { ok: true, text: sent.response.body };
  const what = `artifact ${artifactLabel(artifact)}: GET ${url.host} answered ${status}`;
  if (status === 404) return { ok: false, reason: 'not-found', message: `${what}; check its reference and version` };
  if (status === 401 || status === 403) return { ok: false, reason: 'failed', message: `${what}; ${authFix}` };
  if (status === 429 || status >= 500) return { ok: false, reason: 'unavailable', message: `${what}; try again later` };
  return { ok: false, reason: 'failed', message: `${what}; check the reference` };
}

/** An account reading `http/file` artifacts. */
export function createHttpArtifactAccount(options: HttpArtifactAccountOptions): ArtifactAccount {
  const headers: Record<string, string> = { accept: '*/*' };
  if (options.basicAuth !== undefined) headers['authorization'] = `Basic ${Buffer.from(options.basicAuth, 'utf8').toString('base64')}`;
  else if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  return {
    types: ['http/file'],
    async fetch(artifact) {
      const url = urlOf(artifact, 'set the URL of the file');
      if (!(url instanceof URL)) return url;
      return get(options.http, artifact, url, headers, options.timeoutMs ?? 30_000, "check the account's credentials");
    },
  };
}

/** An account reading `github/file` artifacts through GitHub's contents API. */
export function createGithubArtifactAccount(options: GithubArtifactAccountOptions): ArtifactAccount {
  const headers: Record<string, string> = { accept: 'application/vnd.github.raw', 'x-github-api-version': '2022-11-28', 'user-agent': 'gennaker' };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  return {
    types: ['github/file'],
    async fetch(artifact) {
      const url = urlOf(artifact, 'set the contents URL, e.g. "https://api.github.com/repos/<owner>/<repo>/contents/<path>"');
      if (!(url instanceof URL)) return url;
      url.searchParams.set('ref', artifact.version !== undefined && artifact.version !== '' ? artifact.version : 'master');
      return get(options.http, artifact, url, headers, options.timeoutMs ?? 30_000, "the account's token cannot read this repository; give the account a token with read access");
    },
  };
}
