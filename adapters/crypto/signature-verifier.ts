/**
 * Verifies webhook signatures with node:crypto (the half core/ cannot do): GitHub's and
 * Bitbucket's HMAC-SHA256 (`X-Hub-Signature-256`, `X-Hub-Signature: sha256=`), GitHub's legacy
 * HMAC-SHA1 (`X-Hub-Signature: sha1=`), GitLab's shared token (`X-Gitlab-Token`). Every
 * comparison is constant-time, so the time an answer takes says nothing about the secret.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { EventSignature, SignatureVerifier } from '../../core/triggers/signature.ts';

/** Equal strings, compared in time that depends only on their length (hashed first, so lengths leak nothing either). */
export function constantTimeEquals(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}

/** The `sha256=<hex>` value GitHub would send for this body and secret (for tests and clients). */
export function signBody(secret: string, rawBody: string, algorithm: 'sha256' | 'sha1' = 'sha256'): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(rawBody, 'utf8').digest('hex')}`;
}

export function createSignatureVerifier(): SignatureVerifier {
  return (secret: string, signature: EventSignature, rawBody: string): boolean => {
    switch (signature.scheme) {
      case 'hmac-sha256':
        return constantTimeEquals(createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex'), signature.digest);
      case 'hmac-sha1':
        return constantTimeEquals(createHmac('sha1', secret).update(rawBody, 'utf8').digest('hex'), signature.digest);
      case 'token':
        return constantTimeEquals(secret, signature.token);
      case 'unreadable':
        return false;
      default: {
        const unreachable: never = signature;
        throw new Error(`unknown signature scheme ${JSON.stringify(unreachable)}`);
      }
    }
  };
}
