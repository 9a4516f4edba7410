/**
 * Artifact accounts an operator configures (clouddriver's artifact credentials), beside the
 * deploy accounts: locally the `artifactAccounts` list of `<data directory>/accounts.json`, on
 * AWS the CDK context `artifactAccounts` (the same list, passed to the stage runner as
 * `ARTIFACT_ACCOUNTS`). One kind is configurable, `s3`, reading `s3/object` artifacts:
 *
 * ```json
 * { "artifactAccounts": [
 *     { "name": "s3", "type": "s3", "region": "us-east-1" },
 *     { "name": "builds", "type": "s3", "region": "eu-west-1", "buckets": ["acme-builds"],
 *       "assumeRole": "arn:aws:iam::123456789012:role/artifact-reader", "externalId": "x7" },
 *     { "name": "minio", "type": "s3", "endpoint": "http://127.0.0.1:9000" } ] }
 * ```
 *
 * `buckets`, when given, are the only buckets the account reads (on AWS it is required: the stage
 * runner is granted s3:GetObject on exactly those). `http/file` needs no entry: the built-in
 * account `http` reads it through the outbound allowlist. Parsed into configs and one issue per
 * problem (a JSON pointer, the bad value, the fix). Pure.
 */
import { pointerJoin, showValue, type ValidationIssue } from '../issues.ts';
import { ACCOUNT_NAME } from './accounts-file.ts';

/** One configured s3 artifact account. */
export interface S3ArtifactAccountConfig {
  readonly name: string;
  readonly type: 's3';
  /** @default the runtime's region (us-east-1 locally) */
  readonly region?: string;
  /** The only buckets it reads. @default any (locally); required on AWS */
  readonly buckets?: readonly string[];
  readonly assumeRole?: string;
  readonly externalId?: string;
  /** An S3-compatible endpoint: https, or http on this machine. @default AWS's */
  readonly endpoint?: string;
}

/** The kinds of configurable artifact accounts. */
export const ARTIFACT_ACCOUNT_TYPES = ['s3'] as const;

/** The names no configured artifact account may take: the built-in accounts'. */
export const BUILT_IN_ARTIFACT_ACCOUNTS = ['http'] as const;

const FIELDS = ['name', 'type', 'region', 'buckets', 'assumeRole', 'externalId', 'endpoint'] as const;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
/** An S3 bucket name (general purpose buckets). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ENDPOINT = /^(https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?|http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?)\/?$/;

export interface ParsedArtifactAccounts {
  readonly accounts: readonly S3ArtifactAccountConfig[];
  readonly issues: readonly ValidationIssue[];
}

export interface ParseArtifactAccountsOptions {
  /** Where the list is, for pointers. @default '/artifactAccounts' */
  readonly at?: string;
  /** On AWS: `buckets` is required and `endpoint` refused (a function reaches AWS's S3 alone). @default false */
  readonly aws?: boolean;
}

function issue(pointer: string, message: string, value?: unknown): ValidationIssue {
  return { pointer, code: 'invalid-value', message, severity: 'error', ...(value !== undefined ? { value } : {}) };
}

/** Parses a list of artifact accounts; none when any has a problem. */
export function parseArtifactAccounts(input: unknown, options: ParseArtifactAccountsOptions = {}): ParsedArtifactAccounts {
  const base = options.at ?? '/artifactAccounts';
  if (input === undefined) return { accounts: [], issues: [] };
  if (!Array.isArray(input)) return { accounts: [], issues: [issue(base, `expected a list [{ "name": "s3", "type": "s3", ... }], got ${showValue(input)}`, input)] };
  const issues: ValidationIssue[] = [];
  const accounts: S3ArtifactAccountConfig[] = [];
  const seen = new Set<string>(BUILT_IN_ARTIFACT_ACCOUNTS);
  for (const [index, entry] of input.entries()) {
    const at = pointerJoin(base, index);
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      issues.push(issue(at, `expected an artifact account { "name": ..., "type": "s3" }, got ${showValue(entry)}`, entry));
      continue;
    }
    const before = issues.length;
    const fields = entry as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (!(FIELDS as readonly string[]).includes(key)) issues.push(issue(pointerJoin(at, key), `unknown field '${key}'; an artifact account has ${FIELDS.join(', ')}`));
    }
    const name = fields['name'];
    if (typeof name !== 'string' || !ACCOUNT_NAME.test(name)) {
      issues.push(issue(pointerJoin(at, 'name'), `name is ${showValue(name)}; use 1-64 letters, digits, '.', '_' or '-', e.g. "s3"`, name));
    } else if (seen.has(name)) {
      issues.push(issue(pointerJoin(at, 'name'), (BUILT_IN_ARTIFACT_ACCOUNTS as readonly string[]).includes(name) ? `the artifact account '${name}' is built in (it reads http/file); give this one another name` : `artifact account '${name}' is listed twice; keep one`, name));
    } else {
      seen.add(name);
    }
    const type = fields['type'];
    if (type !== 's3') issues.push(issue(pointerJoin(at, 'type'), `type is ${showValue(type)}; use "s3" (s3/object artifacts); http/file needs no entry, the built-in account 'http' reads it`, type));
    const text = (key: string, pattern: RegExp, fix: string): string | undefined => {
      const value = fields[key];
      if (value === undefined) return undefined;
      if (typeof value === 'string' && pattern.test(value.trim())) return value.trim();
      issues.push(issue(pointerJoin(at, key), `${key} is ${showValue(value)}; ${fix}`, value));
      return undefined;
    };
    const region = text('region', REGION, 'give an AWS region, e.g. "us-east-1", or leave it out');
    const assumeRole = text('assumeRole', ROLE_ARN, 'use arn:aws:iam::<12-digit account id>:role/<role name>, or leave it out to read with the default credentials');
    const externalId = text('externalId', EXTERNAL_ID, "use 2-1224 letters, digits or + = , . @ : / - _ (the ExternalId the role's trust policy requires)");
    if (fields['externalId'] !== undefined && fields['assumeRole'] === undefined) issues.push(issue(pointerJoin(at, 'externalId'), 'externalId is set but assumeRole is not; add assumeRole, or remove externalId', fields['externalId']));
    const endpoint = text('endpoint', ENDPOINT, 'give an https URL of an S3-compatible store, or http://127.0.0.1:<port> on this machine, or leave it out for AWS');
    if (options.aws && fields['endpoint'] !== undefined) issues.push(issue(pointerJoin(at, 'endpoint'), "endpoint cannot serve the AWS deployment, whose functions read AWS's S3; remove it", fields['endpoint']));
    const buckets = fields['buckets'];
    if (buckets !== undefined && !(Array.isArray(buckets) && buckets.length > 0 && buckets.every((bucket) => typeof bucket === 'string' && BUCKET.test(bucket)))) {
      issues.push(issue(pointerJoin(at, 'buckets'), `buckets is ${showValue(buckets)}; give a list of S3 bucket names, e.g. ["acme-builds"]`, buckets));
    } else if (buckets === undefined && options.aws) {
      issues.push({ pointer: pointerJoin(at, 'buckets'), code: 'required', severity: 'error', message: 'buckets is missing; on AWS the stage runner may read only the buckets listed here: give them, e.g. ["acme-builds"]' });
    }
    if (issues.length > before) continue;
    accounts.push({
      name: name as string,
      type: 's3',
      ...(region !== undefined ? { region } : {}),
      ...(buckets !== undefined ? { buckets: buckets as string[] } : {}),
      ...(assumeRole !== undefined ? { assumeRole } : {}),
      ...(externalId !== undefined ? { externalId } : {}),
      ...(endpoint !== undefined ? { endpoint } : {}),
    });
  }
  return issues.length > 0 ? { accounts: [], issues } : { accounts, issues };
}
