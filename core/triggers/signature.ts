import type { Pipeline } from '../pipeline/model.ts';

/**
 * Webhook signatures, the pure half: which signature a request carries, and Echo's rule for
 * whether a trigger accepts it. Computing an HMAC needs crypto, which core/ does not import: the
 * `SignatureVerifier` is implemented in adapters/crypto/ and handed in.
 */

/** Request headers with lower-case names. */
export type HeaderMap = Readonly<Record<string, string | undefined>>;

export type EventSignature =
  /** GitHub `X-Hub-Signature-256`, Bitbucket `X-Hub-Signature: sha256=...`: hex HMAC-SHA256 of the raw body. */
  | { readonly scheme: 'hmac-sha256'; readonly digest: string }
  /** GitHub's legacy `X-Hub-Signature: sha1=...`. */
  | { readonly scheme: 'hmac-sha1'; readonly digest: string }
  /** GitLab's `X-Gitlab-Token`: the shared secret itself. */
  | { readonly scheme: 'token'; readonly token: string }
  /** A signature header this code cannot read: the event counts as signed and never verifies. */
  | { readonly scheme: 'unreadable'; readonly header: string };

/** Tells whether `signature` is right for `secret` over the exact raw body (constant time). */
export type SignatureVerifier = (secret: string, signature: EventSignature, rawBody: string) => boolean;

export function header(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return value === undefined || value === '' ? undefined : value;
}

function hmacHeader(name: string, value: string): EventSignature {
  const match = /^(sha256|sha1)=([0-9a-fA-F]+)$/.exec(value.trim());
  if (match === null) return { scheme: 'unreadable', header: name };
  return { scheme: match[1] === 'sha256' ? 'hmac-sha256' : 'hmac-sha1', digest: match[2]!.toLowerCase() };
}

/**
 * The signature the request carries, strongest first: `X-Hub-Signature-256`, `X-Hub-Signature`,
 * `X-Gitlab-Token`. Undefined when the request is not signed.
 */
export function readEventSignature(headers: HeaderMap): EventSignature | undefined {
  const sha256 = header(headers, 'x-hub-signature-256');
  if (sha256 !== undefined) return hmacHeader('X-Hub-Signature-256', sha256);
  const legacy = header(headers, 'x-hub-signature');
  if (legacy !== undefined) return hmacHeader('X-Hub-Signature', legacy);
  const token = header(headers, 'x-gitlab-token');
  if (token !== undefined) return { scheme: 'token', token };
  return undefined;
}

/**
 * Echo's rule: a trigger with a secret fires only on an event whose signature verifies with it,
 * and a trigger without a secret refuses a signed event (someone meant it for another trigger).
 * An unsigned event reaches only triggers without a secret.
 */
export function acceptsSignature(
  secret: string | undefined,
  signature: EventSignature | undefined,
  rawBody: string,
  verify: SignatureVerifier,
): boolean {
  const hasSecret = secret !== undefined && secret !== '';
  if (!hasSecret) return signature === undefined;
  return signature !== undefined && verify(secret, signature, rawBody);
}

/** The secret a trigger definition holds (`secret` in its JSON), if any. */
export function triggerSecret(raw: Readonly<Record<string, unknown>>): string | undefined {
  return typeof raw.secret === 'string' && raw.secret !== '' ? raw.secret : undefined;
}

/**
 * The pipelines a signed delivery may reach: those with an enabled `type` trigger for `source`
 * whose secret verifies the signature over the raw body. Reads only trigger definitions — no
 * payload, no constraint regex — so a forged or junk signature is refused before anything of the
 * request is parsed or matched. Each distinct secret is tried once.
 */
export function pipelinesSignedFor(
  pipelines: readonly Pipeline[],
  type: 'webhook' | 'git',
  source: string,
  signature: EventSignature,
  rawBody: string,
  verify: SignatureVerifier,
): Pipeline[] {
  const verdicts = new Map<string, boolean>();
  const verifies = (secret: string): boolean => {
    let verdict = verdicts.get(secret);
    if (verdict === undefined) {
      verdict = verify(secret, signature, rawBody);
      verdicts.set(secret, verdict);
    }
    return verdict;
  };
  return pipelines.filter(
    (pipeline) =>
      !pipeline.disabled &&
      pipeline.triggers.some((trigger) => {
        if ((trigger.type !== 'webhook' && trigger.type !== 'git') || trigger.type !== type || !trigger.enabled) return false;
        const triggerSource = trigger.config.source;
        const sameSource = type === 'git' ? triggerSource.toLowerCase() === source.toLowerCase() : triggerSource === source;
        const secret = triggerSecret(trigger.raw);
        return sameSource && secret !== undefined && verifies(secret);
      }),
  );
}
