/**
 * The AWS authenticator: API Gateway has verified the SigV4 signature already (IAM auth on every
 * route but the webhooks); the caller is the identity it put in the request context. A role
 * session (`arn:aws:sts::123:assumed-role/Deployers/alice`) gives the user `alice` and the
 * role `Deployers`, which application permissions name.
 */
import type { Caller } from '../../core/execution/execution-service-api.ts';
import type { Authenticator } from '../../core/ports/authenticator.ts';

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function at(root: unknown, ...keys: string[]): unknown {
  let current = root;
  for (const key of keys) current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
  return current;
}

/** The caller an IAM principal ARN stands for. */
export function callerFromArn(arn: string): Caller {
  const assumed = /^arn:aws[\w-]*:sts::\d+:assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (assumed) return { user: assumed[2]!, roles: [assumed[1]!] };
  const user = /^arn:aws[\w-]*:iam::\d+:user\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (user) return { user: user[1]!, roles: [] };
  return { user: arn, roles: [] };
}

export function createIamAuthenticator(): Authenticator {
  return {
    async authenticate({ requestContext }) {
      // REST APIs put the identity under identity.userArn, HTTP APIs under authorizer.iam.userArn.
      const arn = text(at(requestContext, 'identity', 'userArn')) ?? text(at(requestContext, 'authorizer', 'iam', 'userArn'));
      return arn === undefined ? undefined : callerFromArn(arn);
    },
  };
}
