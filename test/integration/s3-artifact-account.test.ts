/**
 * The s3 artifact account against the AWS simulator's S3 and STS, with the real SDK clients:
 * `s3://bucket/key` read (the artifact's version as the S3 VersionId), through an assumed role
 * when the account names one, bounded in size, with each failure one line naming the artifact,
 * the bucket and key, and the fix.
 */
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createArtifactAccounts } from '../../adapters/artifacts/artifact-accounts.ts';
import { createS3ArtifactAccount, parseS3Reference, type S3ArtifactAccount, type S3ArtifactAccountSettings } from '../../adapters/artifacts/s3-artifact-account.ts';
import { startAwsSimulator, type AwsSimulator } from '../../sandbox/aws/server.ts';
import { createFetchHttpClient } from '../../adapters/http/fetch-http-client.ts';
import { createCloudArtifactAccounts } from '../../functions/artifact-accounts.ts';
import { createLocalArtifactAccounts } from '../../local/artifact-accounts.ts';

const READER = 'arn:aws:iam::123456789012:role/artifact-reader';
let sim: AwsSimulator;
const made: S3ArtifactAccount[] = [];

beforeEach(async () => {
  sim = await startAwsSimulator({ seed: 7 });
});
afterEach(async () => {
  for (const account of made.splice(0)) account.close();
  await sim.close();
});

function account(settings: Partial<S3ArtifactAccountSettings> = {}, maxBytes?: number): S3ArtifactAccount {
  const created = createS3ArtifactAccount({
    name: 'builds',
    endpoint: sim.endpoint,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'x' },
    clock: { now: () => sim.now() },
    retryStrategy: new ConfiguredRetryStrategy(3, 0),
    ...(maxBytes !== undefined ? { maxBytes } : {}),
    ...settings,
  });
  made.push(created);
  return created;
}

const s3Artifact = (reference: string, version?: string) => ({ type: 's3/object', reference, artifactAccount: 'builds', ...(version !== undefined ? { version } : {}) });

describe('s3 artifact account', () => {
  it('reads s3://bucket/key, a version by its VersionId, and a bucket of another region', async () => {
    sim.seed.s3.bucket({ name: 'acme-builds', versioning: true });
    const first = sim.seed.s3.object({ bucket: 'acme-builds', key: 'app/deployment.yaml', content: 'replicas: 1\n' });
    sim.seed.s3.object({ bucket: 'acme-builds', key: 'app/deployment.yaml', content: 'replicas: 2\n' });
    sim.seed.s3.object({ bucket: 'euro-builds', key: 'app.yaml', content: 'eu\n', region: 'eu-west-1' });
    const reader = account();
    expect(reader.types).toEqual(['s3/object']);
    expect(await reader.fetch(s3Artifact('s3://acme-builds/app/deployment.yaml'))).toEqual({ ok: true, text: 'replicas: 2\n' });
    expect(await reader.fetch(s3Artifact('s3://acme-builds/app/deployment.yaml', first.versionId))).toEqual({ ok: true, text: 'replicas: 1\n' });
    expect(await reader.fetch(s3Artifact('s3://euro-builds/app.yaml'))).toEqual({ ok: true, text: 'eu\n' });
    expect(parseS3Reference('s3://b/k/with/slashes')).toEqual({ bucket: 'b', key: 'k/with/slashes' });
  });

  it('answers a missing key, bucket or version as not-found, naming the artifact, the bucket and key, and the fix', async () => {
    sim.seed.s3.object({ bucket: 'acme-builds', key: 'present', content: 'x' });
    const reader = account();
    expect(await reader.fetch(s3Artifact('s3://acme-builds/app/missing.yaml'))).toEqual({
      ok: false,
      reason: 'not-found',
      message: 'artifact s3/object s3://acme-builds/app/missing.yaml (builds): S3 has no object app/missing.yaml in bucket acme-builds (NoSuchKey); check the reference, or upload the object',
    });
    expect(await reader.fetch(s3Artifact('s3://nobody-bucket/x'))).toMatchObject({ ok: false, reason: 'not-found', message: 'artifact s3/object s3://nobody-bucket/x (builds): S3 bucket nobody-bucket does not exist (NoSuchBucket); check the reference\'s bucket' });
    expect(await reader.fetch(s3Artifact('s3://acme-builds/present', 'v9'))).toMatchObject({ ok: false, reason: 'not-found', message: expect.stringContaining('S3 has no version v9 of present in bucket acme-builds (NoSuchVersion)') });
    expect(await reader.fetch(s3Artifact('https://acme-builds.s3.amazonaws.com/present'))).toMatchObject({ ok: false, reason: 'invalid', message: expect.stringContaining('which is not s3://<bucket>/<key>') });
  });

  it('reads as the role it assumes; a refusal names the role and the grant it lacks', async () => {
    sim.seed.sts.role({ arn: READER, externalId: 'x7' });
    sim.seed.s3.bucket({ name: 'guarded', allowedRoles: [READER] });
    sim.seed.s3.object({ bucket: 'guarded', key: 'k.yaml', content: 'ok\n' });
    expect(await account({ assumeRole: READER, externalId: 'x7' }).fetch(s3Artifact('s3://guarded/k.yaml'))).toEqual({ ok: true, text: 'ok\n' });
    expect(sim.calls({ service: 's3', action: 'GetObject' }).at(-1)!.accessKeyId).toMatch(/^ASIA/);
    expect(await account().fetch(s3Artifact('s3://guarded/k.yaml'))).toEqual({
      ok: false,
      reason: 'failed',
      message: "artifact s3/object s3://guarded/k.yaml (builds): S3 refused s3:GetObject on s3://guarded/k.yaml to the AWS identity of this machine (AccessDenied); grant s3:GetObject on arn:aws:s3:::guarded/k.yaml to it, in its policy and the bucket's",
    });
    const wrongId = await account({ assumeRole: READER, externalId: 'wrong' }).fetch(s3Artifact('s3://guarded/k.yaml'));
    expect(wrongId).toMatchObject({ ok: false, reason: 'failed', message: expect.stringContaining(`assuming ${READER} (account 'builds', session gennaker-artifacts) was refused: allow the AWS identity of this machine in its trust policy with this externalId`) });
  });

  it('retries throttling and then answers unavailable; refuses an object over the cap without reading it, and a bucket the account does not list', async () => {
    sim.seed.s3.object({ bucket: 'acme-builds', key: 'k', content: 'fine' });
    sim.inject({ service: 's3', action: 'GetObject', error: 'Throttling', times: 2 });
    expect(await account().fetch(s3Artifact('s3://acme-builds/k'))).toEqual({ ok: true, text: 'fine' });
    sim.inject({ service: 's3', action: 'GetObject', error: 'Throttling', times: 3 });
    expect(await account().fetch(s3Artifact('s3://acme-builds/k'))).toEqual({
      ok: false,
      reason: 'unavailable',
      message: 'artifact s3/object s3://acme-builds/k (builds): S3 did not answer for s3://acme-builds/k (SlowDown 503) after 3 attempts; try again later',
    });
    sim.seed.s3.object({ bucket: 'acme-builds', key: 'big', content: 'x'.repeat(2048) });
    expect(await account({}, 1024).fetch(s3Artifact('s3://acme-builds/big'))).toEqual({ ok: false, reason: 'failed', message: 'artifact s3/object s3://acme-builds/big (builds): s3://acme-builds/big holds 2048 bytes, more than 1024; keep artifacts under that size' });
    expect(await account({ buckets: ['acme-builds'] }).fetch(s3Artifact('s3://other-bucket/k'))).toMatchObject({ ok: false, reason: 'refused', message: expect.stringContaining("is in bucket other-bucket, which artifact account 'builds' does not read (its buckets: acme-builds); add other-bucket to its buckets") });
    // Through the accounts port: an artifact naming no account goes to the one reading its type.
    const port = createArtifactAccounts({ accounts: { builds: account() } });
    expect(await port.fetch({ type: 's3/object', reference: 's3://acme-builds/k' })).toEqual({ ok: true, text: 'fine' });
  });

  it("is configured from the local accounts file's artifactAccounts and from the AWS deployment's ARTIFACT_ACCOUNTS, which it reads only from the buckets listed", async () => {
    sim.seed.s3.object({ bucket: 'acme-builds', key: 'app.yaml', content: 'kind: Deployment\n' });
    const http = createFetchHttpClient({ allowlist: [] });
    const clock = { now: () => sim.now() };
    const local = createLocalArtifactAccounts([{ name: 'builds', type: 's3', endpoint: sim.endpoint }], { http, clock, s3: { credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'x' } } });
    expect(local.port.types).toEqual(['embedded/base64', 'http/file', 's3/object']);
    expect(await local.port.fetch(s3Artifact('s3://acme-builds/app.yaml'))).toEqual({ ok: true, text: 'kind: Deployment\n' });
    local.close();
    const cloud = createCloudArtifactAccounts({ json: JSON.stringify([{ name: 'builds', type: 's3', buckets: ['acme-builds'] }]), region: 'us-east-1', http, clock, sessionName: () => 'gennaker-01J', endpoint: sim.endpoint, credentials: { accessKeyId: 'AKIDCLOUD', secretAccessKey: 'x' } });
    expect(await cloud.fetch(s3Artifact('s3://acme-builds/app.yaml'))).toEqual({ ok: true, text: 'kind: Deployment\n' });
    expect(await cloud.fetch(s3Artifact('s3://elsewhere/app.yaml'))).toMatchObject({ ok: false, reason: 'refused' });
    const broken = createCloudArtifactAccounts({ json: '[{"name": "builds", "type": "s3"}]', region: 'us-east-1', http, clock, sessionName: () => 'x' });
    expect(await broken.fetch({ type: 's3/object', reference: 's3://acme-builds/app.yaml' })).toEqual({
      ok: false,
      reason: 'failed',
      message: 'the s3 artifact accounts are misconfigured: ARTIFACT_ACCOUNTS/0/buckets: buckets is missing; on AWS the stage runner may read only the buckets listed here: give them, e.g. ["acme-builds"]; fix the CDK context artifactAccounts and deploy again',
    });
  });
});
