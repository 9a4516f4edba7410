/**
 * The AWS authenticator: API Gateway has verified the SigV4 signature already (IAM auth on every
 * route but the webhooks); the caller is the identity it put in the request context.
 *
 * Roles come from two places:
 * - the principal's ARN: a role session (`arn:aws:sts::123:assumed-role/Deployers/alice`) gives
 *   the user `alice` and the role `Deployers`;
 * - the user directory (adapters/dynamodb/users.ts): the item of the caller's ARN and, for a role
 *   session, the item of the role's ARN (`arn:aws:iam::123:role/Deployers`) add their roles, and
 *   either may make the caller an admin. Principal tags are not used: API Gateway does not pass
 *   them to the function.
 * Without an item, no IAM caller is an admin.
 */
import type { Caller } from '../../core/execution/execution-service-api.ts';
import type { Authenticator } from '../../core/ports/authenticator.ts';
import type { DirectoryUser, UserDirectory } from '../../core/ports/user-directory.ts';

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function at(root: unknown, ...keys: string[]): unknown {
  let current = root;
  for (const key of keys) current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
  return current;
}

/** The caller an IAM principal ARN stands for, before the user directory adds roles. */
export function callerFromArn(arn: string): Caller {
  const assumed = /^arn:aws[\w-]*:sts::\d+:assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (assumed) return { user: assumed[2]!, roles: [assumed[1]!] };
  const user = /^arn:aws[\w-]*:iam::\d+:user\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (user) return { user: user[1]!, roles: [] };
  return { user: arn, roles: [] };
}

/** The directory names a principal may be mapped under: its ARN and, for a role session, the role's ARN. */
export function principalNames(arn: string): readonly string[] {
  const assumed = /^arn:(aws[\w-]*):sts::(\d+):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return assumed ? [arn, `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}`] : [arn];
}

/** Where principals are mapped to roles, and how long a mapping is reused. */
export interface IamAuthenticatorOptions {
  /** The mapping of principals to roles. @default none: roles come from the ARN only */
  readonly users?: UserDirectory;
  /** How long a looked-up mapping is reused, in ms. @default 30000 */
  readonly cacheMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** An authenticator of the IAM identity API Gateway verified, with the roles of its mapping items. */
export function createIamAuthenticator(options: IamAuthenticatorOptions = {}): Authenticator {
  const cacheMs = options.cacheMs ?? 30_000;
  const now = options.now ?? Date.now;
  // A warm function answers many calls of the same people: one read per principal per 30 s.
  const cache = new Map<string, { readonly at: number; readonly user: DirectoryUser | undefined }>();
  const lookup = async (name: string): Promise<DirectoryUser | undefined> => {
    const hit = cache.get(name);
    if (hit !== undefined && now() - hit.at < cacheMs) return hit.user;
    const user = await options.users!.find(name);
    if (cache.size > 1000) cache.clear();
    cache.set(name, { at: now(), user });
    return user;
  };
  return {
    async authenticate({ requestContext }) {
      // REST APIs put the identity under identity.userArn, HTTP APIs under authorizer.iam.userArn.
      const arn = text(at(requestContext, 'identity', 'userArn')) ?? text(at(requestContext, 'authorizer', 'iam', 'userArn'));
      if (arn === undefined) return undefined;
      const base = callerFromArn(arn);
      if (!options.users) return base;
      const mapped = (await Promise.all(principalNames(arn).map(lookup))).filter((user): user is DirectoryUser => user !== undefined);
      if (mapped.length === 0) return base;
      const roles = [...new Set([...base.roles, ...mapped.flatMap((user) => user.roles)])];
      return { user: base.user, roles, ...(mapped.some((user) => user.admin) ? { admin: true } : {}) };
    },
  };
}
