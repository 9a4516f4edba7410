/**
 * The simulated S3, driven by the real @aws-sdk/client-s3 (path-style): buckets per region,
 * objects with ETag and Last-Modified, ranges, paged listings, versioning, and S3's own errors as
 * the SDK parses them (NoSuchBucket, NoSuchKey with its XML body, AccessDenied, PermanentRedirect).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAwsSimulator, type AwsSimulator } from '../../../sandbox/aws/server.ts';
import { credentials, holes } from './aws-world.ts';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

let sim: AwsSimulator;
const clients: S3Client[] = [];
const s3 = (config: Partial<S3ClientConfig> = {}) => {
  const client = new S3Client({ endpoint: sim.endpoint, region: 'us-east-1', credentials, forcePathStyle: true, maxAttempts: 2, retryStrategy: new ConfiguredRetryStrategy(2, 0), ...config });
  clients.push(client);
  return client;
};

beforeEach(async () => {
  sim = await startAwsSimulator({ seed: 3, startTime: Date.UTC(2026, 0, 1, 12) });
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await sim.close();
});

/** The error as the SDK gives it. */
async function failure(call: Promise<unknown>): Promise<{ name: string; status?: number; message: string; code?: string }> {
  try {
    await call;
  } catch (error) {
    const e = error as { name: string; message: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, ...(e.$metadata?.httpStatusCode !== undefined ? { status: e.$metadata.httpStatusCode } : {}), ...(e.Code !== undefined ? { code: e.Code } : {}) };
  }
  throw new Error('expected the call to fail, it succeeded');
}

// What S3 answers, as the SDK parses it (values matter only where they are not undefined).
const CAPTURED_PUT = { ETag: '"x"', ChecksumCRC32: 'x', ServerSideEncryption: 'AES256', $metadata: { httpStatusCode: 200, requestId: 'x' } };
const CAPTURED_GET = { ETag: '"x"', LastModified: new Date(), ContentLength: 1, ContentType: 'x', AcceptRanges: 'bytes', Metadata: {}, Body: {} };
const CAPTURED_LIST = {
  Name: 'x',
  Prefix: 'x',
  MaxKeys: 1,
  KeyCount: 1,
  IsTruncated: true,
  NextContinuationToken: 'x',
  Contents: [{ Key: 'x', LastModified: new Date(), ETag: '"x"', Size: 1, StorageClass: 'STANDARD' }],
};

describe('simulated S3', () => {
  it('stores an object and reads it back whole, by range and by HEAD, with its MD5 ETag, Last-Modified and metadata', async () => {
    const client = s3();
    await client.send(new CreateBucketCommand({ Bucket: 'acme-builds' }));
    expect((await client.send(new HeadBucketCommand({ Bucket: 'acme-builds' }))).BucketRegion).toBe('us-east-1');
    const put = await client.send(new PutObjectCommand({ Bucket: 'acme-builds', Key: 'app/manifest v1.yaml', Body: 'kind: Deployment\n', ContentType: 'text/yaml', Metadata: { build: '42' } }));
    // MD5 of the body, in quotes.
    expect(put.ETag).toBe(`"${md5('kind: Deployment\n')}"`);
    expect(holes(put, CAPTURED_PUT)).toEqual([]);

    const got = await client.send(new GetObjectCommand({ Bucket: 'acme-builds', Key: 'app/manifest v1.yaml' }));
    expect(holes(got, CAPTURED_GET)).toEqual([]);
    expect(await got.Body!.transformToString()).toBe('kind: Deployment\n');
    expect(got).toMatchObject({ ETag: put.ETag, ContentType: 'text/yaml', ContentLength: 17, Metadata: { build: '42' }, LastModified: new Date(Date.UTC(2026, 0, 1, 12)) });

    const part = await client.send(new GetObjectCommand({ Bucket: 'acme-builds', Key: 'app/manifest v1.yaml', Range: 'bytes=6-15' }));
    expect(await part.Body!.transformToString()).toBe('Deployment');
    expect(part).toMatchObject({ ContentRange: 'bytes 6-15/17', ContentLength: 10, $metadata: { httpStatusCode: 206 } });

    const head = await client.send(new HeadObjectCommand({ Bucket: 'acme-builds', Key: 'app/manifest v1.yaml' }));
    expect(head).toMatchObject({ ETag: put.ETag, ContentLength: 17, ContentType: 'text/yaml' });

    // A streamed upload comes in aws-chunked encoding with a trailing CRC32, decoded and checked.
    const streamed = await client.send(new PutObjectCommand({ Bucket: 'acme-builds', Key: 'app/streamed.txt', Body: Readable.from([Buffer.from('streamed ')]), ContentLength: 9 }));
    expect(streamed.ETag).toBe(`"${md5('streamed ')}"`);
    expect(await (await client.send(new GetObjectCommand({ Bucket: 'acme-builds', Key: 'app/streamed.txt' }))).Body!.transformToString()).toBe('streamed ');
  });

  it('lists keys by prefix in pages of max-keys, with common prefixes for a delimiter', async () => {
    const client = s3();
    for (const key of ['a/1', 'a/2', 'a/3', 'a/sub/4', 'b/5']) sim.seed.s3.object({ bucket: 'listing', key, content: key });
    const first = await client.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'a/', MaxKeys: 2 }));
    expect(holes(first, CAPTURED_LIST)).toEqual([]);
    expect(first.Contents!.map((item) => item.Key)).toEqual(['a/1', 'a/2']);
    expect(first).toMatchObject({ IsTruncated: true, KeyCount: 2, MaxKeys: 2 });
    const second = await client.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'a/', MaxKeys: 2, ContinuationToken: first.NextContinuationToken! }));
    expect(second.Contents!.map((item) => item.Key)).toEqual(['a/3', 'a/sub/4']);
    expect(second).toMatchObject({ IsTruncated: false, ContinuationToken: first.NextContinuationToken });
    const shallow = await client.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
    expect(shallow.CommonPrefixes).toEqual([{ Prefix: 'a/' }, { Prefix: 'b/' }]);
    expect(shallow.Contents).toBeUndefined();
  });

  it("answers S3's errors: NoSuchBucket, NoSuchKey (with its XML), InvalidRange, and a bucket of another region as 301 PermanentRedirect, which the SDK can follow", async () => {
    const client = s3();
    expect(await failure(client.send(new GetObjectCommand({ Bucket: 'nobody', Key: 'k' })))).toMatchObject({ name: 'NoSuchBucket', status: 404, message: 'The specified bucket does not exist' });
    sim.seed.s3.bucket({ name: 'empty' });
    expect(await failure(client.send(new GetObjectCommand({ Bucket: 'empty', Key: 'missing.yaml' })))).toMatchObject({ name: 'NoSuchKey', status: 404, message: 'The specified key does not exist.' });
    expect((await fetch(`${sim.endpoint}/empty/missing.yaml`, { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x' } }).then((r) => r.text()))).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist\.<\/Message><Key>missing\.yaml<\/Key><RequestId>[^<]+<\/RequestId><HostId>[^<]+<\/HostId><\/Error>$/,
    );
    expect(await failure(client.send(new HeadObjectCommand({ Bucket: 'empty', Key: 'missing.yaml' })))).toMatchObject({ name: 'NotFound', status: 404 });
    sim.seed.s3.object({ bucket: 'empty', key: 'small', content: 'abc' });
    expect(await failure(client.send(new GetObjectCommand({ Bucket: 'empty', Key: 'small', Range: 'bytes=10-20' })))).toMatchObject({ name: 'InvalidRange', status: 416 });

    await s3({ region: 'eu-west-1' }).send(new CreateBucketCommand({ Bucket: 'euro', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    sim.seed.s3.object({ bucket: 'euro', key: 'k', content: 'bonjour' });
    expect(await failure(client.send(new GetObjectCommand({ Bucket: 'euro', Key: 'k' })))).toMatchObject({ name: 'PermanentRedirect', status: 301 });
    const followed = await s3({ followRegionRedirects: true }).send(new GetObjectCommand({ Bucket: 'euro', Key: 'k' }));
    expect(await followed.Body!.transformToString()).toBe('bonjour');
    expect(await failure(s3({ region: 'eu-west-1' }).send(new CreateBucketCommand({ Bucket: 'elsewhere', CreateBucketConfiguration: { LocationConstraint: 'ap-south-1' } })))).toMatchObject({ name: 'IllegalLocationConstraintException', status: 400 });
    expect(await failure(client.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).toMatchObject({ name: 'InvalidBucketName', status: 400 });
  });

  it('refuses the objects of a bucket that allows other roles with AccessDenied, and serves the role it allows', async () => {
    const reader = 'arn:aws:iam::123456789012:role/artifact-reader';
    sim.seed.sts.role({ arn: reader });
    sim.seed.sts.role({ arn: 'arn:aws:iam::123456789012:role/other' });
    sim.seed.s3.bucket({ name: 'guarded', allowedRoles: [reader] });
    sim.seed.s3.object({ bucket: 'guarded', key: 'k', content: 'secret' });
    const sts = new STSClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials });
    const session = async (arn: string) => {
      const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'test' }));
      return { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! };
    };
    expect(await failure(s3({ credentials: await session('arn:aws:iam::123456789012:role/other') }).send(new GetObjectCommand({ Bucket: 'guarded', Key: 'k' })))).toMatchObject({ name: 'AccessDenied', status: 403, message: 'Access Denied' });
    expect(await failure(s3().send(new GetObjectCommand({ Bucket: 'guarded', Key: 'k' })))).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(await (await s3({ credentials: await session(reader) }).send(new GetObjectCommand({ Bucket: 'guarded', Key: 'k' }))).Body!.transformToString()).toBe('secret');
    sts.destroy();
  });

  it('keeps versions when versioning is on: each put a VersionId, reads by version, and a delete marker hides the key', async () => {
    const client = s3();
    await client.send(new CreateBucketCommand({ Bucket: 'versioned' }));
    await client.send(new PutBucketVersioningCommand({ Bucket: 'versioned', VersioningConfiguration: { Status: 'Enabled' } }));
    const v1 = await client.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'k', Body: 'one' }));
    const v2 = await client.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'k', Body: 'two' }));
    expect(v1.VersionId).toMatch(/^[0-9a-f]{32}$/);
    expect(v2.VersionId).not.toBe(v1.VersionId);
    expect(await (await client.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'k' }))).Body!.transformToString()).toBe('two');
    const old = await client.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'k', VersionId: v1.VersionId! }));
    expect(old.VersionId).toBe(v1.VersionId);
    expect(await old.Body!.transformToString()).toBe('one');
    expect(await failure(client.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'k', VersionId: 'nope' })))).toMatchObject({ name: 'NoSuchVersion', status: 404 });
    const deleted = await client.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: 'k' }));
    expect(deleted.DeleteMarker).toBe(true);
    expect(await failure(client.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'k' })))).toMatchObject({ name: 'NoSuchKey', status: 404 });
    expect(await (await client.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'k', VersionId: v2.VersionId! }))).Body!.transformToString()).toBe('two');
  });

  it('throttles as S3 does (503 SlowDown, retried by the SDK), and seeds objects through the side door', async () => {
    const seeded = (await (await fetch(`${sim.endpoint}/__sandbox/s3/object`, { method: 'POST', body: JSON.stringify({ bucket: 'door', key: 'x.json', content: '{}' }) })).json()) as { etag: string };
    expect(seeded.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const refused = await fetch(`${sim.endpoint}/__sandbox/s3/object`, { method: 'POST', body: JSON.stringify({ bucket: 'door', key: 'y' }) });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: "s3 object s3://door/y: give 'content' (text) or 'base64' (bytes), one of the two" });
    sim.inject({ service: 's3', action: 'GetObject', error: 'Throttling' });
    const got = await s3().send(new GetObjectCommand({ Bucket: 'door', Key: 'x.json' }));
    expect(await got.Body!.transformToString()).toBe('{}');
    expect(sim.calls({ service: 's3', action: 'GetObject' }).map((call) => [call.status, call.errorCode])).toEqual([
      [503, 'SlowDown'],
      [200, undefined],
    ]);
    expect(sim.snapshot().services['s3']).toEqual({ buckets: [{ name: 'door', region: 'us-east-1', objects: [{ key: 'x.json', size: 2, etag: seeded.etag, versions: 1 }] }] });
  });
});
