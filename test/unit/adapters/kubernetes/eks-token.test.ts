/**
 * EKS tokens (adapters/targets/kubernetes/eks-token.ts) as `aws eks get-token` mints them, checked
 * against a fixed clock and fixed credentials: the prefix, base64url without padding, a presigned
 * STS GetCallerIdentity URL of the region, `x-k8s-aws-id` among the signed headers, 60 seconds of
 * validity, and a signature recomputed here from SigV4's definition (not from the signer used).
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEksTokenSource, mintEksToken } from '../../../../adapters/targets/kubernetes/eks-token.ts';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const NOW = Date.UTC(2024, 0, 15, 12, 30, 45);

function decode(token: string): URL {
  expect(token.startsWith('k8s-aws-v1.')).toBe(true);
  const encoded = token.slice('k8s-aws-v1.'.length);
  expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
  return new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
}

/** RFC 3986 encoding, as SigV4's canonical query wants it. */
const encode = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);

/** SigV4 over a presigned GET, from the specification. */
function expectedSignature(url: URL, clusterName: string, secret: string, region: string): string {
  const params = [...url.searchParams.entries()].filter(([key]) => key !== 'X-Amz-Signature').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonicalQuery = params.map(([key, value]) => `${encode(key)}=${encode(value)}`).join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${url.host}\nx-k8s-aws-id:${clusterName}\n`, 'host;x-k8s-aws-id', createHash('sha256').update('').digest('hex')].join('\n');
  const date = url.searchParams.get('X-Amz-Date')!;
  const scope = `${date.slice(0, 8)}/${region}/sts/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(date.slice(0, 8)).digest();
  for (const part of [region, 'sts', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('EKS tokens', () => {
  it('is a presigned STS GetCallerIdentity URL for the cluster, as aws eks get-token makes it', async () => {
    // when
    const token = await mintEksToken({ clusterName: 'prod-cluster', region: 'eu-west-1', credentials, now: NOW });
    // then
    expect(token).not.toContain('=');
    const url = decode(token);
    expect(url.origin).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20240115/eu-west-1/sts/aws4_request',
      'X-Amz-Date': '20240115T123045Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
    });
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'prod-cluster', credentials.secretAccessKey, 'eu-west-1'));
  });

  it('carries the session token of temporary credentials, and binds the token to its cluster', async () => {
    const session = { ...credentials, sessionToken: 'FwoGZXIvYXdzEXAMPLE+/=' };
    const url = decode(await mintEksToken({ clusterName: 'prod-cluster', region: 'us-east-1', credentials: session, now: NOW }));
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(session.sessionToken);
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'prod-cluster', credentials.secretAccessKey, 'us-east-1'));
    // the same URL signed for another cluster does not verify
    expect(url.searchParams.get('X-Amz-Signature')).not.toBe(expectedSignature(url, 'other-cluster', credentials.secretAccessKey, 'us-east-1'));
  });

  it('hands out the same token until 10 seconds before its 60 seconds are over, then mints a new one', async () => {
    // given a clock the test moves
    let now = NOW;
    let asked = 0;
    const source = createEksTokenSource({
      clusterName: 'c',
      region: 'us-east-1',
      clock: { now: () => now },
      credentials: async () => {
        asked += 1;
        return credentials;
      },
    });
    // when
    const first = await source();
    now += 49_999;
    const still = await source();
    now += 1;
    const renewed = await source();
    // then
    expect(still).toBe(first);
    expect(renewed).not.toBe(first);
    expect(decode(renewed).searchParams.get('X-Amz-Date')).toBe('20240115T123135Z');
    expect(asked).toBe(2);
  });

  it('mints again after a failure to get credentials instead of keeping the failure', async () => {
    let fail = true;
    const source = createEksTokenSource({
      clusterName: 'c',
      region: 'us-east-1',
      clock: { now: () => NOW },
      credentials: async () => {
        if (fail) throw new Error('no credentials');
        return credentials;
      },
    });
    await expect(source()).rejects.toThrow('no credentials');
    fail = false;
    expect(decode(await source()).host).toBe('sts.us-east-1.amazonaws.com');
  });
});
