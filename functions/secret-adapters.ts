/**
 * The cloud's secret adapters, loaded on demand (scripts/build.js ON_DEMAND_MODULES): the KMS
 * cipher that seals secret values at rest (`SECRETS_KEY_ARN`) and the Secrets Manager store that
 * `${#secret('name')}` reads. A function whose executions hold no secret never loads the KMS or
 * Secrets Manager client.
 */
import { randomBytes } from 'node:crypto';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createKmsCipher, type KmsSecretPurpose } from '../adapters/crypto/kms-cipher.ts';
import { createSecretsManagerStore } from '../adapters/secrets/secrets-manager-store.ts';
import type { SecretCipher } from '../core/ports/secret-cipher.ts';
import type { SecretStore } from '../core/ports/secret-store.ts';

/** The cipher over the KMS key `keyId` for values of `purpose`, with `client` or one in the function's Region. */
export function kmsSecretCipher(keyId: string, purpose: KmsSecretPurpose, client?: Pick<KMSClient, 'send'>): SecretCipher {
  return createKmsCipher({ client: client ?? new KMSClient({}), keyId, purpose, random: (bytes) => randomBytes(bytes) });
}

/** The named secrets `<prefix><name>` in Secrets Manager, with `client` or one in the function's Region. */
export function secretsManagerSecretStore(prefix: string, client?: Pick<SecretsManagerClient, 'send'>): SecretStore {
  return createSecretsManagerStore({ client: client ?? new SecretsManagerClient({}), prefix });
}
