/**
 * Kubernetes accounts: where the API server is and who Gennaker is there, as clouddriver's
 * Kubernetes accounts say it. The fields, in the accounts file beside `name` and `cloudProvider`:
 *
 * | field | what |
 * |---|---|
 * | `kubeconfigFile` | a kubeconfig file; its users bring the credentials: a client certificate, a bearer `token` or token file, an exec or auth provider |
 * | `kubeconfig` | the same, inline (the file's contents, YAML or JSON) |
 * | `context` | the kubeconfig context to use. @default its `current-context` |
 * | `serviceAccount: true` | in-cluster config: the pod's service account token and CA, the API server from `KUBERNETES_SERVICE_HOST`/`_PORT` |
 * | `namespaces` | the namespaces the account may use; others are refused before any call. @default every namespace |
 * | `eks: { clusterName, region, assumeRole? }` | an EKS cluster: the bearer token is minted from STS (eks-token.ts) as the role (or the runner's own identity); the server and CA come from the kubeconfig |
 *
 * A bearer token is a secret: Gennaker's secret store serves expressions of one application, not
 * accounts, so a token comes from the kubeconfig (`token`, or a `tokenFile` a secret manager
 * writes), never from the accounts file itself.
 *
 * Parsing is pure (zod, one line per problem naming the field, the value and the fix) and light
 * to import; connecting (connect.ts) loads client-node.
 */
import { z } from 'zod';

/** The account fields this adapter reads (the accounts file carries them through unchanged). */
export const KUBERNETES_ACCOUNT_FIELDS = ['kubeconfigFile', 'kubeconfig', 'context', 'serviceAccount', 'namespaces', 'eks'] as const;

/** A namespace name (RFC 1123 label). */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
/** EKS cluster names: 1-100 letters, digits, '-' and '_', starting with a letter or digit. */
const EKS_CLUSTER = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

const text = (fix: string) => z.string({ error: fix }).trim().min(1, { error: fix });

const schema = z
  .object({
    kubeconfigFile: text('give the path of a kubeconfig file, e.g. "~/.kube/config"').optional(),
    kubeconfig: text("give the kubeconfig's contents (YAML or JSON) as one string").optional(),
    context: text('give the name of a context of the kubeconfig').optional(),
    serviceAccount: z.boolean({ error: 'give true to use the pod\'s service account (in-cluster config), or leave it out' }).optional(),
    namespaces: z
      .array(z.string({ error: 'give namespace names' }).regex(NAMESPACE, { error: 'a namespace is lowercase letters, digits and "-" (at most 63), e.g. "prod"' }), {
        error: 'give a list of namespace names, e.g. ["staging", "prod"]',
      })
      .min(1, { error: 'give at least one namespace, or leave namespaces out to allow every namespace' })
      .optional(),
    eks: z
      .object(
        {
          clusterName: z.string({ error: 'give the EKS cluster name' }).regex(EKS_CLUSTER, { error: 'an EKS cluster name is 1-100 letters, digits, "-" or "_"' }),
          region: z.string({ error: 'give the cluster\'s AWS region, e.g. "us-east-1"' }).regex(AWS_REGION, { error: 'give an AWS region, e.g. "us-east-1"' }),
          assumeRole: z.string({ error: 'give an IAM role ARN' }).regex(ROLE_ARN, { error: 'use arn:aws:iam::<12-digit account id>:role/<role name>' }).optional(),
        },
        { error: 'give { "clusterName": ..., "region": ..., "assumeRole"?: ... }' },
      )
      .strict()
      .optional(),
  })
  .strict();

/** A Kubernetes account's fields, parsed. */
export type KubernetesAccountFields = z.infer<typeof schema>;

export type ParsedKubernetesAccount = { readonly ok: true; readonly fields: KubernetesAccountFields } | { readonly ok: false; readonly message: string };

function show(value: unknown): string {
  if (value === undefined) return 'missing';
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 60 ? `${json.slice(0, 59)}…` : json;
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`)).join('');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * The account's Kubernetes fields (`input` holds the entry's fields; others are not looked at),
 * or the first problem: `kubernetes account 'prod': namespaces[1] is "Prod"; a namespace is...`.
 */
export function parseKubernetesAccount(account: string, input: Readonly<Record<string, unknown>>): ParsedKubernetesAccount {
  const problem = (field: string, value: unknown, fix: string) => ({ ok: false as const, message: `kubernetes account '${account}': ${field} is ${show(value)}; ${fix}` });
  const own = Object.fromEntries(Object.entries(input).filter(([key]) => (KUBERNETES_ACCOUNT_FIELDS as readonly string[]).includes(key)));
  const parsed = schema.safeParse(own);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0]!;
      const at = [...issue.path, key];
      return problem(fieldPath(at), valueAt(own, at), `an eks entry has clusterName, region and assumeRole`);
    }
    return problem(fieldPath(issue.path), valueAt(own, issue.path), issue.message);
  }
  const fields = parsed.data;
  const sources = (['kubeconfigFile', 'kubeconfig', 'serviceAccount'] as const).filter((key) => fields[key] !== undefined && fields[key] !== false);
  if (sources.length === 0) {
    return problem('kubeconfigFile', undefined, 'say where the cluster is: kubeconfigFile (a path), kubeconfig (its contents) or serviceAccount: true (in-cluster)');
  }
  if (sources.length > 1) {
    return problem(sources[1]!, fields[sources[1]!], `give only one of kubeconfigFile, kubeconfig and serviceAccount (this account also has ${sources[0]})`);
  }
  if (fields.context !== undefined && fields.serviceAccount === true) {
    return problem('context', fields.context, 'in-cluster config has no contexts; remove context, or use kubeconfigFile');
  }
  if (fields.eks !== undefined && fields.serviceAccount === true) {
    return problem('eks', fields.eks, "an EKS account needs the cluster's endpoint and CA from a kubeconfig (`aws eks update-kubeconfig` writes one): use kubeconfigFile or kubeconfig");
  }
  return { ok: true, fields };
}
