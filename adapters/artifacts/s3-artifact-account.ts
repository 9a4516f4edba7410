/**
 * An artifact account reading `s3/object` artifacts (clouddriver's S3ArtifactCredentials): the
 * reference is `s3://<bucket>/<key>`, and Spinnaker's `version`, when set, is the object's S3
 * VersionId. One GetObject per read, through the account's S3 client: its credentials are the
 * default chain or the session of the role the account assumes (adapters/aws/assumed-role.ts),
 * and it follows a bucket's region when S3 answers that the bucket lives elsewhere.
 *
 * The size is known from the answer's Content-Length before the body is read: an object over the
 * cap is refused without downloading it. S3's answers map to the port's reasons: NoSuchKey,
 * NoSuchBucket and NoSuchVersion not-found; AccessDenied failed, naming the identity and the grant
 * it lacks; throttling and 5xx (after the SDK's own retries) unavailable; a refused AssumeRole
 * failed with its own fix.
 *
 * Loaded on demand by the composition roots (the S3 client is large; most runs read no S3 artifact).
 */
import { GetObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { artifactLabel, type ArtifactContentResult, type ArtifactToFetch } from '../../core/ports/artifact-content.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { assumedRoleCredentials } from '../aws/assumed-role.ts';
import type { ArtifactAccount } from './artifact-accounts.ts';

/** The artifact type this account reads. */
export const S3_OBJECT = 's3/object';

/** An `s3/object` reference: `s3://<bucket>/<key>`. */
const REFERENCE = /^s3:\/\/([^/]+)\/(.+)$/;

/** The bucket and key of an `s3://bucket/key` reference, or undefined when it is not one. */
export function parseS3Reference(reference: string): { readonly bucket: string; readonly key: string } | undefined {
  const match = REFERENCE.exec(reference.trim());
  return match ? { bucket: match[1]!, key: match[2]! } : undefined;
}

/** How one s3 artifact account reaches S3 (an entry of `artifactAccounts` with `type: s3`). */
export interface S3ArtifactAccountSettings {
  /** The account's name, for messages. */
  readonly name: string;
  /** Where its client starts (a bucket elsewhere is followed). @default the runtime's region, else us-east-1 */
  readonly region?: string;
  /** The role its reads act as. @default the default credential chain (locally) or the function's own role (on AWS) */
  readonly assumeRole?: string;
  readonly externalId?: string;
  /** Where S3 (and STS, for `assumeRole`) answer instead of AWS: an S3-compatible store, or the AWS simulator. */
  readonly endpoint?: string;
  /** The only buckets it reads (others are refused). @default any */
  readonly buckets?: readonly string[];
}

export interface S3ArtifactAccountOptions extends S3ArtifactAccountSettings {
  /** The identity the client signs with, or assumes `assumeRole` with. @default the SDK's default chain */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Renews an assumed role's session. */
  readonly clock: Clock;
  /** The session name of an assumed role's session (`gennaker-<execution id>` on AWS). @default gennaker-artifacts */
  readonly sessionName?: () => string;
  /** Who the identity is, for the fix of a refusal. @default "the AWS identity of this machine" */
  readonly caller?: string;
  /** Bytes read at most. @default 1_048_576 (the artifact accounts' cap) */
  readonly maxBytes?: number;
  /** Attempts per read (the SDK's standard retry, throttling included). @default 3 */
  readonly maxAttempts?: number;
  /** The SDK's retry strategy (tests: no backoff). */
  readonly retryStrategy?: S3ClientConfig['retryStrategy'];
}

/** An s3 artifact account, and how to release its clients. */
export interface S3ArtifactAccount extends ArtifactAccount {
  close(): void;
}

interface SdkError {
  readonly name?: string;
  /** A network error's code (ECONNREFUSED...). */
  readonly code?: string;
  readonly Code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const THROTTLED = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'TimeoutError']);

/** A loopback http endpoint (a simulator or a local store): path-style, as such a host has no per-bucket names. */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/;

/** Creates an account reading `s3/object` artifacts. */
export function createS3ArtifactAccount(options: S3ArtifactAccountOptions): S3ArtifactAccount {
  const region = options.region ?? 'us-east-1';
  const maxBytes = options.maxBytes ?? 1_048_576;
  const endpoint = options.endpoint !== undefined ? { endpoint: options.endpoint } : {};
  const retries = { maxAttempts: options.maxAttempts ?? 3, ...(options.retryStrategy !== undefined ? { retryStrategy: options.retryStrategy } : {}) };
  const own = options.credentials !== undefined ? { credentials: options.credentials } : {};
  const sts = options.assumeRole !== undefined ? new STSClient({ region, ...endpoint, ...own, ...retries }) : undefined;
  const credentials = sts
    ? assumedRoleCredentials({
        account: options.name,
        roleArn: options.assumeRole!,
        ...(options.externalId !== undefined ? { externalId: options.externalId } : {}),
        sts,
        sessionName: options.sessionName ?? (() => 'gennaker-artifacts'),
        clock: options.clock,
        caller: options.caller ?? 'the AWS identity of this machine',
      })
    : undefined;
  const client = new S3Client({
    region,
    ...endpoint,
    ...(credentials ? { credentials } : own),
    ...retries,
    // A bucket in another region answers 301 with its region; the client asks there.
    followRegionRedirects: true,
    forcePathStyle: options.endpoint !== undefined && LOOPBACK.test(options.endpoint),
  });
  const identity = options.assumeRole !== undefined ? `role ${options.assumeRole}` : (options.caller ?? 'the AWS identity of this machine');

  const read = async (artifact: ArtifactToFetch): Promise<ArtifactContentResult> => {
    const target = parseS3Reference(artifact.reference);
    if (!target) {
      return { ok: false, reason: 'invalid', message: `artifact ${artifactLabel(artifact)} has reference ${JSON.stringify(artifact.reference)}, which is not s3://<bucket>/<key>; set the object's S3 URI, e.g. "s3://my-bucket/manifests/app.yaml"` };
    }
    const { bucket, key } = target;
    if (options.buckets !== undefined && !options.buckets.includes(bucket)) {
      return { ok: false, reason: 'refused', message: `artifact ${artifactLabel(artifact)} is in bucket ${bucket}, which artifact account '${options.name}' does not read (its buckets: ${options.buckets.join(', ')}); add ${bucket} to its buckets, or name an account that reads it` };
    }
    const versionId = artifact.version !== undefined && artifact.version.trim() !== '' ? artifact.version.trim() : undefined;
    const where = `s3://${bucket}/${key}${versionId !== undefined ? ` version ${versionId}` : ''}`;
    let answer;
    try {
      answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId !== undefined ? { VersionId: versionId } : {}) }));
    } catch (error) {
      return failed(error as SdkError);
    }
    if (answer.ContentLength !== undefined && answer.ContentLength > maxBytes) {
      // Not read: the connection is let go.
      (answer.Body as { destroy?: () => void } | undefined)?.destroy?.();
      return { ok: false, reason: 'failed', message: `artifact ${artifactLabel(artifact)}: ${where} holds ${answer.ContentLength} bytes, more than ${maxBytes}; keep artifacts under that size` };
    }
    const text = (await answer.Body?.transformToString('utf8')) ?? '';
    return { ok: true, text };

    function failed(error: SdkError): ArtifactContentResult {
      const code = error.Code ?? (error.name !== undefined && error.name !== 'Error' ? error.name : undefined) ?? error.code ?? 'Error';
      const status = error.$metadata?.httpStatusCode;
      const what = `artifact ${artifactLabel(artifact)}`;
      if (code === 'NoSuchKey' || (code === 'NotFound' && status === 404)) return { ok: false, reason: 'not-found', message: `${what}: S3 has no object ${key} in bucket ${bucket} (NoSuchKey); check the reference, or upload the object` };
      if (code === 'NoSuchBucket') return { ok: false, reason: 'not-found', message: `${what}: S3 bucket ${bucket} does not exist (NoSuchBucket); check the reference's bucket` };
      if (code === 'NoSuchVersion' || (code === 'InvalidArgument' && versionId !== undefined)) {
        return { ok: false, reason: 'not-found', message: `${what}: S3 has no version ${versionId} of ${key} in bucket ${bucket} (${code}); check the artifact's version (an S3 VersionId), or leave it empty for the current object` };
      }
      if (code === 'AccessDenied' || status === 403) {
        // A refused AssumeRole carries its own fix (adapters/aws/assumed-role.ts).
        if ((error.message ?? '').startsWith('assuming ')) return { ok: false, reason: 'failed', message: `${what}: ${error.message}` };
        const grant = versionId !== undefined ? 's3:GetObjectVersion' : 's3:GetObject';
        return { ok: false, reason: 'failed', message: `${what}: S3 refused ${grant} on ${where} to ${identity} (AccessDenied); grant ${grant} on arn:aws:s3:::${bucket}/${key} to it, in its policy and the bucket's` };
      }
      if (THROTTLED.has(code) || (status !== undefined && status >= 500) || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT') {
        return { ok: false, reason: 'unavailable', message: `${what}: S3 did not answer for ${where} (${code}${status !== undefined ? ` ${status}` : ''}) after ${options.maxAttempts ?? 3} attempts; try again later` };
      }
      if (code === 'CredentialsProviderError') {
        return { ok: false, reason: 'failed', message: `${what}: no AWS credentials to read ${where} with (${error.message ?? code}); configure the default credential chain (AWS_PROFILE, environment), or give artifact account '${options.name}' an assumeRole` };
      }
      return { ok: false, reason: 'failed', message: `${what}: S3 answered ${code}${status !== undefined ? ` ${status}` : ''} for ${where}: ${error.message ?? ''}; check the reference and artifact account '${options.name}'` };
    }
  };

  return {
    types: [S3_OBJECT],
    fetch: (artifact) => read(artifact),
    close: () => {
      client.destroy();
      sts?.destroy();
    },
  };
}
