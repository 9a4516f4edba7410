/**
 * Local mode's authenticator: `Authorization: Bearer <token>`. The token of `.gennaker/token`
 * authenticates the built-in admin; users added with `gennaker user add` have their own tokens,
 * of which only the SHA-256 is kept. Every comparison takes the same time whatever matches:
 * the presented token is hashed once and compared with every stored hash in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Caller } from '../../core/execution/execution-service-api.ts';
import type { Authenticator } from '../../core/ports/authenticator.ts';

/** A user with a token of their own, as the user file keeps it. */
export interface TokenUser {
  readonly caller: Caller;
  /** Hex SHA-256 of the user's token. */
  readonly tokenSha256: string;
}

/** The admin's token and the users with their own. */
export interface BearerAuthenticatorOptions {
  /** The first-start token: its holder is the admin. */
  readonly token: string;
  /** @default { user: 'admin', roles: [], admin: true } */
  readonly caller?: Caller;
  /** Users with their own tokens, read on every request (the list may change while the server runs). @default none */
  readonly users?: () => Promise<readonly TokenUser[]>;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** An authenticator of bearer tokens: the admin's, or a user's. */
export function createBearerAuthenticator(options: BearerAuthenticatorOptions): Authenticator {
  if (options.token.length < 16) throw new Error('the bearer token must be at least 16 characters long');
  const admin: Caller = options.caller ?? { user: 'admin', roles: [], admin: true };
  const adminHash = sha256(options.token);
  return {
    async authenticate({ headers }) {
      const value = headers.authorization;
      const match = value === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(value);
      if (match === null) return undefined;
      const presented = sha256(match[1]!);
      let found: Caller | undefined = timingSafeEqual(presented, adminHash) ? admin : undefined;
      for (const user of options.users ? await options.users() : []) {
        const stored = Buffer.from(user.tokenSha256, 'hex');
        // Every stored hash is compared, matched or not, so timing says nothing about which (if any) matched.
        if (stored.length === presented.length && timingSafeEqual(stored, presented) && found === undefined) found = user.caller;
      }
      return found;
    },
  };
}
