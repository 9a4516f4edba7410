/**
 * The accounts file of local mode (`<data directory>/accounts.json`) and the account list of the
 * AWS functions (the `ACCOUNTS` environment variable, from the CDK context `accounts`), parsed
 * into accounts and one issue per problem (a JSON pointer, the bad value, the fix). Pure.
 *
 * The file:
 * ```json
 * { "accounts": [
 *     { "name": "staging", "cloudProvider": "local", "environment": "staging" },
 *     { "name": "prod", "cloudProvider": "aws", "regions": ["us-east-1"],
 *       "assumeRole": "arn:aws:iam::123456789012:role/gennaker-deploy" } ] }
 * ```
 */
import { pointerJoin, showValue, type ValidationIssue } from '../issues.ts';
import type { Account } from '../ports/accounts.ts';
import { BUILT_IN_LOCAL_ACCOUNT } from './registry.ts';

/** Clouds an account may name (Spinnaker's provider names; Lambda is `aws`). */
export const CLOUD_PROVIDERS = ['local', 'aws', 'ecs', 'gce', 'kubernetes'] as const;

/** The fields an account entry may have. */
const ACCOUNT_FIELDS = ['name', 'cloudProvider', 'accountType', 'environment', 'regions', 'accountId', 'assumeRole'] as const;

/** What an account name may be: it appears in URLs (`/credentials/{account}`) and keys. */
export const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

/** The accounts, or (when `issues` has any) none. */
export interface ParsedAccounts {
  readonly accounts: readonly Account[];
  readonly issues: readonly ValidationIssue[];
}

function issue(pointer: string, message: string, value?: unknown): ValidationIssue {
  return { pointer, code: 'invalid-value', message, severity: 'error', ...(value !== undefined ? { value } : {}) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalText(entry: Record<string, unknown>, key: string, at: string, issues: ValidationIssue[]): string | undefined {
  const value = entry[key];
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  issues.push(issue(pointerJoin(at, key), `${key} is ${showValue(value)}; give it as a non-empty string, or leave it out`, value));
  return undefined;
}

/** Names taken by accounts every runtime of this kind has. */
export interface ParseAccountsOptions {
  /** @default ['local']: local mode's built-in account */
  readonly builtIn?: readonly string[];
}

/** Parses the accounts file's JSON (already read as a value). The built-in `local` account is not in the result. */
export function parseAccountsFile(input: unknown, options: ParseAccountsOptions = {}): ParsedAccounts {
  if (!isObject(input) || !Array.isArray(input['accounts'])) {
    return { accounts: [], issues: [issue('/accounts', `expected { "accounts": [ { "name": ..., "cloudProvider": ... } ] }, got ${showValue(input)}`, input)] };
  }
  const issues: ValidationIssue[] = [];
  const accounts: Account[] = [];
  const builtIn = new Set(options.builtIn ?? [BUILT_IN_LOCAL_ACCOUNT.name]);
  const seen = new Set<string>(builtIn);
  for (const [index, entry] of input['accounts'].entries()) {
    const at = pointerJoin('/accounts', index);
    if (!isObject(entry)) {
      issues.push(issue(at, `expected an account object { "name": ..., "cloudProvider": ... }, got ${showValue(entry)}`, entry));
      continue;
    }
    const before = issues.length;
    for (const key of Object.keys(entry)) {
      if (!(ACCOUNT_FIELDS as readonly string[]).includes(key)) issues.push(issue(pointerJoin(at, key), `unknown field '${key}'; an account has ${ACCOUNT_FIELDS.join(', ')}`));
    }
    const name = entry['name'];
    if (typeof name !== 'string' || !ACCOUNT_NAME.test(name)) {
      issues.push(issue(pointerJoin(at, 'name'), `name is ${showValue(name)}; use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, e.g. "staging"`, name));
    } else if (seen.has(name)) {
      issues.push(issue(pointerJoin(at, 'name'), builtIn.has(name) ? `the account '${name}' is built in; give this account another name` : `account '${name}' is listed twice; keep one`, name));
    } else {
      seen.add(name);
    }
    const cloudProvider = entry['cloudProvider'];
    if (typeof cloudProvider !== 'string' || !(CLOUD_PROVIDERS as readonly string[]).includes(cloudProvider)) {
      issues.push(issue(pointerJoin(at, 'cloudProvider'), `cloudProvider is ${showValue(cloudProvider)}; use one of ${CLOUD_PROVIDERS.join(', ')}`, cloudProvider));
    }
    const regions = entry['regions'];
    if (regions !== undefined && !(Array.isArray(regions) && regions.length > 0 && regions.every((region) => typeof region === 'string' && region.trim() !== ''))) {
      issues.push(issue(pointerJoin(at, 'regions'), `regions is ${showValue(regions)}; give a list of region names, e.g. ["us-east-1"]`, regions));
    } else if (regions === undefined && cloudProvider !== 'local') {
      issues.push(issue(pointerJoin(at, 'regions'), `'regions' is required for a ${typeof cloudProvider === 'string' ? cloudProvider : 'cloud'} account; list where it may deploy, e.g. ["us-east-1"]`));
    }
    const accountType = optionalText(entry, 'accountType', at, issues);
    const environment = optionalText(entry, 'environment', at, issues);
    const accountId = optionalText(entry, 'accountId', at, issues);
    const assumeRole = optionalText(entry, 'assumeRole', at, issues);
    if (assumeRole !== undefined && !ROLE_ARN.test(assumeRole)) {
      issues.push(issue(pointerJoin(at, 'assumeRole'), `assumeRole is '${assumeRole}', not an IAM role ARN; use arn:aws:iam::<12-digit account id>:role/<role name>`, assumeRole));
    }
    if (issues.length > before) continue;
    const accountName = name as string;
    accounts.push({
      name: accountName,
      cloudProvider: cloudProvider as string,
      accountType: accountType ?? accountName,
      environment: environment ?? accountName,
      regions: regions === undefined ? ['local'] : (regions as string[]).map((region) => region.trim()),
      ...(accountId !== undefined || assumeRole !== undefined ? { accountId: accountId ?? ROLE_ARN.exec(assumeRole!)![1]! } : {}),
      ...(assumeRole !== undefined ? { assumeRole } : {}),
    });
  }
  // A file with a problem is refused whole: half a list of accounts would refuse pipelines for the wrong reason.
  return issues.length > 0 ? { accounts: [], issues } : { accounts, issues };
}

/**
 * The accounts of an AWS deployment: the CDK context's `{"<name>": "<role ARN>"}` (passed to the
 * functions as JSON), each an `aws` account in the functions' own region that acts through its role.
 */
export function parseAccountRoles(json: string, region: string): ParsedAccounts {
  let input: unknown;
  try {
    input = JSON.parse(json);
  } catch {
    return { accounts: [], issues: [issue('', `expected JSON {"<account name>": "<role ARN>"}, got ${showValue(json)}`, json)] };
  }
  if (!isObject(input)) return { accounts: [], issues: [issue('', `expected {"<account name>": "<role ARN>"}, got ${showValue(input)}`, input)] };
  return parseAccountsFile(
    { accounts: Object.entries(input).map(([name, assumeRole]) => ({ name, cloudProvider: 'aws', regions: [region], assumeRole })) },
    { builtIn: [] },
  );
}
