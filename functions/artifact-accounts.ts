/**
 * The stage runner's artifact accounts on AWS, loaded on the first artifact read (its cold start
 * never carries them): the built-in `http` account (http/file through the webhook allowlist) and
 * the s3 accounts of `ARTIFACT_ACCOUNTS` (the CDK context `artifactAccounts`, checked at
 * synthesis by the same parser), each reading `s3/object` from its `buckets` alone, with the
 * function's own role (granted s3:GetObject on exactly those buckets) or the role it assumes. The
 * S3 client loads on an s3 account's first read, from a module of its own.
 */
import { createArtifactAccounts, onDemandArtifactAccount, type ArtifactAccount } from '../adapters/artifacts/artifact-accounts.ts';
import { createHttpArtifactAccount } from '../adapters/artifacts/http-artifact-account.ts';
import { parseArtifactAccounts } from '../core/accounts/artifact-accounts-file.ts';
import { formatIssue } from '../core/issues.ts';
import type { ArtifactContentPort } from '../core/ports/artifact-content.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { HttpClient } from '../core/ports/http-client.ts';
import type { AwsCredentialIdentity } from '@smithy/types';

export interface CloudArtifactAccountsOptions {
  /** `ARTIFACT_ACCOUNTS`: the JSON list of artifact accounts; absent: none besides `http`. */
  readonly json: string | undefined;
  /** The function's Region, where an account without `region` starts. */
  readonly region: string;
  readonly http: HttpClient;
  readonly clock: Clock;
  /** The session name of an assumed role's calls (`gennaker-<execution id>`). */
  readonly sessionName: () => string;
  /** Where S3 and STS answer (tests: the AWS simulator, with its `credentials`). @default AWS's, with the function's role */
  readonly endpoint?: string;
  readonly credentials?: AwsCredentialIdentity;
}

/** The artifact accounts of the stage runner; a broken `ARTIFACT_ACCOUNTS` fails s3 reads with its problems. */
export function createCloudArtifactAccounts(options: CloudArtifactAccountsOptions): ArtifactContentPort {
  let input: unknown = [];
  const problems: string[] = [];
  if (options.json !== undefined && options.json.trim() !== '') {
    try {
      input = JSON.parse(options.json);
    } catch {
      problems.push(`ARTIFACT_ACCOUNTS is not JSON: ${options.json.slice(0, 80)}`);
    }
  }
  const parsed = parseArtifactAccounts(input, { aws: options.endpoint === undefined, at: '' });
  problems.push(...parsed.issues.map((issue) => `ARTIFACT_ACCOUNTS${formatIssue(issue)}`));
  const accounts: Record<string, ArtifactAccount> = { http: createHttpArtifactAccount({ http: options.http }) };
  if (problems.length > 0) {
    // The same answer for every s3 read until the deployment's context is fixed.
    accounts['s3'] = { types: ['s3/object'], fetch: async () => ({ ok: false, reason: 'failed', message: `the s3 artifact accounts are misconfigured: ${problems.join('; ')}; fix the CDK context artifactAccounts and deploy again` }) };
  }
  for (const config of parsed.accounts) {
    accounts[config.name] = onDemandArtifactAccount(['s3/object'], async () => {
      const { createS3ArtifactAccount } = await import('../adapters/artifacts/s3-artifact-account.ts');
      const { type: _type, ...settings } = config;
      return createS3ArtifactAccount({
        ...settings,
        region: config.region ?? options.region,
        ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
        ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
        clock: options.clock,
        sessionName: options.sessionName,
        caller: "the stage runner's role",
      });
    });
  }
  return createArtifactAccounts({ accounts });
}
