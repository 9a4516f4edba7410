/**
 * EKS bearer tokens, minted as `aws eks get-token` and aws-iam-authenticator mint them: a SigV4
 * presigned `GET https://sts.<region>.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15`
 * whose signed headers include `x-k8s-aws-id: <cluster name>` (so the token is good for that
 * cluster only), valid 60 seconds (`X-Amz-Expires=60`), base64url-encoded without padding behind
 * `k8s-aws-v1.`. The API server hands the URL to STS, which answers who signed it.
 *
 * Signing is local (no call to STS); only the credentials may need one (an assumed role). A token
 * is kept and handed out until `refreshBeforeSeconds` before its 60 seconds are over, by the
 * given clock, then a new one is minted.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Checksum, SourceData } from '@smithy/types';
import type { Clock } from '../../../core/ports/clock.ts';

/** The prefix of every EKS token. */
export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** The header that binds a token to one cluster. */
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** How long a presigned URL is valid (`X-Amz-Expires`), as `aws eks get-token` signs it. */
export const TOKEN_VALIDITY_SECONDS = 60;

function bytes(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 (and HMAC-SHA-256 with a secret) over node:crypto, in the shape SigV4 takes. */
class Sha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret !== undefined ? createHmac('sha256', bytes(this.secret)) : createHash('sha256');
  }
  update(data: Uint8Array): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

/** The STS host of a region (`.amazonaws.com.cn` in China). */
export function stsHost(region: string): string {
  return `sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

export interface EksTokenRequest {
  readonly clusterName: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity;
  /** When it is signed (epoch ms). */
  readonly now: number;
}

/** One token, signed at `now`. */
export async function mintEksToken(request: EksTokenRequest): Promise<string> {
  const signer = new SignatureV4({ service: 'sts', region: request.region, credentials: request.credentials, sha256: Sha256 });
  const hostname = stsHost(request.region);
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, [CLUSTER_ID_HEADER]: request.clusterName },
    },
    { expiresIn: TOKEN_VALIDITY_SECONDS, signingDate: new Date(request.now) },
  );
  const query = Object.entries(presigned.query ?? {})
    .flatMap(([key, value]) => (Array.isArray(value) ? value.map((item) => [key, item] as const) : value === null ? [] : [[key, value] as const]))
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
  const url = `https://${hostname}/?${query}`;
  return `${EKS_TOKEN_PREFIX}${Buffer.from(url, 'utf8').toString('base64url')}`;
}

export interface EksTokenSourceOptions {
  readonly clusterName: string;
  readonly region: string;
  /** The identity the cluster maps to a Kubernetes user (an assumed role's, or the runner's own). */
  readonly credentials: AwsCredentialIdentityProvider;
  readonly clock: Clock;
  /** Mint a new token this long before the current one's 60 seconds are over. @default 10 */
  readonly refreshBeforeSeconds?: number;
}

/** Hands out the current token, minting one when there is none or it is about to expire; concurrent calls share one. */
export function createEksTokenSource(options: EksTokenSourceOptions): () => Promise<string> {
  const keepMs = (TOKEN_VALIDITY_SECONDS - (options.refreshBeforeSeconds ?? 10)) * 1000;
  let current: { readonly token: Promise<string>; readonly mintedAt: number } | undefined;
  return () => {
    const now = options.clock.now();
    if (!current || now - current.mintedAt >= keepMs) {
      const token = options.credentials().then((credentials) => mintEksToken({ clusterName: options.clusterName, region: options.region, credentials, now }));
      const minted = { token, mintedAt: now };
      // A failure is not kept: the next request mints again.
      token.catch(() => {
        if (current === minted) current = undefined;
      });
      current = minted;
    }
    return current.token;
  };
}
