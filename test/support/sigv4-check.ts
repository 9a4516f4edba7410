/**
 * A check of a request's SigV4 signature as API Gateway makes it, recomputed with node:crypto
 * from known test credentials (canonical request, string to sign, derived key), independently of
 * the signing library the CLI uses. For tests that stand in for API Gateway.
 */
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A request as a test server received it. */
export interface SignedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: string | Buffer, text: string): Buffer => createHmac('sha256', key).update(text, 'utf8').digest();
/** RFC 3986 encoding, as SigV4 requires (encodeURIComponent leaves !'()* alone). */
const encode = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * What is wrong with a request's SigV4 signature, or [] when it is the one AWS would compute for
 * `keys` in `REGION` for execute-api. Per AWS's SigV4 specification: every path segment encoded
 * (again), query pairs encoded and sorted, the signed headers' trimmed values, the body's SHA-256.
 */
export function sigV4Problems(request: SignedRequest, keys: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, REGION: string): string[] {
  const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(String(request.headers.authorization));
  if (!auth) return [`Authorization is not a SigV4 header: ${request.headers.authorization}`];
  const [, accessKeyId, date, region, service, signedHeaders, signature] = auth as unknown as string[];
  const amzDate = String(request.headers['x-amz-date']);
  const problems: string[] = [];
  if (accessKeyId !== keys.accessKeyId) problems.push(`access key ${accessKeyId}`);
  if (region !== REGION) problems.push(`region ${region}`);
  if (service !== 'execute-api') problems.push(`service ${service}`);
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || !amzDate.startsWith(date!)) problems.push(`X-Amz-Date ${amzDate} for credential date ${date}`);
  if (request.headers['x-amz-security-token'] !== keys.sessionToken) problems.push(`X-Amz-Security-Token ${request.headers['x-amz-security-token']}`);
  const signed = signedHeaders!.split(';');
  for (const required of ['host', 'x-amz-date', ...(keys.sessionToken ? ['x-amz-security-token'] : [])]) if (!signed.includes(required)) problems.push(`${required} is not signed`);
  const url = new URL(request.url, 'http://placeholder');
  const canonicalUri = url.pathname.split('/').map(encode).join('/');
  const canonicalQuery = [...url.searchParams]
    .map(([key, value]) => [encode(key), encode(value)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalHeaders = signed.map((name) => `${name}:${String(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [request.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, sha256(request.body)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${keys.secretAccessKey}`, date!), region!), service!), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  if (signature !== expected) problems.push(`signature ${signature} does not match ${expected} (canonical request:\n${canonicalRequest})`);
  return problems;
}

