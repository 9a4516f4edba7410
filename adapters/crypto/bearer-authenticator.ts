/**
 * Local mode's authenticator: `Authorization: Bearer <token>` with the token of `.gennaker/token`,
 * compared in constant time. The holder of the token may do everything (one person, one laptop).
 */
import type { Caller } from '../../core/execution/execution-service-api.ts';
import type { Authenticator } from '../../core/ports/authenticator.ts';
import { constantTimeEquals } from './signature-verifier.ts';

export interface BearerAuthenticatorOptions {
  readonly token: string;
  /** @default { user: 'local', roles: ['admin'] } */
  readonly caller?: Caller;
}

export function createBearerAuthenticator(options: BearerAuthenticatorOptions): Authenticator {
  if (options.token.length < 16) throw new Error('the bearer token must be at least 16 characters long');
  const caller: Caller = options.caller ?? { user: 'local', roles: ['admin'] };
  return {
    async authenticate({ headers }) {
      const value = headers.authorization;
      const match = value === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(value);
      if (match === null) return undefined;
      return constantTimeEquals(match[1]!, options.token) ? caller : undefined;
    },
  };
}
