/**
 * Who is calling the API. Locally a bearer token (adapters/crypto/bearer-authenticator.ts); on
 * AWS the IAM (SigV4) identity API Gateway has already verified, read from the request context.
 * Webhook routes do not need a caller: a signature (HMAC or GitLab token) authenticates them.
 */
import type { Caller } from '../execution/execution-service-api.ts';

export interface AuthRequest {
  /** Request headers, names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The platform's request context when there is one (API Gateway's `requestContext`). */
  readonly requestContext?: unknown;
}

export interface Authenticator {
  /** The caller, or undefined when the request proves no identity (the API answers 401). */
  authenticate(request: AuthRequest): Promise<Caller | undefined>;
}
