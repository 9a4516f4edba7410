/**
 * Secrets on the cloud path, end to end and in-process: a pipeline started through the API
 * function with a secret parameter has the value sealed with the KMS key (`SECRETS_KEY_ARN`, the
 * AWS simulator's KMS, driven by the real client) before anything is stored; the stage runner
 * opens it for the stage, and `${#secret('name')}` reads `gennaker/<name>` from Secrets Manager
 * at task time. Neither value is in the table, in what the API shows, nor in the logs; a secret
 * shared with other applications only, or missing, fails the stage in one line. The cipher alone:
 * one data key for many values, one Decrypt per data key, rotation, and KMS outages as retryable errors.
 */
import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, DecryptCommand, DisableKeyCommand, EnableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKmsCipher } from '../../adapters/crypto/kms-cipher.ts';
import { signBody } from '../../adapters/crypto/signature-verifier.ts';
import { isGennakerError } from '../../core/errors.ts';
import type { KmsSim } from '../../sandbox/aws/kms.ts';
import { startAwsSimulator, type AwsSimulator } from '../../sandbox/aws/server.ts';
import { startCloud, type Cloud } from '../support/aws-cloud.ts';

const API_TOKEN = 'tok-9f8e7d6c5b4a-live';
const DB_PASSWORD = 'hunter2-from-secrets-manager';
const credentials = { accessKeyId: 'AKIDGENNAKER', secretAccessKey: 'sandbox' };

describe('secrets on AWS: KMS seals, Secrets Manager serves #secret', () => {
  let sim: AwsSimulator;
  let cloud: Cloud;
  let kms: KMSClient;
  let keyId: string;

  beforeAll(async () => {
    sim = await startAwsSimulator({ seed: 5 });
    const config = { endpoint: sim.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 };
    kms = new KMSClient(config);
    const secretsManager = new SecretsManagerClient(config);
    keyId = (await kms.send(new CreateKeyCommand({ Description: 'gennaker secret values' }))).KeyMetadata!.Arn!;
    await secretsManager.send(new CreateSecretCommand({ Name: 'gennaker/db-password', SecretString: DB_PASSWORD }));
    await secretsManager.send(new CreateSecretCommand({ Name: 'gennaker/payments-only', SecretString: 'not-for-shop', Tags: [{ Key: 'gennaker:applications', Value: 'payments' }] }));
    cloud = await startCloud({ accounts: '{}', secrets: { keyId, kms, secretsManager } });
    const saved = await cloud.call('POST', '/pipelines', {
      application: 'shop',
      name: 'release',
      parameterConfig: [{ name: 'apiToken', secret: true }],
      stages: [
        {
          refId: '1',
          requisiteStageRefIds: [],
          type: 'evaluateVariables',
          name: 'Use secrets',
          variables: [
            // Halves of each value, so the pipeline itself does not hold it.
            { key: 'tokenRight', value: `\${parameters.apiToken.startsWith('${API_TOKEN.slice(0, 8)}') && parameters.apiToken.endsWith('${API_TOKEN.slice(8)}')}` },
            { key: 'passwordRight', value: `\${#secret('db-password').startsWith('${DB_PASSWORD.slice(0, 8)}') && #secret('db-password').endsWith('${DB_PASSWORD.slice(8)}')}` },
            { key: 'password', value: "${#secret('db-password')}" },
          ],
        },
      ],
    });
    expect(saved.status).toBe(200);
    for (const [name, secret] of [['not-shared', 'payments-only'], ['missing', 'nowhere']]) {
      const other = await cloud.call('POST', '/pipelines', {
        application: 'shop',
        name,
        stages: [{ refId: '1', requisiteStageRefIds: [], type: 'evaluateVariables', failOnFailedExpressions: true, variables: [{ key: 'v', value: `\${#secret('${secret}')}` }] }],
      });
      expect(other.status).toBe(200);
    }
  });

  afterAll(async () => {
    await cloud?.close();
    await sim?.close();
  });

  async function run(pipeline: string, parameters: Record<string, string> = {}): Promise<{ id: string; shown: any }> {
    const started = await cloud.call('POST', `/pipelines/shop/${pipeline}`, { parameters });
    expect(started.status).toBe(202);
    const id = String(started.json.ref).split('/').pop()!;
    await cloud.settled();
    return { id, shown: (await cloud.call('GET', `/pipelines/${id}`)).json };
  }

  it('gives the stage both values, and stores and shows neither', async () => {
    const before = (sim.service<KmsSim>('kms')!.cryptoCalls()[keyId.split('/').pop()!] ?? 0);
    const { shown } = await run('release', { apiToken: API_TOKEN });

    // the stage saw the real values
    expect(shown.status).toBe('SUCCEEDED');
    expect(shown.stages[0].outputs).toMatchObject({ tokenRight: true, passwordRight: true, password: '******' });
    expect(shown.trigger.parameters.apiToken).toBe('******');

    // the table holds them only sealed under the KMS key
    const items = JSON.stringify((await cloud.dynalite.client.send(new ScanCommand({ TableName: cloud.dynalite.tableName }))).Items);
    expect(items).not.toContain(API_TOKEN);
    expect(items).not.toContain(DB_PASSWORD);
    expect(items).toMatch(/k1\.[A-Za-z0-9_-]{100,}/);
    expect(JSON.stringify(cloud.logs)).not.toContain(API_TOKEN);
    expect(JSON.stringify(cloud.logs)).not.toContain(DB_PASSWORD);

    // one data key per function that sealed, one Decrypt per function that opened: not one call per value and step
    const used = sim.service<KmsSim>('kms')!.cryptoCalls()[keyId.split('/').pop()!]! - before;
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(4);
  });

  it('fails the stage in one line for a secret shared with other applications, and for a missing one', async () => {
    const notShared = await run('not-shared');
    expect(notShared.shown.status).toBe('TERMINAL');
    expect(JSON.stringify(notShared.shown.stages[0].context.exception)).toContain("the secret 'gennaker/payments-only' is not shared with application 'shop' (its tag gennaker:applications names payments)");
    expect(JSON.stringify(notShared.shown)).not.toContain('not-for-shop');

    const missing = await run('missing');
    expect(missing.shown.status).toBe('TERMINAL');
    expect(JSON.stringify(missing.shown.stages[0].context.exception)).toContain("there is no secret 'gennaker/nowhere' in Secrets Manager; create it with 'aws secretsmanager create-secret --name gennaker/nowhere");
  });

  it("keeps a git trigger's secret sealed with data keys of its own purpose, and the API opens it to check a delivery", async () => {
    const saved = await cloud.call('POST', '/pipelines', {
      application: 'shop',
      name: 'on-push',
      triggers: [{ type: 'git', source: 'github', project: 'acme', slug: 'shop', branch: 'main', secret: 'gh-hook-secret-1' }],
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', waitTime: 0 }],
    });
    expect(saved.status).toBe(200);
    const items = JSON.stringify((await cloud.dynalite.client.send(new ScanCommand({ TableName: cloud.dynalite.tableName }))).Items);
    expect(items).not.toContain('gh-hook-secret-1');
    expect((await cloud.call('GET', '/applications/shop/pipelineConfigs/on-push')).json.triggers[0].secret).toBe('******');

    const payload = { ref: 'refs/heads/main', after: 'abc123', repository: { name: 'shop', owner: { login: 'acme' } } };
    const headers = { 'x-github-event': 'push', 'x-github-delivery': 'd-1', 'x-hub-signature-256': signBody('gh-hook-secret-1', JSON.stringify(payload)) };
    const delivered = await cloud.call('POST', '/webhooks/git/github', payload, { userArn: null, headers });
    expect(delivered.status, JSON.stringify(delivered.json)).toBe(200);
    expect(delivered.json.executions).toHaveLength(1);
    // the stored secret's data key opens only as a trigger secret: the context the API's kms:Decrypt is conditioned on
    const stored = await cloud.apiRuntime.store.getPipelineConfigByName('shop', 'on-push');
    const sealed = Buffer.from(String((stored!.config['triggers'] as any[])[0].secret).replace(/^\[\[gennaker-sealed:k1\.|\]\]$/g, ''), 'base64url');
    const dataKey = sealed.subarray(2, 2 + sealed.readUInt16BE(0));
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: dataKey, EncryptionContext: { 'gennaker:purpose': 'trigger-secrets' } }))).Plaintext).toHaveLength(32);
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: dataKey, EncryptionContext: { 'gennaker:purpose': 'secret-values' } }))).rejects.toThrow(expect.objectContaining({ name: 'InvalidCiphertextException' }));
    await cloud.settled();
  });

  it('refuses a start it cannot seal while the key is disabled, storing nothing, and starts again once it is enabled', async () => {
    // A fresh API runtime: no data key cached from the first test.
    const fresh = await startCloud({ accounts: '{}', secrets: { keyId, kms, secretsManager: new SecretsManagerClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials }) } });
    try {
      const saved = await fresh.call('POST', '/pipelines', { application: 'shop', name: 'sealed', parameterConfig: [{ name: 'apiToken', secret: true }], stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', waitTime: 0 }] });
      expect(saved.status).toBe(200);
      await kms.send(new DisableKeyCommand({ KeyId: keyId }));
      const refused = await fresh.call('POST', '/pipelines/shop/sealed', { parameters: { apiToken: API_TOKEN } });
      expect(refused.status, JSON.stringify(refused.json)).toBe(503);
      expect(JSON.stringify(refused.json)).toContain(`KMS GenerateDataKey with key ${keyId} failed (DisabledException`);
      expect((await fresh.call('GET', '/applications/shop/pipelines')).json.filter((execution: any) => execution.name === 'sealed')).toEqual([]);

      await kms.send(new EnableKeyCommand({ KeyId: keyId }));
      const started = await fresh.call('POST', '/pipelines/shop/sealed', { parameters: { apiToken: API_TOKEN } });
      expect(started.status).toBe(202);
      await fresh.settled();
    } finally {
      await fresh.close();
    }
  });
});

describe('the KMS cipher (envelope encryption over the simulated KMS)', () => {
  let sim: AwsSimulator;
  let kms: KMSClient;
  let keyArn: string;
  let clock = 0;
  const calls = () => sim.calls().filter((call) => call.service === 'kms').map((call) => call.action);

  beforeAll(async () => {
    sim = await startAwsSimulator({ seed: 9 });
    kms = new KMSClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    keyArn = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
  });

  afterAll(async () => {
    await sim?.close();
  });

  const cipherOf = (options: Partial<Parameters<typeof createKmsCipher>[0]> = {}) =>
    createKmsCipher({ client: kms, keyId: keyArn, random: (bytes) => randomBytes(bytes), now: () => clock, ...options });

  it('seals many values with one data key, opens them with one Decrypt per data key, and binds each to its context', async () => {
    const first = calls().length;
    const sealer = cipherOf();
    const sealed = await sealer.encrypt(['alpha', 'beta', 'gamma'], 'shop');
    expect(sealed.every((value) => /^k1\.[A-Za-z0-9_-]+$/.test(value))).toBe(true);
    expect(await sealer.encrypt(['delta'], 'shop')).toHaveLength(1);
    expect(calls().slice(first)).toEqual(['GenerateDataKey']);

    // another function (a fresh cipher) opens them with one Decrypt
    const opener = cipherOf();
    expect(await opener.decrypt(sealed, 'shop')).toEqual(['alpha', 'beta', 'gamma']);
    expect(await opener.decrypt(sealed, 'shop')).toEqual(['alpha', 'beta', 'gamma']);
    expect(calls().slice(first)).toEqual(['GenerateDataKey', 'Decrypt']);

    // another application, an altered value, a local-key value: not ours, never an exception
    const altered = `${sealed[0]!.slice(0, -2)}${sealed[0]!.endsWith('A') ? 'BB' : 'AA'}`;
    expect(await opener.decrypt([sealed[0]!, altered, 'g1.abcd1234.AAAA', 'k1.'], 'payments')).toEqual([undefined, undefined, undefined, undefined]);
    expect(await opener.decrypt([altered], 'shop')).toEqual([undefined]);
  });

  it('takes a fresh data key when the current one is old or worn out', async () => {
    const first = calls().length;
    const sealer = cipherOf({ dataKeyMaxUses: 3, dataKeyMaxAgeMs: 60_000 });
    await sealer.encrypt(['a', 'b'], 'shop');
    await sealer.encrypt(['c'], 'shop');
    await sealer.encrypt(['d'], 'shop'); // a 4th value: worn out
    clock += 61_000;
    await sealer.encrypt(['e'], 'shop'); // a minute later: too old
    expect(calls().slice(first)).toEqual(['GenerateDataKey', 'GenerateDataKey', 'GenerateDataKey']);
  });

  it('throws the retryable StoreUnavailable naming the key when KMS does not answer, never an unsealed value', async () => {
    sim.inject({ service: 'kms', action: 'GenerateDataKey', times: 1, error: 'Throttling' });
    const error = await cipherOf().encrypt(['x'], 'shop').then(() => undefined, (caught: unknown) => caught);
    expect(isGennakerError(error, 'Gennaker.StoreUnavailable')).toBe(true);
    expect((error as Error).message).toContain(`KMS GenerateDataKey with key ${keyArn} failed (ThrottlingException`);
    const sealed = await cipherOf().encrypt(['x'], 'shop');
    sim.inject({ service: 'kms', action: 'Decrypt', times: 1, error: 'Throttling' });
    await expect(cipherOf().decrypt(sealed, 'shop')).rejects.toThrow(/KMS Decrypt with key .* failed \(ThrottlingException/);
  });
});
