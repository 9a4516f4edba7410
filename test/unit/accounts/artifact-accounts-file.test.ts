/**
 * s3 artifact accounts as configured: `artifactAccounts` in the local accounts file (read by
 * local/accounts.ts) and the CDK context of the AWS deployment, each problem one line naming the
 * field, the value and the fix.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseArtifactAccounts } from '../../../core/accounts/artifact-accounts-file.ts';
import { formatIssue } from '../../../core/issues.ts';
import { ACCOUNTS_FILE, loadAccountsFile } from '../../../local/accounts.ts';

const ROLE = 'arn:aws:iam::123456789012:role/artifact-reader';
const lines = (input: unknown, aws = false) => parseArtifactAccounts(input, { aws }).issues.map(formatIssue);

describe('artifactAccounts', () => {
  it('reads s3 accounts with their region, buckets, role and endpoint', () => {
    expect(
      parseArtifactAccounts([
        { name: 's3', type: 's3' },
        { name: 'builds', type: 's3', region: 'eu-west-1', buckets: ['acme-builds'], assumeRole: ROLE, externalId: 'x7-prod' },
        { name: 'minio', type: 's3', endpoint: 'http://127.0.0.1:9000' },
      ]),
    ).toEqual({
      accounts: [
        { name: 's3', type: 's3' },
        { name: 'builds', type: 's3', region: 'eu-west-1', buckets: ['acme-builds'], assumeRole: ROLE, externalId: 'x7-prod' },
        { name: 'minio', type: 's3', endpoint: 'http://127.0.0.1:9000' },
      ],
      issues: [],
    });
  });

  it('refuses a bad entry in one line per problem, naming the field, the value and the fix', () => {
    expect(lines([{ name: 'http', type: 's3' }])).toEqual(["/artifactAccounts/0/name: the artifact account 'http' is built in (it reads http/file); give this one another name"]);
    expect(lines([{ name: 'gh', type: 'github' }])).toEqual([`/artifactAccounts/0/type: type is 'github'; use "s3" (s3/object artifacts); http/file needs no entry, the built-in account 'http' reads it`]);
    expect(lines([{ name: 's3', type: 's3', region: 'Virginia', assumeRole: 'reader', endpoint: 'http://example.com', bucket: 'x' }])).toEqual([
      "/artifactAccounts/0/bucket: unknown field 'bucket'; an artifact account has name, type, region, buckets, assumeRole, externalId, endpoint",
      `/artifactAccounts/0/region: region is 'Virginia'; give an AWS region, e.g. "us-east-1", or leave it out`,
      `/artifactAccounts/0/assumeRole: assumeRole is 'reader'; use arn:aws:iam::<12-digit account id>:role/<role name>, or leave it out to read with the default credentials`,
      `/artifactAccounts/0/endpoint: endpoint is 'http://example.com'; give an https URL of an S3-compatible store, or http://127.0.0.1:<port> on this machine, or leave it out for AWS`,
    ]);
    expect(lines([{ name: 's3', type: 's3', buckets: ['Bad_Bucket'] }, { name: 's3', type: 's3' }])).toEqual([
      '/artifactAccounts/0/buckets: buckets is ["Bad_Bucket"]; give a list of S3 bucket names, e.g. ["acme-builds"]',
      "/artifactAccounts/1/name: artifact account 's3' is listed twice; keep one",
    ]);
  });

  it('on AWS, requires the buckets the stage runner is granted and refuses an endpoint', () => {
    expect(lines([{ name: 's3', type: 's3', endpoint: 'http://127.0.0.1:9000' }], true)).toEqual([
      "/artifactAccounts/0/endpoint: endpoint cannot serve the AWS deployment, whose functions read AWS's S3; remove it",
      '/artifactAccounts/0/buckets: buckets is missing; on AWS the stage runner may read only the buckets listed here: give them, e.g. ["acme-builds"]',
    ]);
  });
});

describe('the local accounts file', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  const withFile = async (content: unknown) => {
    const dir = await mkdtemp(join(tmpdir(), 'gennaker-artifact-accounts-'));
    dirs.push(dir);
    await writeFile(join(dir, ACCOUNTS_FILE), JSON.stringify(content));
    return dir;
  };

  it('carries its artifact accounts, with or without deploy accounts, and stops on a bad one naming the file', async () => {
    expect(await loadAccountsFile(await withFile({ artifactAccounts: [{ name: 's3', type: 's3', region: 'us-west-2' }] }))).toMatchObject({ ok: true, accounts: [], artifactAccounts: [{ name: 's3', type: 's3', region: 'us-west-2' }] });
    const dir = await withFile({ accounts: [{ name: 'staging', cloudProvider: 'local' }], artifactAccounts: [{ name: 's3', type: 'gcs' }] });
    expect(await loadAccountsFile(dir)).toEqual({ ok: false, message: `${join(dir, ACCOUNTS_FILE)}#/artifactAccounts/0/type: type is 'gcs'; use "s3" (s3/object artifacts); http/file needs no entry, the built-in account 'http' reads it` });
  });
});
