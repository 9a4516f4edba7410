/**
 * The SecretStore port (core/ports/secret-store.ts) on AWS Secrets Manager: `${#secret('name')}`
 * reads the secret `<prefix><name>` (prefix `gennaker/` by default, the only secrets the stage
 * runner's role may read) when a stage runs; the value is never stored (the stage runner
 * redacts it by value from everything the stage writes).
 *
 * A secret may be shared with some applications only, as a local secret can: the tag
 * `gennaker:applications` (comma-separated names) on the secret; without the tag every
 * application's pipelines may read it. So each read is `DescribeSecret` (tags; a secret pending
 * deletion) then `GetSecretValue` (the current version's `SecretString`).
 *
 * Every failure is one line naming the secret, the reason and the fix; the SDK retries
 * throttling itself, and what still fails after that fails the lookup (the stage fails with the
 * line, as a missing local secret does).
 */
import { DescribeSecretCommand, GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretLookup, SecretStore } from '../../core/ports/secret-store.ts';

/** The tag naming the applications whose pipelines may read a secret. */
export const APPLICATIONS_TAG = 'gennaker:applications';

export interface SecretsManagerStoreOptions {
  /** A Secrets Manager client in the Region the secrets live in (only `send` is used). */
  readonly client: Pick<SecretsManagerClient, 'send'>;
  /** Prepended to every name: the part of Secrets Manager Gennaker reads. @default 'gennaker/' */
  readonly prefix?: string;
}

function describeError(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}

/** Creates the store. */
export function createSecretsManagerStore(options: SecretsManagerStoreOptions): SecretStore {
  const prefix = options.prefix ?? 'gennaker/';

  const failure = (name: string, id: string, error: unknown): SecretLookup => {
    const { name: code, message } = describeError(error);
    const base = `#secret('${name}'): `;
    switch (code) {
      case 'ResourceNotFoundException':
        return { ok: false, message: `${base}there is no secret '${id}' in Secrets Manager; create it with 'aws secretsmanager create-secret --name ${id} --secret-string <value>'` };
      case 'InvalidRequestException':
        return { ok: false, message: `${base}the secret '${id}' cannot be read (${message}); restore it with 'aws secretsmanager restore-secret --secret-id ${id}' or create it again` };
      case 'AccessDeniedException':
        return { ok: false, message: `${base}this function may not read '${id}' (${message}); secrets Gennaker reads must be named '${prefix}*' and, when encrypted with a customer managed key, that key must allow kms:Decrypt to the stage runner` };
      case 'DecryptionFailure':
        return { ok: false, message: `${base}Secrets Manager could not decrypt '${id}' (${message}); let the stage runner's role use the secret's KMS key` };
      default:
        return { ok: false, message: `${base}reading '${id}' from Secrets Manager failed (${code}: ${message}); the stage can be restarted once Secrets Manager answers` };
    }
  };

  return {
    async read(name, application): Promise<SecretLookup> {
      const id = `${prefix}${name}`;
      let tags;
      try {
        tags = (await options.client.send(new DescribeSecretCommand({ SecretId: id }))).Tags ?? [];
      } catch (error) {
        return failure(name, id, error);
      }
      const shared = tags.find((tag) => tag.Key === APPLICATIONS_TAG)?.Value;
      const allowed = (shared ?? '').split(',').map((app) => app.trim()).filter((app) => app !== '');
      if (allowed.length > 0 && !allowed.some((app) => app.toLowerCase() === application.toLowerCase())) {
        return { ok: false, message: `#secret('${name}'): the secret '${id}' is not shared with application '${application}' (its tag ${APPLICATIONS_TAG} names ${allowed.join(', ')}); add '${application}' to that tag` };
      }
      let value;
      try {
        value = await options.client.send(new GetSecretValueCommand({ SecretId: id }));
      } catch (error) {
        return failure(name, id, error);
      }
      if (value.SecretString === undefined) {
        return { ok: false, message: `#secret('${name}'): the secret '${id}' holds a binary value; store the value as text (SecretString)` };
      }
      return { ok: true, value: value.SecretString };
    },
  };
}
