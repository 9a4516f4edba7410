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
 *       "assumeRole": "arn:aws:iam::123456789012:role/gennaker-deploy", "externalId": "gennaker-prod" },
 *     { "name": "k8s-prod", "cloudProvider": "kubernetes", "kubeconfigFile": "~/.kube/config",
 *       "context": "prod", "namespaces": ["web", "jobs"] },
 *     { "name": "gce-prod", "cloudProvider": "gce", "project": "my-project", "regions": ["us-central1"],
 *       "jsonPath": "~/.gce/prod-key.json", "imageProjects": ["ubuntu-os-cloud"] } ] }
 * ```
 *
 * The AWS account map (CDK context `accounts`, env `ACCOUNTS`): a role ARN, or the same fields
 * clouddriver's AWS accounts have, or an EKS cluster:
 * ```json
 * { "prod": "arn:aws:iam::123456789012:role/gennaker-deploy",
 *   "ecs-prod": { "assumeRole": "arn:aws:iam::123456789012:role/gennaker-deploy", "externalId": "x7-prod",
 *                 "regions": ["us-west-2"], "cloudProvider": "ecs" },
 *   "prod-eks": { "cloudProvider": "kubernetes", "assumeRole": "arn:aws:iam::123456789012:role/gennaker-deployer",
 *                 "eks": { "clusterName": "prod", "region": "us-east-1" }, "kubeconfig": "<endpoint and CA>", "namespaces": ["web"] } }
 * ```
 */
import { pointerJoin, showValue, type ValidationIssue } from '../issues.ts';
import type { Account, GceAccountSettings } from '../ports/accounts.ts';
import { BUILT_IN_LOCAL_ACCOUNT } from './registry.ts';

/** Clouds an account may name (Spinnaker's provider names; Lambda is `aws`). */
export const CLOUD_PROVIDERS = ['local', 'aws', 'ecs', 'gce', 'kubernetes'] as const;

/** The fields an account entry may have. */
const ACCOUNT_FIELDS = ['name', 'cloudProvider', 'accountType', 'environment', 'regions', 'accountId', 'assumeRole', 'externalId', 'weightedTraffic', 'executionRoleArn'] as const;

/** The clouds whose targets have a weighted mode (`weightedTraffic`). */
const WEIGHTED_PROVIDERS = ['aws', 'gce'];

/**
 * The fields only a `kubernetes` account has, carried through to the Kubernetes adapter, which
 * parses them (adapters/targets/kubernetes/config.ts); the composition root reports its issues.
 */
export const KUBERNETES_FIELDS = ['kubeconfigFile', 'kubeconfig', 'context', 'serviceAccount', 'namespaces', 'eks'] as const;

/**
 * The fields only a `gce` account has, as clouddriver's Google accounts name them: the project it
 * deploys into, the service account key file (`jsonPath`; without it, Application Default
 * Credentials), and the projects images are looked up in besides its own (`imageProjects`); and
 * `apiEndpoint`, where Compute Engine answers when not at Google's public endpoint.
 */
export const GCE_FIELDS = ['project', 'jsonPath', 'imageProjects', 'apiEndpoint'] as const;

/**
 * Where a `gce` account's Compute Engine answers, when not Google's public endpoint: an https URL
 * (a Private Service Connect endpoint), or an http URL on this machine (a simulator, which gets no
 * credentials).
 */
const GCE_ENDPOINT = /^(https:\/\/[a-z0-9.-]+(:\d{1,5})?|http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?)\/?$/;

/** A Google Cloud project id (6-30 lowercase letters, digits and hyphens; optionally domain-scoped, `example.com:my-project`). */
const GCE_PROJECT = /^(?:[a-z0-9][a-z0-9.-]{0,62}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/** What an account name may be: it appears in URLs (`/credentials/{account}`) and keys. */
export const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
/** What STS accepts as an ExternalId (AssumeRole: 2-1224 of these characters). */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** The accounts, or (when `issues` has any) none. */
export interface ParsedAccounts {
  readonly accounts: readonly Account[];
  readonly issues: readonly ValidationIssue[];
}

function issue(pointer: string, message: string, value?: unknown): ValidationIssue {
  return { pointer, code: 'invalid-value', message, severity: 'error', ...(value !== undefined ? { value } : {}) };
}

/** A role field (`assumeRole`, `readRole`) whose value is not a role ARN. */
function notRoleArn(at: string, field: string, value: string): ValidationIssue {
  return issue(pointerJoin(at, field), `${field} is '${value}', not an IAM role ARN; use arn:aws:iam::<12-digit account id>:role/<role name>`, value);
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
    const isKubernetes = entry['cloudProvider'] === 'kubernetes';
    const isGce = entry['cloudProvider'] === 'gce';
    for (const key of Object.keys(entry)) {
      if ((KUBERNETES_FIELDS as readonly string[]).includes(key)) {
        if (!isKubernetes) issues.push(issue(pointerJoin(at, key), `'${key}' is a field of kubernetes accounts only; remove it, or set cloudProvider to "kubernetes"`));
      } else if ((GCE_FIELDS as readonly string[]).includes(key)) {
        if (!isGce) issues.push(issue(pointerJoin(at, key), `'${key}' is a field of gce accounts only; remove it, or set cloudProvider to "gce"`));
      } else if (!(ACCOUNT_FIELDS as readonly string[]).includes(key)) {
        const own = isKubernetes ? KUBERNETES_FIELDS : isGce ? GCE_FIELDS : [];
        issues.push(issue(pointerJoin(at, key), `unknown field '${key}'; an account has ${[...ACCOUNT_FIELDS, ...own].join(', ')}`));
      }
    }
    const gce = isGce ? gceFields(entry, at, issues) : undefined;
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
    } else if (regions === undefined && cloudProvider !== 'local' && !isKubernetes) {
      issues.push(issue(pointerJoin(at, 'regions'), `'regions' is required for a ${typeof cloudProvider === 'string' ? cloudProvider : 'cloud'} account; list where it may deploy, e.g. ["us-east-1"]`));
    }
    const accountType = optionalText(entry, 'accountType', at, issues);
    const environment = optionalText(entry, 'environment', at, issues);
    const accountId = optionalText(entry, 'accountId', at, issues);
    const assumeRole = optionalText(entry, 'assumeRole', at, issues);
    if (assumeRole !== undefined && !ROLE_ARN.test(assumeRole)) issues.push(notRoleArn(at, 'assumeRole', assumeRole));
    const externalId = optionalText(entry, 'externalId', at, issues);
    if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
      issues.push(issue(pointerJoin(at, 'externalId'), `externalId is ${showValue(externalId)}; use 2-1224 letters, digits or the characters + = , . @ : / - _ (the ExternalId the role's trust policy requires)`, externalId));
    } else if (externalId !== undefined && assumeRole === undefined) {
      issues.push(issue(pointerJoin(at, 'externalId'), `externalId is set but assumeRole is not; an external id only guards assuming a role: add assumeRole, or remove externalId`, externalId));
    }
    const weightedTraffic = entry['weightedTraffic'];
    if (weightedTraffic !== undefined && typeof weightedTraffic !== 'boolean') {
      issues.push(issue(pointerJoin(at, 'weightedTraffic'), `weightedTraffic is ${showValue(weightedTraffic)}; use true (traffic by weight) or false`, weightedTraffic));
    } else if (weightedTraffic === true && !WEIGHTED_PROVIDERS.includes(String(cloudProvider))) {
      issues.push(issue(pointerJoin(at, 'weightedTraffic'), `weightedTraffic is for aws and gce accounts, not ${showValue(cloudProvider)}; remove it`, weightedTraffic));
    }
    const executionRoleArn = optionalText(entry, 'executionRoleArn', at, issues);
    if (executionRoleArn !== undefined && !ROLE_ARN.test(executionRoleArn)) issues.push(notRoleArn(at, 'executionRoleArn', executionRoleArn));
    else if (executionRoleArn !== undefined && cloudProvider !== 'ecs') {
      issues.push(issue(pointerJoin(at, 'executionRoleArn'), `executionRoleArn is for ecs accounts (the role Fargate tasks pull images and write logs with), not ${showValue(cloudProvider)}; remove it`, executionRoleArn));
    }
    if (issues.length > before) continue;
    const accountName = name as string;
    const kubernetes = isKubernetes ? Object.fromEntries(KUBERNETES_FIELDS.filter((key) => entry[key] !== undefined).map((key) => [key, entry[key]])) : undefined;
    // A Kubernetes account's locations are namespaces: its allowed ones, when it lists them.
    const namespaces = Array.isArray(kubernetes?.['namespaces']) ? (kubernetes['namespaces'] as unknown[]).filter((value): value is string => typeof value === 'string') : [];
    accounts.push({
      name: accountName,
      cloudProvider: cloudProvider as string,
      accountType: accountType ?? accountName,
      environment: environment ?? accountName,
      regions: regions !== undefined ? (regions as string[]).map((region) => region.trim()) : isKubernetes ? namespaces : ['local'],
      ...(accountId !== undefined || assumeRole !== undefined ? { accountId: accountId ?? ROLE_ARN.exec(assumeRole!)![1]! } : {}),
      ...(assumeRole !== undefined ? { assumeRole } : {}),
      ...(externalId !== undefined ? { externalId } : {}),
      ...(weightedTraffic === true ? { weightedTraffic: true } : {}),
      ...(executionRoleArn !== undefined ? { executionRoleArn } : {}),
      ...(kubernetes ? { kubernetes } : {}),
      ...(gce ? { gce } : {}),
    });
  }
  // A file with a problem is refused whole: half a list of accounts would refuse pipelines for the wrong reason.
  return issues.length > 0 ? { accounts: [], issues } : { accounts, issues };
}

/** A `gce` account's own fields, checked: `project` is required, `imageProjects` a list of project ids. */
function gceFields(entry: Record<string, unknown>, at: string, issues: ValidationIssue[]): GceAccountSettings | undefined {
  const before = issues.length;
  const project = entry['project'];
  if (project === undefined) {
    issues.push({ pointer: pointerJoin(at, 'project'), code: 'required', severity: 'error', message: `project is missing; a gce account deploys into one Google Cloud project: give its id, e.g. "my-project"` });
  } else if (typeof project !== 'string' || !GCE_PROJECT.test(project)) {
    issues.push(issue(pointerJoin(at, 'project'), `project is ${showValue(project)}, not a Google Cloud project id; use 6-30 lowercase letters, digits and hyphens, starting with a letter, e.g. "my-project"`, project));
  }
  const jsonPath = optionalText(entry, 'jsonPath', at, issues);
  const imageProjects = entry['imageProjects'];
  if (imageProjects !== undefined && !(Array.isArray(imageProjects) && imageProjects.every((value) => typeof value === 'string' && GCE_PROJECT.test(value)))) {
    issues.push(issue(pointerJoin(at, 'imageProjects'), `imageProjects is ${showValue(imageProjects)}; give a list of Google Cloud project ids to find images in, e.g. ["ubuntu-os-cloud"]`, imageProjects));
  }
  const apiEndpoint = optionalText(entry, 'apiEndpoint', at, issues);
  if (apiEndpoint !== undefined && !GCE_ENDPOINT.test(apiEndpoint)) {
    issues.push(issue(pointerJoin(at, 'apiEndpoint'), `apiEndpoint is ${showValue(apiEndpoint)}; give an https URL (a private endpoint, e.g. "https://compute-prod.p.googleapis.com") or http://127.0.0.1:<port> for a simulator, or leave it out for Google's endpoint`, apiEndpoint));
  }
  if (issues.length > before) return undefined;
  return {
    project: project as string,
    ...(apiEndpoint !== undefined ? { apiEndpoint } : {}),
    ...(jsonPath !== undefined ? { jsonPath } : {}),
    ...(imageProjects !== undefined ? { imageProjects: imageProjects as string[] } : {}),
  };
}

/** The target kinds an account of an AWS deployment may be: EC2 Auto Scaling groups and Lambda functions, or ECS services. */
export const AWS_ACCOUNT_KINDS = ['aws', 'ecs'] as const;

/** One account of the AWS account map, beyond a role ARN alone. */
export interface AccountRoleConfig {
  /** The role the stage runner assumes in that account. */
  readonly assumeRole: string;
  /** The ExternalId the role's trust policy requires, if any. */
  readonly externalId?: string;
  /** Where it deploys. @default the functions' own Region */
  readonly regions?: readonly string[];
  /** @default 'aws': EC2 Auto Scaling groups and Lambda functions; 'ecs': ECS services */
  readonly cloudProvider?: (typeof AWS_ACCOUNT_KINDS)[number];
  /** The role the API assumes to read the account (describe calls only), with the same externalId. @default assumeRole */
  readonly readRole?: string;
}

/** A Kubernetes account of the AWS account map: an EKS cluster reached as `assumeRole`. */
export interface KubernetesAccountRoleConfig {
  readonly cloudProvider: 'kubernetes';
  readonly assumeRole: string;
  readonly externalId?: string;
  readonly eks: { readonly clusterName: string; readonly region: string };
  /** The cluster's endpoint and CA (YAML or JSON); its users are not used. */
  readonly kubeconfig: string;
  /** @default the kubeconfig's current-context */
  readonly context?: string;
  /** @default every namespace */
  readonly namespaces?: readonly string[];
  /** The role the API's reads sign tokens with (map it to a read-only group in the cluster). @default assumeRole */
  readonly readRole?: string;
}

/** The fields of one account in the AWS account map (a role ARN alone is `{ assumeRole }`). */
const ROLE_MAP_FIELDS = ['assumeRole', 'externalId', 'regions', 'cloudProvider', 'readRole', 'weightedTraffic', 'executionRoleArn'] as const;

/**
 * A Kubernetes account of the AWS account map: an EKS cluster, its tokens signed by the account's
 * role. No file exists beside a Lambda and no token is kept in its environment, so the cluster's
 * endpoint and CA come from an inline `kubeconfig` (its user is never used) and the credentials
 * from STS alone (docs/kubernetes-accounts.md).
 */
const KUBERNETES_MAP_FIELDS = ['assumeRole', 'externalId', 'cloudProvider', 'eks', 'kubeconfig', 'context', 'namespaces', 'readRole'] as const;

/**
 * The accounts of an AWS deployment from the account map (the CDK context `accounts`, passed to
 * the functions as JSON): each account acts through its role (`assumeRole`, with `externalId`
 * when the role's trust policy asks for one), in `regions` (default: the functions' own
 * `region`), on `cloudProvider` `aws` (EC2 and Lambda, the default) or `ecs`, read by the API
 * through `readRole` when given (else `assumeRole`); or an EKS cluster
 * (`kubernetes`: `eks`, an inline `kubeconfig` with its endpoint and CA, `context`, `namespaces`),
 * whose fields the Kubernetes adapter checks further. Issues point at `/<account name>/<field>`.
 */
export function parseAccountRoleMap(input: unknown, region: string): ParsedAccounts {
  if (!isObject(input)) return { accounts: [], issues: [issue('', `expected {"<account name>": "<role ARN>" or {"assumeRole": "<role ARN>", ...}}, got ${showValue(input)}`, input)] };
  const issues: ValidationIssue[] = [];
  const names = Object.keys(input);
  const entries = names.map((name) => {
    const value = input[name];
    if (typeof value === 'string') return { name, cloudProvider: 'aws', regions: [region], assumeRole: value };
    const at = pointerJoin('', name);
    if (!isObject(value)) {
      issues.push(issue(at, `expected a role ARN or {"assumeRole": "<role ARN>", "externalId"?, "regions"?, "cloudProvider"?: "aws" | "ecs"}, got ${showValue(value)}`, value));
      return { name, cloudProvider: 'aws', regions: [region] };
    }
    const kind = value['cloudProvider'] ?? 'aws';
    const kubernetes = kind === 'kubernetes';
    const allowed: readonly string[] = kubernetes ? KUBERNETES_MAP_FIELDS : ROLE_MAP_FIELDS;
    for (const key of Object.keys(value)) {
      if (allowed.includes(key)) continue;
      const why = key === 'kubeconfigFile' || key === 'serviceAccount' ? `'${key}' cannot serve from a Lambda function; give the cluster's endpoint and CA as an inline kubeconfig, with eks` : `unknown field '${key}'`;
      issues.push(issue(pointerJoin(at, key), `${why}; an account here has ${allowed.join(', ')}`));
    }
    if (kubernetes && isObject(value['eks']) && value['eks']['assumeRole'] !== undefined) {
      issues.push(issue(pointerJoin(pointerJoin(at, 'eks'), 'assumeRole'), `give the role as the account's assumeRole, beside eks: the stage runner may assume only the accounts' assumeRole roles`));
    }
    const known = kubernetes || (AWS_ACCOUNT_KINDS as readonly unknown[]).includes(kind);
    if (!known) {
      issues.push(issue(pointerJoin(at, 'cloudProvider'), `cloudProvider is ${showValue(kind)}; use "aws" (EC2 Auto Scaling groups and Lambda functions), "ecs" (ECS services) or "kubernetes" (EKS clusters)`, kind));
    }
    for (const key of kubernetes ? (['eks', 'kubeconfig'] as const) : []) {
      if (value[key] === undefined) {
        const example = key === 'eks' ? '{"clusterName": "prod", "region": "us-east-1"}' : "the cluster's endpoint and CA (`aws eks update-kubeconfig --name <cluster> --dry-run` prints it)";
        issues.push({ pointer: pointerJoin(at, key), code: 'required', severity: 'error', message: `${key} is missing; a kubernetes account on AWS is an EKS cluster: give ${example}` });
      }
    }
    if (value['assumeRole'] === undefined) {
      issues.push({ pointer: pointerJoin(at, 'assumeRole'), code: 'required', severity: 'error', message: `assumeRole is missing; give the ARN of the role Gennaker assumes in that account, e.g. "arn:aws:iam::123456789012:role/gennaker-deploy"` });
    }
    const readRole = value['readRole'];
    if (readRole !== undefined && !ROLE_ARN.test(String(readRole))) issues.push(notRoleArn(at, 'readRole', String(readRole)));
    // Only the map's own fields reach the file's parser, which checks their values (readRole is the map's alone).
    const fields = Object.fromEntries(allowed.filter((key) => key !== 'readRole' && value[key] !== undefined).map((key) => [key, value[key]]));
    // A Kubernetes account's locations are its namespaces (the file's parser derives them).
    return { ...fields, name, cloudProvider: known ? kind : 'aws', ...(kubernetes ? {} : { regions: value['regions'] ?? [region] }) };
  });
  const parsed = parseAccountsFile({ accounts: entries }, { builtIn: [] });
  // The file's pointers (`/accounts/<index>/<field>`) become the map's (`/<name>/<field>`).
  const renamed = parsed.issues.map((found) => {
    const match = /^\/accounts\/(\d+)(.*)$/.exec(found.pointer);
    return match ? { ...found, pointer: `${pointerJoin('', names[Number(match[1])] ?? match[1]!)}${match[2]}` } : found;
  });
  const all = [...issues, ...renamed];
  if (all.length > 0) return { accounts: [], issues: all };
  // readRole is the map's alone (the file's parser does not know it): set on the parsed account.
  return {
    ...parsed,
    accounts: parsed.accounts.map((account) => {
      const entry = input[account.name];
      // A readRole here is a role ARN: any other value was refused above.
      return isObject(entry) && entry['readRole'] ? { ...account, readRole: entry['readRole'] as string } : account;
    }),
  };
}

/** `parseAccountRoleMap` of a JSON text (the `ACCOUNTS` environment variable). */
export function parseAccountRoles(json: string, region: string): ParsedAccounts {
  let input: unknown;
  try {
    input = JSON.parse(json);
  } catch {
    return { accounts: [], issues: [issue('', `expected JSON {"<account name>": "<role ARN>"}, got ${showValue(json)}`, json)] };
  }
  return parseAccountRoleMap(input, region);
}
