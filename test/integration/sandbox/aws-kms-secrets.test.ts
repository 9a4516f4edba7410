/**
 * The simulated KMS and Secrets Manager, driven by the real @aws-sdk/client-kms and
 * @aws-sdk/client-secrets-manager over HTTP: what callers rely on (a blob names its key, the
 * encryption context is bound, disabled keys refuse, staging labels move, deletion windows pass
 * on the simulator's clock) and the errors they branch on, by name.
 */
import { CreateAliasCommand, CreateKeyCommand, DecryptCommand, DescribeKeyCommand, DisableKeyCommand, EncryptCommand, EnableKeyCommand, GenerateDataKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAwsSimulator, type AwsSimulator } from '../../../sandbox/aws/server.ts';
import { credentials } from './aws-world.ts';

const DAY = 86_400_000;
let sim: AwsSimulator;
let kms: KMSClient;
let secrets: SecretsManagerClient;

beforeEach(async () => {
  sim = await startAwsSimulator({ seed: 3 });
  const config = { endpoint: sim.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 };
  kms = new KMSClient(config);
  secrets = new SecretsManagerClient(config);
});

afterEach(async () => {
  await sim.close();
});

/** The error an SDK call rejects with: its name and message. */
async function failure(call: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await call;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('the call succeeded');
}

describe('simulated KMS', () => {
  it('encrypts and decrypts by key id, ARN and alias; the blob names its key; the context is bound', async () => {
    const key = (await kms.send(new CreateKeyCommand({ Description: 'values' }))).KeyMetadata!;
    expect(key).toMatchObject({ KeyState: 'Enabled', Enabled: true, KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Arn: `arn:aws:kms:us-east-1:123456789012:key/${key.KeyId}` });
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/gennaker', TargetKeyId: key.KeyId }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/gennaker' }))).KeyMetadata!.KeyId).toBe(key.KeyId);

    const sealed = await kms.send(new EncryptCommand({ KeyId: 'alias/gennaker', Plaintext: Buffer.from('s3cret'), EncryptionContext: { app: 'shop', kind: 'param' } }));
    expect(sealed.KeyId).toBe(key.Arn);
    expect(Buffer.from(sealed.CiphertextBlob!).includes(Buffer.from('s3cret'))).toBe(false);

    // no KeyId needed; the context's order does not matter
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { kind: 'param', app: 'shop' } }));
    expect(Buffer.from(opened.Plaintext!).toString()).toBe('s3cret');
    expect(opened.KeyId).toBe(key.Arn);

    expect(await failure(kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { app: 'other', kind: 'param' } })))).toMatchObject({ name: 'InvalidCiphertextException' });
    expect(await failure(kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob })))).toMatchObject({ name: 'InvalidCiphertextException' });
    const altered = Buffer.from(sealed.CiphertextBlob!);
    altered[altered.length - 1] = altered.at(-1)! ^ 1;
    expect(await failure(kms.send(new DecryptCommand({ CiphertextBlob: altered, EncryptionContext: { app: 'shop', kind: 'param' } })))).toMatchObject({ name: 'InvalidCiphertextException' });

    const other = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    expect(await failure(kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, KeyId: other.KeyId, EncryptionContext: { app: 'shop', kind: 'param' } })))).toMatchObject({ name: 'IncorrectKeyException' });
    expect(await failure(kms.send(new EncryptCommand({ KeyId: 'alias/missing', Plaintext: Buffer.from('x') })))).toMatchObject({ name: 'NotFoundException', message: 'Alias arn:aws:kms:us-east-1:123456789012:alias/missing is not found.' });
    expect(await failure(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.alloc(4097) })))).toMatchObject({ name: 'ValidationException' });
  });

  it('makes data keys, refuses while disabled, and forgets a key once its deletion window passes', async () => {
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const data = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256', EncryptionContext: { purpose: 'p' } }));
    expect(data.Plaintext).toHaveLength(32);
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: data.CiphertextBlob, EncryptionContext: { purpose: 'p' } }));
    expect(Buffer.from(opened.Plaintext!).equals(Buffer.from(data.Plaintext!))).toBe(true);
    expect(await failure(kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId })))).toMatchObject({ name: 'ValidationException', message: 'Please specify either number of bytes or key spec.' });

    await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    expect(await failure(kms.send(new DecryptCommand({ CiphertextBlob: data.CiphertextBlob, EncryptionContext: { purpose: 'p' } })))).toMatchObject({ name: 'DisabledException', message: `${key.Arn} is disabled.` });
    await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: data.CiphertextBlob, EncryptionContext: { purpose: 'p' } }))).Plaintext).toHaveLength(32);

    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    expect(await failure(kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256' })))).toMatchObject({ name: 'KMSInvalidStateException' });
    sim.tick(7 * DAY);
    expect(await failure(kms.send(new DescribeKeyCommand({ KeyId: key.KeyId })))).toMatchObject({ name: 'NotFoundException' });
  });
});

describe('simulated Secrets Manager', () => {
  it('reads by name, ARN and partial ARN; moves AWSCURRENT and AWSPREVIOUS; repeats a request token idempotently', async () => {
    const created = await secrets.send(new CreateSecretCommand({ Name: 'gennaker/db', SecretString: 'one', ClientRequestToken: 'a'.repeat(32), Tags: [{ Key: 'gennaker:applications', Value: 'shop' }] }));
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:gennaker\/db-[A-Za-z0-9]{6}$/);
    // the same token and value: the same secret and version, not a second one
    expect(await secrets.send(new CreateSecretCommand({ Name: 'gennaker/db', SecretString: 'one', ClientRequestToken: 'a'.repeat(32) }))).toMatchObject({ ARN: created.ARN, VersionId: created.VersionId });
    expect(await failure(secrets.send(new CreateSecretCommand({ Name: 'gennaker/db', SecretString: 'two' })))).toMatchObject({ name: 'ResourceExistsException' });

    for (const id of ['gennaker/db', created.ARN!, created.ARN!.slice(0, -7)]) {
      expect((await secrets.send(new GetSecretValueCommand({ SecretId: id }))).SecretString).toBe('one');
    }
    const put = await secrets.send(new PutSecretValueCommand({ SecretId: 'gennaker/db', SecretString: 'two' }));
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: 'gennaker/db' }))).SecretString).toBe('two');
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: 'gennaker/db', VersionStage: 'AWSPREVIOUS' }))).SecretString).toBe('one');
    const described = await secrets.send(new DescribeSecretCommand({ SecretId: 'gennaker/db' }));
    expect(described.Tags).toEqual([{ Key: 'gennaker:applications', Value: 'shop' }]);
    expect(described.VersionIdsToStages).toEqual({ [created.VersionId!]: ['AWSPREVIOUS'], [put.VersionId!]: ['AWSCURRENT'] });
    expect((await secrets.send(new ListSecretsCommand({}))).SecretList!.map((secret) => secret.Name)).toEqual(['gennaker/db']);
    expect(JSON.stringify(sim.snapshot())).not.toContain('two');

    expect(await failure(secrets.send(new GetSecretValueCommand({ SecretId: 'gennaker/none' })))).toMatchObject({ name: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
  });

  it('refuses reads of a secret scheduled for deletion, restores it, and forgets it after the window', async () => {
    await secrets.send(new CreateSecretCommand({ Name: 'gennaker/old', SecretString: 'v' }));
    const deleted = await secrets.send(new DeleteSecretCommand({ SecretId: 'gennaker/old', RecoveryWindowInDays: 7 }));
    expect(deleted.DeletionDate!.getTime()).toBe(sim.now() + 7 * DAY);
    expect(await failure(secrets.send(new GetSecretValueCommand({ SecretId: 'gennaker/old' })))).toMatchObject({ name: 'InvalidRequestException' });
    expect((await secrets.send(new DescribeSecretCommand({ SecretId: 'gennaker/old' }))).DeletedDate).toBeDefined();
    await secrets.send(new RestoreSecretCommand({ SecretId: 'gennaker/old' }));
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: 'gennaker/old' }))).SecretString).toBe('v');

    await secrets.send(new DeleteSecretCommand({ SecretId: 'gennaker/old', RecoveryWindowInDays: 7 }));
    sim.tick(7 * DAY);
    expect(await failure(secrets.send(new DescribeSecretCommand({ SecretId: 'gennaker/old' })))).toMatchObject({ name: 'ResourceNotFoundException' });
    await secrets.send(new CreateSecretCommand({ Name: 'gennaker/gone', SecretString: 'v' }));
    await secrets.send(new DeleteSecretCommand({ SecretId: 'gennaker/gone', ForceDeleteWithoutRecovery: true }));
    expect(await failure(secrets.send(new GetSecretValueCommand({ SecretId: 'gennaker/gone' })))).toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
