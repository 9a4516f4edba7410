/**
 * Credentials of a deploy account's role (STS AssumeRole), for the SDK clients the AWS targets
 * use there. One provider per account, shared by every client and region of that account:
 *
 * - Each session is cached by the SDK's own identity memoizer (`memoizeIdentityProvider` of
 *   `@smithy/core`, what the SDK's credential providers use) and assumed again `refreshBeforeMs`
 *   before it expires, by the given clock; concurrent calls share one AssumeRole.
 * - The session name says who acts: `gennaker-<execution id>` while a stage of that execution
 *   runs, so CloudTrail in the deploy account ties every call to a pipeline run. The sessions of
 *   the last `sessionsKept` names are kept.
 * - The provider is marked `memoized`, so a client uses it as it is instead of wrapping it in a
 *   second cache that would read the wall clock and outlive the session name.
 *
 * A refused AssumeRole (the role does not trust the caller, or the ExternalId differs) keeps its
 * AWS error code and says which account, role and fix; throttling and network faults pass
 * through unchanged, for the SDK and the targets to classify.
 */
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { doesIdentityRequireRefresh, EXPIRATION_MS, memoizeIdentityProvider } from '@smithy/core';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Clock } from '../../core/ports/clock.ts';

/** Which role to assume, how, and when to renew it. */
export interface AssumedRoleOptions {
  /** The Gennaker account the role belongs to, for messages. */
  readonly account: string;
  readonly roleArn: string;
  /** Passed as `ExternalId` when the role's trust policy asks for one. */
  readonly externalId?: string;
  /** The STS client calls are made with (the caller's own credentials: the stage runner's role). */
  readonly sts: Pick<STSClient, 'send'>;
  /** The session name for the calls made now (read on every call). */
  readonly sessionName: () => string;
  /** Decides when a session is due for renewal. */
  readonly clock: Clock;
  /** @default 3600, IAM's default maximum session duration */
  readonly durationSeconds?: number;
  /** Assume again this long before a session expires. @default 5 minutes (the SDK's own margin) */
  readonly refreshBeforeMs?: number;
  /** Sessions (by name) kept at once. @default 16 */
  readonly sessionsKept?: number;
  /**
   * An inline session policy (IAM JSON) passed as `Policy`: the session may do only what both
   * the role and this policy allow. @default none: the session has the role's permissions
   */
  readonly sessionPolicy?: string;
  /** Who assumes the role, for the fix of a refusal. @default "the stage runner's role" */
  readonly caller?: string;
}

/** A credentials provider the SDK clients use as it is (`memoized`). */
export type AssumedRoleCredentials = AwsCredentialIdentityProvider & { readonly memoized: true };

/** What STS allows in a RoleSessionName. */
const SESSION_NAME = /[^\w+=,.@-]/g;

/** A session name STS accepts (2-64 of `[\w+=,.@-]`), from any text. */
export function roleSessionName(text: string): string {
  const cleaned = text.replace(SESSION_NAME, '-').slice(0, 64);
  return cleaned.length >= 2 ? cleaned : `${cleaned}--`.slice(0, 2);
}

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'InvalidClientTokenId', 'ExpiredToken', 'ExpiredTokenException', 'RegionDisabledException']);

interface SdkError {
  readonly name?: string;
  readonly Code?: string;
  readonly message?: string;
  readonly $fault?: unknown;
  readonly $metadata?: unknown;
}

/** A refused AssumeRole as one line naming the account, the role and the fix; other errors unchanged. */
function refused(error: unknown, options: AssumedRoleOptions, sessionName: string): unknown {
  if (error === null || typeof error !== 'object') return error;
  const sdk = error as SdkError;
  const code = sdk.Code ?? sdk.name ?? '';
  if (!DENIED.has(code)) return error;
  const caller = options.caller ?? "the stage runner's role";
  const trust = options.externalId === undefined ? `allow ${caller} in its trust policy` : `allow ${caller} in its trust policy with this externalId`;
  // The fix first: a target shortens long lines, and STS's own text repeats the role.
  const message = `assuming ${options.roleArn} (account '${options.account}', session ${sessionName}) was refused: ${trust}; STS said: ${sdk.message ?? code}`;
  // The same code, fault and status: the targets classify it as they would the original.
  return Object.assign(new Error(message, { cause: error }), {
    name: sdk.name ?? code,
    ...(sdk.Code !== undefined ? { Code: sdk.Code } : {}),
    ...(sdk.$fault !== undefined ? { $fault: sdk.$fault } : {}),
    ...(sdk.$metadata !== undefined ? { $metadata: sdk.$metadata } : {}),
  });
}

/** The credentials provider of one account's role. */
export function assumedRoleCredentials(options: AssumedRoleOptions): AssumedRoleCredentials {
  const durationSeconds = options.durationSeconds ?? 3600;
  const refreshBeforeMs = options.refreshBeforeMs ?? EXPIRATION_MS;
  const kept = options.sessionsKept ?? 16;
  const sessions = new Map<string, AwsCredentialIdentityProvider>();

  const assume = (sessionName: string) => async (): Promise<AwsCredentialIdentity> => {
    let answer;
    try {
      answer = await options.sts.send(
        new AssumeRoleCommand({
          RoleArn: options.roleArn,
          RoleSessionName: sessionName,
          DurationSeconds: durationSeconds,
          ...(options.externalId !== undefined ? { ExternalId: options.externalId } : {}),
          ...(options.sessionPolicy !== undefined ? { Policy: options.sessionPolicy } : {}),
        }),
      );
    } catch (error) {
      throw refused(error, options, sessionName);
    }
    const credentials = answer.Credentials;
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken || !credentials.Expiration) {
      throw new Error(`STS answered AssumeRole of ${options.roleArn} (account '${options.account}') without complete credentials`);
    }
    return {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration,
    };
  };

  const dueForRenewal = (identity: { expiration?: Date }): boolean =>
    doesIdentityRequireRefresh(identity) && identity.expiration!.getTime() - options.clock.now() < refreshBeforeMs;

  const provider = async (): Promise<AwsCredentialIdentity> => {
    const name = roleSessionName(options.sessionName());
    let session = sessions.get(name);
    if (session) {
      sessions.delete(name);
    } else {
      session = memoizeIdentityProvider(assume(name), dueForRenewal, doesIdentityRequireRefresh)!;
      // The least recently used session goes first.
      while (sessions.size >= kept) sessions.delete(sessions.keys().next().value!);
    }
    sessions.set(name, session);
    return session();
  };
  return Object.assign(provider, { memoized: true as const });
}
