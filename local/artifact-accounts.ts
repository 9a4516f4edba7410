/**
 * Local mode's artifact accounts: the built-in `http` account (http/file through the outbound
 * allowlist) and the s3 accounts of the accounts file's `artifactAccounts`, each reading
 * `s3/object` with this machine's AWS identity (the SDK's default chain: environment, profile,
 * SSO, instance role...) or the session of the role it names. The S3 client loads on an s3
 * account's first read, so a run that reads no S3 object never loads it.
 */
import { createArtifactAccounts, onDemandArtifactAccount, type ArtifactAccount } from '../adapters/artifacts/artifact-accounts.ts';
import { createHttpArtifactAccount } from '../adapters/artifacts/http-artifact-account.ts';
import type { S3ArtifactAccount, S3ArtifactAccountOptions } from '../adapters/artifacts/s3-artifact-account.ts';
import type { S3ArtifactAccountConfig } from '../core/accounts/artifact-accounts-file.ts';
import type { ArtifactContentPort } from '../core/ports/artifact-content.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { HttpClient } from '../core/ports/http-client.ts';

/** The artifact type s3 accounts read (adapters/artifacts/s3-artifact-account.ts `S3_OBJECT`, named here so the S3 client stays unloaded). */
const S3_OBJECT = 's3/object';

/** The port over the accounts, and how to release the clients it made. */
export interface LocalArtifactAccounts {
  readonly port: ArtifactContentPort;
  close(): void;
}

/** Extra options of every s3 account (tests and the sandbox: credentials, retries). */
export type S3AccountExtras = Partial<Pick<S3ArtifactAccountOptions, 'credentials' | 'retryStrategy' | 'maxAttempts' | 'sessionName'>>;

/** An s3 account of a config, its client made on its first read. */
export function onDemandS3Account(config: S3ArtifactAccountConfig, clock: Clock, extras: S3AccountExtras = {}, made: S3ArtifactAccount[] = []): ArtifactAccount {
  return onDemandArtifactAccount([S3_OBJECT], async () => {
    const { createS3ArtifactAccount } = await import('../adapters/artifacts/s3-artifact-account.ts');
    const { type: _type, ...settings } = config;
    const account = createS3ArtifactAccount({ ...settings, clock, ...extras });
    made.push(account);
    return account;
  });
}

/** The built-in `http` account and the configured s3 accounts. */
export function createLocalArtifactAccounts(configs: readonly S3ArtifactAccountConfig[], options: { readonly http: HttpClient; readonly clock: Clock; readonly s3?: S3AccountExtras }): LocalArtifactAccounts {
  const made: S3ArtifactAccount[] = [];
  const accounts: Record<string, ArtifactAccount> = { http: createHttpArtifactAccount({ http: options.http }) };
  for (const config of configs) accounts[config.name] = onDemandS3Account(config, options.clock, options.s3, made);
  return {
    port: createArtifactAccounts({ accounts }),
    close: () => {
      for (const account of made.splice(0)) account.close();
    },
  };
}
