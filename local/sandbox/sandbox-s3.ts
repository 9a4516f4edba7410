/**
 * S3 in `--sandbox`: every `s3/object` artifact a run reads, whichever artifact account it names
 * (CodeBuild's `s3`, or any other), is read from the AWS simulator's S3 by the real s3 artifact
 * account (adapters/artifacts/s3-artifact-account.ts), as it would be from AWS. The sandbox cannot
 * invent a file's content, so the objects are the ones given on the command line
 * (`--s3-object s3://bucket/key=./local/file`); any other key answers S3's NoSuchKey in one line
 * naming the flag.
 */
import { readFile } from 'node:fs/promises';
import type { S3ArtifactAccount } from '../../adapters/artifacts/s3-artifact-account.ts';
import { artifactLabel, type ArtifactContentResult, type ArtifactToFetch } from '../../core/ports/artifact-content.ts';
import type { AwsSimulator } from '../../sandbox/aws/server.ts';

/** The flag that gives the sandbox an S3 object. */
export const S3_OBJECT_FLAG = '--s3-object';

/** One object for the simulated S3. */
export interface SandboxS3Object {
  readonly bucket: string;
  readonly key: string;
  readonly content: Buffer;
  /** Where it came from, for the report. */
  readonly source: string;
}

/** What was put, in the shape of the sandbox's report (aws-sandbox.ts `SeededResource`). */
export interface SeededS3Object {
  readonly kind: string;
  readonly id: string;
  readonly detail: string;
}

export interface SandboxS3 {
  /** Puts objects in the simulated S3 (their buckets made as needed); answers what it put. */
  put(objects: readonly SandboxS3Object[]): Promise<SeededS3Object[]>;
  /** Reads an `s3/object` artifact from the simulated S3. */
  fetch(artifact: ArtifactToFetch): Promise<ArtifactContentResult>;
  close(): void;
}

const OBJECT_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;

/**
 * `s3://bucket/key=path`: the object's URI and the local file that is its content; the first `=`
 * after the key ends it (keys with `=` cannot be given). Throws one line naming the flag.
 */
export function parseS3ObjectFlag(value: string): { readonly bucket: string; readonly key: string; readonly path: string } {
  const at = value.indexOf('=');
  const uri = at < 0 ? value : value.slice(0, at);
  const path = at < 0 ? '' : value.slice(at + 1);
  const match = OBJECT_URI.exec(uri);
  if (!match || path === '') {
    throw new Error(`${S3_OBJECT_FLAG} takes s3://<bucket>/<key>=<local file>, got '${value}' (e.g. ${S3_OBJECT_FLAG} s3://acme-builds/app/deployment.yaml=./deployment.yaml)`);
  }
  return { bucket: match[1]!, key: match[2]!, path };
}

/** The objects of `--s3-object` values, their files read; throws one line naming the value or the file that cannot be used. */
export async function readS3ObjectFlags(values: readonly string[]): Promise<SandboxS3Object[]> {
  const objects: SandboxS3Object[] = [];
  for (const value of values) {
    const parsed = parseS3ObjectFlag(value);
    try {
      objects.push({ bucket: parsed.bucket, key: parsed.key, content: await readFile(parsed.path), source: parsed.path });
    } catch (error) {
      throw new Error(`${S3_OBJECT_FLAG} s3://${parsed.bucket}/${parsed.key}: cannot read '${parsed.path}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give the local file holding the object's content`);
    }
  }
  return objects;
}

/** The simulated S3 on the AWS simulator `simulator()` starts (on first need). */
export function createSandboxS3(simulator: () => Promise<AwsSimulator>): SandboxS3 {
  let reader: Promise<S3ArtifactAccount> | undefined;
  const account = (sim: AwsSimulator) =>
    (reader ??= import('../../adapters/artifacts/s3-artifact-account.ts').then(({ createS3ArtifactAccount }) =>
      createS3ArtifactAccount({ name: 's3', endpoint: sim.endpoint, credentials: { accessKeyId: 'SANDBOX', secretAccessKey: 'sandbox' }, clock: { now: () => sim.now() }, maxAttempts: 2 }),
    ));
  return {
    async put(objects) {
      if (objects.length === 0) return [];
      const sim = await simulator();
      return objects.map((object) => {
        const { etag } = sim.seed.s3.object({ bucket: object.bucket, key: object.key, base64: object.content.toString('base64') });
        return { kind: 's3 object', id: `s3://${object.bucket}/${object.key}`, detail: `${object.content.length} bytes from ${object.source}, ETag ${etag}` };
      });
    },
    async fetch(artifact) {
      const sim = await simulator();
      const bucket = OBJECT_URI.exec(artifact.reference.trim())?.[1];
      // A bucket is there for any reference, so a missing object is S3's NoSuchKey.
      if (bucket !== undefined) sim.seed.s3.bucket({ name: bucket });
      const read = await (await account(sim)).fetch(artifact);
      if (read.ok || read.reason !== 'not-found') return read;
      return { ok: false, reason: 'not-found', message: `artifact ${artifactLabel(artifact)}: the sandbox's S3 has no such object (NoSuchKey); give its content with ${S3_OBJECT_FLAG} ${artifact.reference.trim()}=<local file>` };
    },
    close() {
      void reader?.then((made) => made.close());
    },
  };
}
