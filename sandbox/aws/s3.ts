/**
 * Simulated Amazon S3 (REST-XML, signing name `s3`), path-style (`/<bucket>/<key>`, the SDK with
 * `forcePathStyle: true`): buckets kept per region, objects with ETag (the MD5 in quotes),
 * Last-Modified, metadata, ranges, versioning, and S3's own errors as S3 writes them
 * (`<Error><Code>…</Code><Message>…</Message>…<RequestId>`; a HEAD answers the status alone).
 *
 * Strict as S3 is: a bucket nobody created is `NoSuchBucket`, a key nobody put `NoSuchKey`, a
 * bucket of another region answers `301 PermanentRedirect` with `x-amz-bucket-region` (what the
 * SDK's `followRegionRedirects` follows), and a bucket seeded with `allowedRoles` (a bucket
 * policy, reduced) refuses everyone else with `AccessDenied` 403. Request bodies sent in
 * `aws-chunked` encoding (a streamed upload with a trailing checksum) are decoded, and a CRC32
 * checksum sent with an object is checked and given back when a read asks for checksums.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { escapeXml, isoTime } from './query-protocol.ts';
import { hex } from './random.ts';
import type { AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** A bucket to create off the wire. */
export interface SeedBucket {
  readonly name: string;
  /** @default us-east-1 */
  readonly region?: string;
  /** Versioning on from the start. @default false */
  readonly versioning?: boolean;
  /**
   * The only roles (ARNs) whose sessions may use the bucket's objects, as a bucket policy that
   * allows them alone; other callers get AccessDenied. @default anyone
   */
  readonly allowedRoles?: readonly string[];
}

/** An object to put off the wire (its bucket is made, in `region`, when it does not exist). */
export interface SeedObject {
  readonly bucket: string;
  readonly key: string;
  /** UTF-8 text. */
  readonly content?: string;
  /** Bytes, base64 (instead of `content`). */
  readonly base64?: string;
  /** @default binary/octet-stream, S3's own default */
  readonly contentType?: string;
  /** Where its bucket is made when new. @default us-east-1 */
  readonly region?: string;
}

/** Seeding S3: buckets and objects that exist before the run. */
export interface S3Seeder {
  bucket(bucket: SeedBucket): { name: string; region: string };
  object(object: SeedObject): { etag: string; versionId?: string };
}

/** The S3 simulator plus its seeding API. */
export interface S3Sim extends AwsServiceSim {
  bindSeed(context: () => SimContext): S3Seeder;
}

interface StoredVersion {
  readonly versionId: string;
  readonly body: Buffer;
  readonly etag: string;
  readonly lastModified: number;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly crc32?: string;
  readonly deleteMarker?: true;
}

interface Bucket {
  readonly name: string;
  readonly region: string;
  readonly created: number;
  versioning?: 'Enabled' | 'Suspended';
  readonly allowedRoles?: readonly string[];
  /** Versions of each key, oldest first; the last is the current one. */
  readonly objects: Map<string, StoredVersion[]>;
}

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Readonly<Record<string, string>> = {},
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** An S3 error as S3 writes it: `<Error><Code><Message>`, what it is about, `<RequestId><HostId>`. */
export function s3Error(status: number, code: string, message: string, requestId: string, extra: Readonly<Record<string, string>> = {}, headers: Readonly<Record<string, string>> = {}): SimResponse {
  const about = Object.entries(extra)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  const body = `${XML_HEAD}<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>${about}<RequestId>${requestId}</RequestId><HostId>${Buffer.from(requestId).toString('base64')}</HostId></Error>`;
  return { status, headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId, ...headers }, body };
}

/** Bucket names S3 accepts (general purpose buckets): 3-63 of a-z 0-9 . -, starting and ending with a letter or digit, not an IP address. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_ADDRESS = /^\d+\.\d+\.\d+\.\d+$/;

/** Bucket and key of a path-style request; the key decoded (the SDK encodes each segment). */
function target(path: string): { bucket?: string; key?: string } {
  const rest = path.replace(/^\//, '');
  if (rest === '') return {};
  const slash = rest.indexOf('/');
  const bucket = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
  const key = slash < 0 ? '' : decodeURIComponent(rest.slice(slash + 1));
  return key === '' ? { bucket } : { bucket, key };
}

/** S3's operation for a path-style request. */
function operationFor(req: SimRequest): string | undefined {
  const { bucket, key } = target(req.path);
  const has = (name: string) => req.query[name] !== undefined;
  if (bucket === undefined) return req.method === 'GET' ? 'ListBuckets' : undefined;
  if (key === undefined) {
    switch (req.method) {
      case 'PUT':
        return has('versioning') ? 'PutBucketVersioning' : has('policy') || has('acl') || has('tagging') || has('cors') ? undefined : 'CreateBucket';
      case 'HEAD':
        return 'HeadBucket';
      case 'DELETE':
        return has('policy') || has('tagging') || has('cors') ? undefined : 'DeleteBucket';
      case 'GET':
        if (has('location')) return 'GetBucketLocation';
        if (has('versioning')) return 'GetBucketVersioning';
        if (req.query['list-type'] === '2') return 'ListObjectsV2';
        return Object.keys(req.query).some((name) => name !== 'x-id') ? undefined : 'ListObjects';
      default:
        return undefined;
    }
  }
  if (has('uploads') || has('uploadId') || has('tagging') || has('acl') || has('attributes') || has('retention') || has('legal-hold')) return undefined;
  switch (req.method) {
    case 'PUT':
      return req.headers['x-amz-copy-source'] !== undefined ? 'CopyObject' : 'PutObject';
    case 'GET':
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return 'DeleteObject';
    default:
      return undefined;
  }
}

/** The body of a PutObject, decoded from `aws-chunked` when sent so, with its trailing headers. */
function payload(req: SimRequest): { body: Buffer; trailers: Record<string, string> } {
  const streamed = (req.headers['content-encoding'] ?? '').split(',').some((part) => part.trim() === 'aws-chunked') || (req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
  if (!streamed) return { body: req.body, trailers: {} };
  const chunks: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let at = 0;
  const line = (): string => {
    const end = req.body.indexOf('\r\n', at);
    if (end < 0) throw new S3Error(400, 'IncompleteBody', 'The request body terminated unexpectedly');
    const text = req.body.subarray(at, end).toString('latin1');
    at = end + 2;
    return text;
  };
  for (;;) {
    const header = line();
    // `<hex size>[;chunk-signature=…]`
    const size = parseInt(header.split(';')[0]!, 16);
    if (!Number.isFinite(size) || size < 0) throw new S3Error(400, 'InvalidChunkSizeError', 'Only the last chunk is allowed to have a size less than 8192 bytes');
    if (size === 0) break;
    if (at + size > req.body.length) throw new S3Error(400, 'IncompleteBody', 'The request body terminated unexpectedly');
    chunks.push(req.body.subarray(at, at + size));
    at += size;
    line();
  }
  while (at < req.body.length) {
    const text = line();
    if (text === '') break;
    const colon = text.indexOf(':');
    if (colon > 0) trailers[text.slice(0, colon).trim().toLowerCase()] = text.slice(colon + 1).trim();
  }
  return { body: Buffer.concat(chunks), trailers };
}

/** A CRC32 as S3 writes it: the four bytes, big-endian, in base64. */
function crc32Of(body: Buffer): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc32(body) >>> 0);
  return bytes.toString('base64');
}

/** The `bytes=` range of a GET, resolved against the object's size; undefined when absent; throws InvalidRange when it cannot be satisfied. */
function rangeOf(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // A range S3 cannot parse (several ranges, other units) is ignored: the whole object comes back.
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || end < start) throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable', { RangeRequested: header.trim(), ActualObjectSize: String(size) });
  return { start, end };
}

/** A continuation token: the last key listed, opaque as S3's. */
const tokenOf = (key: string) => Buffer.from(`sim1:${key}`, 'utf8').toString('base64');
function keyOfToken(token: string): string {
  const text = Buffer.from(token, 'base64').toString('utf8');
  if (!text.startsWith('sim1:')) throw new S3Error(400, 'InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token', ArgumentValue: token });
  return text.slice('sim1:'.length);
}

/** Creates the S3 simulator. */
export function createS3Sim(): S3Sim {
  const buckets = new Map<string, Bucket>();

  const newVersionId = (ctx: SimContext) => hex(ctx.random, 32);

  const createBucket = (ctx: SimContext, seed: SeedBucket): Bucket => {
    if (!BUCKET_NAME.test(seed.name) || IP_ADDRESS.test(seed.name) || seed.name.includes('..')) throw new S3Error(400, 'InvalidBucketName', 'The specified bucket is not valid.', { BucketName: seed.name });
    const bucket: Bucket = {
      name: seed.name,
      region: seed.region ?? 'us-east-1',
      created: ctx.now(),
      ...(seed.versioning ? { versioning: 'Enabled' as const } : {}),
      ...(seed.allowedRoles !== undefined ? { allowedRoles: [...seed.allowedRoles] } : {}),
      objects: new Map(),
    };
    buckets.set(bucket.name, bucket);
    ctx.event('bucket.created', { bucket: bucket.name, region: bucket.region });
    return bucket;
  };

  const putVersion = (ctx: SimContext, bucket: Bucket, key: string, body: Buffer, fields: { contentType?: string; metadata?: Record<string, string>; crc32?: string }): StoredVersion => {
    const version: StoredVersion = {
      // An unversioned bucket (or one with versioning suspended) keeps one version, `null`.
      versionId: bucket.versioning === 'Enabled' ? newVersionId(ctx) : 'null',
      body,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      lastModified: Math.floor(ctx.now() / 1000) * 1000,
      contentType: fields.contentType ?? 'binary/octet-stream',
      metadata: fields.metadata ?? {},
      ...(fields.crc32 !== undefined ? { crc32: fields.crc32 } : {}),
    };
    const versions = bucket.objects.get(key) ?? [];
    const kept = bucket.versioning === 'Enabled' ? versions : versions.filter((existing) => existing.versionId !== 'null');
    bucket.objects.set(key, [...kept, version]);
    ctx.event('object.put', { bucket: bucket.name, key, size: body.length, etag: version.etag, versionId: version.versionId });
    return version;
  };

  const bucketNamed = (name: string): Bucket => {
    const bucket = buckets.get(name);
    if (!bucket) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: name });
    return bucket;
  };

  /** The bucket, served here only in its own region; and only to the roles it allows. */
  const reachable = (req: SimRequest, ctx: SimContext, name: string, objects: boolean): Bucket => {
    const bucket = bucketNamed(name);
    if (bucket.region !== req.region) {
      throw new S3Error(
        301,
        'PermanentRedirect',
        'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
        { Endpoint: `${bucket.name}.s3.${bucket.region}.amazonaws.com`, Bucket: bucket.name },
        { 'x-amz-bucket-region': bucket.region },
      );
    }
    if (objects && bucket.allowedRoles !== undefined) {
      const accessKeyId = /Credential=([^/,\s]+)\//.exec(req.headers['authorization'] ?? '')?.[1];
      const role = ctx.service<AwsServiceSim & { roleOf?(accessKeyId: string | undefined): string | undefined }>('sts')?.roleOf?.(accessKeyId);
      if (role === undefined || !bucket.allowedRoles.includes(role)) throw new S3Error(403, 'AccessDenied', 'Access Denied');
    }
    return bucket;
  };

  const current = (bucket: Bucket, key: string, versionId: string | undefined): StoredVersion => {
    const versions = bucket.objects.get(key) ?? [];
    if (versionId !== undefined) {
      if (versionId !== 'null' && !/^[A-Za-z0-9._-]{1,1024}$/.test(versionId)) throw new S3Error(400, 'InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: versionId });
      const version = versions.find((candidate) => candidate.versionId === versionId);
      if (!version) throw new S3Error(404, 'NoSuchVersion', 'The specified version does not exist.', { Key: key, VersionId: versionId });
      if (version.deleteMarker) throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: 'GET', ResourceType: 'DeleteMarker' }, { 'x-amz-delete-marker': 'true' });
      return version;
    }
    const latest = versions[versions.length - 1];
    if (!latest) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
    if (latest.deleteMarker) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key }, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': latest.versionId });
    return latest;
  };

  const objectHeaders = (bucket: Bucket, version: StoredVersion, req: SimRequest): Record<string, string> => ({
    'content-type': version.contentType,
    etag: version.etag,
    'last-modified': new Date(version.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
    ...(bucket.versioning !== undefined ? { 'x-amz-version-id': version.versionId } : {}),
    ...(version.crc32 !== undefined && (req.headers['x-amz-checksum-mode'] ?? '').toUpperCase() === 'ENABLED' ? { 'x-amz-checksum-crc32': version.crc32, 'x-amz-checksum-type': 'FULL_OBJECT' } : {}),
    ...Object.fromEntries(Object.entries(version.metadata).map(([name, value]) => [`x-amz-meta-${name}`, value])),
  });

  const xml = (status: number, body: string, headers: Record<string, string> = {}): SimResponse => ({ status, headers: { 'content-type': 'application/xml', ...headers }, body: `${XML_HEAD}${body}` });

  const listObjectsV2 = (req: SimRequest, bucket: Bucket): SimResponse => {
    const prefix = req.query['prefix'] ?? '';
    const delimiter = req.query['delimiter'];
    const maxKeysText = req.query['max-keys'];
    const maxKeys = maxKeysText === undefined ? 1000 : Number(maxKeysText);
    if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new S3Error(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys', ArgumentValue: maxKeysText ?? '' });
    const continuation = req.query['continuation-token'];
    const startAfter = req.query['start-after'];
    const after = continuation !== undefined ? keyOfToken(continuation) : startAfter;
    const urlEncoded = req.query['encoding-type'] === 'url';
    const encode = (text: string) => (urlEncoded ? encodeURIComponent(text).replace(/%2F/g, '/') : text);
    const keys = [...bucket.objects.entries()]
      .filter(([key, versions]) => key.startsWith(prefix) && versions.length > 0 && !versions[versions.length - 1]!.deleteMarker)
      .map(([key]) => key)
      .sort();
    // Keys and common prefixes, in order, each counting once towards max-keys.
    const entries: { key?: string; prefix?: string; last: string }[] = [];
    for (const key of keys) {
      if (after !== undefined && key <= after) continue;
      const rest = key.slice(prefix.length);
      const cut = delimiter !== undefined && delimiter !== '' ? rest.indexOf(delimiter) : -1;
      if (cut >= 0) {
        const common = prefix + rest.slice(0, cut + delimiter!.length);
        const previous = entries[entries.length - 1];
        if (previous?.prefix === common) previous.last = key;
        else entries.push({ prefix: common, last: key });
      } else {
        entries.push({ key, last: key });
      }
    }
    const page = entries.slice(0, maxKeys);
    const truncated = entries.length > page.length;
    const contents = page
      .filter((entry) => entry.key !== undefined)
      .map((entry) => {
        const version = bucket.objects.get(entry.key!)!.at(-1)!;
        return `<Contents><Key>${escapeXml(encode(entry.key!))}</Key><LastModified>${isoTime(version.lastModified)}</LastModified><ETag>${escapeXml(version.etag)}</ETag>${version.crc32 !== undefined ? '<ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>' : ''}<Size>${version.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const prefixes = page
      .filter((entry) => entry.prefix !== undefined)
      .map((entry) => `<CommonPrefixes><Prefix>${escapeXml(encode(entry.prefix!))}</Prefix></CommonPrefixes>`)
      .join('');
    const body =
      `<ListBucketResult xmlns="${XMLNS}"><Name>${escapeXml(bucket.name)}</Name><Prefix>${escapeXml(encode(prefix))}</Prefix>` +
      (delimiter !== undefined ? `<Delimiter>${escapeXml(encode(delimiter))}</Delimiter>` : '') +
      `<MaxKeys>${maxKeys}</MaxKeys>` +
      (urlEncoded ? '<EncodingType>url</EncodingType>' : '') +
      `<KeyCount>${page.length}</KeyCount>` +
      (continuation !== undefined ? `<ContinuationToken>${escapeXml(continuation)}</ContinuationToken>` : '') +
      (truncated ? `<NextContinuationToken>${escapeXml(tokenOf(page[page.length - 1]!.last))}</NextContinuationToken>` : '') +
      (startAfter !== undefined ? `<StartAfter>${escapeXml(encode(startAfter))}</StartAfter>` : '') +
      `<IsTruncated>${truncated}</IsTruncated>${contents}${prefixes}</ListBucketResult>`;
    return xml(200, body);
  };

  const handle = (req: SimRequest, ctx: SimContext): SimResponse => {
    const operation = operationFor(req)!;
    const { bucket: name, key } = target(req.path);
    switch (operation) {
      case 'ListBuckets': {
        const list = [...buckets.values()]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((bucket) => `<Bucket><Name>${escapeXml(bucket.name)}</Name><CreationDate>${isoTime(bucket.created)}</CreationDate><BucketRegion>${bucket.region}</BucketRegion></Bucket>`)
          .join('');
        return xml(200, `<ListAllMyBucketsResult xmlns="${XMLNS}"><Owner><ID>${createHash('sha256').update(ctx.accountId).digest('hex')}</ID><DisplayName>sandbox</DisplayName></Owner><Buckets>${list}</Buckets></ListAllMyBucketsResult>`);
      }
      case 'CreateBucket': {
        const constraint = /<LocationConstraint>([^<]*)<\/LocationConstraint>/.exec(req.body.toString('utf8'))?.[1];
        if (constraint === 'us-east-1') throw new S3Error(400, 'InvalidLocationConstraint', 'The specified location-constraint is not valid', { LocationConstraint: constraint });
        const region = constraint !== undefined && constraint !== '' ? constraint : 'us-east-1';
        // A regional endpoint takes only its own region (us-east-1, S3's legacy global endpoint, takes any).
        if (req.region !== 'us-east-1' && region !== req.region) {
          throw new S3Error(400, 'IllegalLocationConstraintException', constraint === undefined ? 'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.' : `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`);
        }
        const existing = buckets.get(name!);
        if (existing) {
          // us-east-1 answers 200 to its owner again, as S3 keeps for compatibility.
          if (existing.region === 'us-east-1' && region === 'us-east-1') return { status: 200, headers: { location: `/${existing.name}` }, body: '' };
          throw new S3Error(409, 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: existing.name });
        }
        createBucket(ctx, { name: name!, region });
        return { status: 200, headers: { location: `/${name}` }, body: '' };
      }
      case 'HeadBucket': {
        const bucket = reachable(req, ctx, name!, false);
        return { status: 200, headers: { 'x-amz-bucket-region': bucket.region, 'x-amz-access-point-alias': 'false' }, body: '' };
      }
      case 'DeleteBucket': {
        const bucket = reachable(req, ctx, name!, false);
        if ([...bucket.objects.values()].some((versions) => versions.length > 0)) throw new S3Error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', { BucketName: bucket.name });
        buckets.delete(bucket.name);
        ctx.event('bucket.deleted', { bucket: bucket.name });
        return { status: 204, headers: {}, body: '' };
      }
      case 'GetBucketLocation': {
        // Answered from any region: it is how a client finds a bucket's.
        const bucket = bucketNamed(name!);
        return xml(200, `<LocationConstraint xmlns="${XMLNS}">${bucket.region === 'us-east-1' ? '' : bucket.region}</LocationConstraint>`);
      }
      case 'GetBucketVersioning': {
        const bucket = reachable(req, ctx, name!, false);
        return xml(200, `<VersioningConfiguration xmlns="${XMLNS}">${bucket.versioning !== undefined ? `<Status>${bucket.versioning}</Status>` : ''}</VersioningConfiguration>`);
      }
      case 'PutBucketVersioning': {
        const bucket = reachable(req, ctx, name!, false);
        const status = /<Status>([^<]*)<\/Status>/.exec(req.body.toString('utf8'))?.[1];
        if (status !== 'Enabled' && status !== 'Suspended') throw new S3Error(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
        bucket.versioning = status;
        ctx.event('bucket.versioning', { bucket: bucket.name, status });
        return { status: 200, headers: {}, body: '' };
      }
      case 'ListObjectsV2':
        return listObjectsV2(req, reachable(req, ctx, name!, true));
      case 'PutObject': {
        const bucket = reachable(req, ctx, name!, true);
        const { body, trailers } = payload(req);
        const md5 = req.headers['content-md5'];
        if (md5 !== undefined && md5 !== createHash('md5').update(body).digest('base64')) throw new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.', { ExpectedDigest: md5 });
        const sent = req.headers['x-amz-checksum-crc32'] ?? trailers['x-amz-checksum-crc32'];
        const computed = crc32Of(body);
        if (sent !== undefined && sent !== computed) throw new S3Error(400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
        const metadata = Object.fromEntries(
          Object.entries(req.headers)
            .filter(([header]) => header.startsWith('x-amz-meta-'))
            .map(([header, value]) => [header.slice('x-amz-meta-'.length), value]),
        );
        const contentType = req.headers['content-type'];
        const version = putVersion(ctx, bucket, key!, body, { ...(contentType !== undefined ? { contentType } : {}), metadata, ...(sent !== undefined ? { crc32: computed } : {}) });
        return {
          status: 200,
          headers: {
            etag: version.etag,
            ...(bucket.versioning === 'Enabled' ? { 'x-amz-version-id': version.versionId } : {}),
            ...(version.crc32 !== undefined ? { 'x-amz-checksum-crc32': version.crc32, 'x-amz-checksum-type': 'FULL_OBJECT' } : {}),
            'x-amz-server-side-encryption': 'AES256',
          },
          body: '',
        };
      }
      case 'GetObject':
      case 'HeadObject': {
        const bucket = reachable(req, ctx, name!, true);
        const version = current(bucket, key!, req.query['versionId']);
        const headers = objectHeaders(bucket, version, req);
        const range = rangeOf(req.headers['range'], version.body.length);
        if (range === undefined) return { status: 200, headers, body: version.body };
        // A part's checksum is not the object's: none is sent with a range.
        const { 'x-amz-checksum-crc32': _crc, 'x-amz-checksum-type': _type, ...partHeaders } = headers;
        return { status: 206, headers: { ...partHeaders, 'content-range': `bytes ${range.start}-${range.end}/${version.body.length}` }, body: version.body.subarray(range.start, range.end + 1) };
      }
      case 'DeleteObject': {
        const bucket = reachable(req, ctx, name!, true);
        const versionId = req.query['versionId'];
        const versions = bucket.objects.get(key!) ?? [];
        if (versionId !== undefined) {
          const removed = versions.find((version) => version.versionId === versionId);
          bucket.objects.set(key!, versions.filter((version) => version !== removed));
          if (removed) ctx.event('object.deleted', { bucket: bucket.name, key, versionId });
          return { status: 204, headers: { 'x-amz-version-id': versionId, ...(removed?.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}) }, body: '' };
        }
        if (bucket.versioning === undefined) {
          // Deleting a key that does not exist succeeds all the same.
          if (bucket.objects.delete(key!)) ctx.event('object.deleted', { bucket: bucket.name, key });
          return { status: 204, headers: {}, body: '' };
        }
        const marker: StoredVersion = { versionId: bucket.versioning === 'Enabled' ? newVersionId(ctx) : 'null', body: Buffer.alloc(0), etag: '', lastModified: ctx.now(), contentType: '', metadata: {}, deleteMarker: true };
        bucket.objects.set(key!, [...(bucket.versioning === 'Enabled' ? versions : versions.filter((version) => version.versionId !== 'null')), marker]);
        ctx.event('object.deleted', { bucket: bucket.name, key, deleteMarker: marker.versionId });
        return { status: 204, headers: { 'x-amz-delete-marker': 'true', 'x-amz-version-id': marker.versionId }, body: '' };
      }
      default:
        throw new S3Error(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented');
    }
  };

  const seedObject = (ctx: SimContext, seed: SeedObject) => {
    if (typeof seed.key !== 'string' || seed.key === '') throw new Error(`s3 object: 'key' must be a non-empty string, got ${JSON.stringify(seed.key)}`);
    if ((seed.content === undefined) === (seed.base64 === undefined)) throw new Error(`s3 object s3://${seed.bucket}/${seed.key}: give 'content' (text) or 'base64' (bytes), one of the two`);
    const bucket = buckets.get(seed.bucket) ?? createBucket(ctx, { name: seed.bucket, ...(seed.region !== undefined ? { region: seed.region } : {}) });
    const body = seed.content !== undefined ? Buffer.from(seed.content, 'utf8') : Buffer.from(seed.base64!, 'base64');
    const version = putVersion(ctx, bucket, seed.key, body, seed.contentType !== undefined ? { contentType: seed.contentType } : {});
    return { etag: version.etag, ...(bucket.versioning === 'Enabled' ? { versionId: version.versionId } : {}) };
  };

  /** Seed errors are plain errors (a side-door 400), not S3's. */
  const seeding = <T>(run: () => T): T => {
    try {
      return run();
    } catch (error) {
      if (error instanceof S3Error) throw new Error(`${error.code}: ${error.message}`);
      throw error;
    }
  };

  const sim: S3Sim = {
    signingName: 's3',
    protocol: { kind: 'restXml' },
    operations: ['ListBuckets', 'CreateBucket', 'HeadBucket', 'DeleteBucket', 'GetBucketLocation', 'GetBucketVersioning', 'PutBucketVersioning', 'ListObjectsV2', 'PutObject', 'GetObject', 'HeadObject', 'DeleteObject'],
    operationOf: operationFor,
    handle(req, ctx) {
      try {
        return handle(req, ctx);
      } catch (error) {
        if (error instanceof S3Error) return s3Error(error.status, error.code, error.message, ctx.requestId, error.extra, error.headers);
        throw error;
      }
    },
    reconcile() {
      // Nothing in S3 changes on its own.
    },
    snapshot() {
      return {
        buckets: [...buckets.values()].map((bucket) => ({
          name: bucket.name,
          region: bucket.region,
          ...(bucket.versioning !== undefined ? { versioning: bucket.versioning } : {}),
          objects: [...bucket.objects.entries()].flatMap(([key, versions]) => {
            const latest = versions.at(-1);
            return latest && !latest.deleteMarker ? [{ key, size: latest.body.length, etag: latest.etag, versions: versions.length }] : [];
          }),
        })),
      };
    },
    control(command, input, ctx) {
      if (command === 'bucket') return sim.bindSeed(() => ctx).bucket(input as unknown as SeedBucket);
      if (command === 'object') return sim.bindSeed(() => ctx).object(input as unknown as SeedObject);
      throw new Error(`s3 has no side-door command '${command}' (have: bucket, object)`);
    },
    bindSeed(context) {
      return {
        bucket: (seed) =>
          seeding(() => {
            const existing = buckets.get(seed.name);
            if (existing) return { name: existing.name, region: existing.region };
            const bucket = createBucket(context(), seed);
            return { name: bucket.name, region: bucket.region };
          }),
        object: (seed) => seeding(() => seedObject(context(), seed)),
      };
    },
  };
  return sim;
}
