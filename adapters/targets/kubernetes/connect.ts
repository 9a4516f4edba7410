/**
 * A Kubernetes account's connection from its parsed fields (config.ts): its kubeconfig loaded with
 * client-node and its context chosen, its default namespace, and for EKS the token source. Files
 * and the environment are read through what the composition root hands in; nothing is called on
 * the API server yet.
 */
import { dirname } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Clock } from '../../../core/ports/clock.ts';
import type { KubernetesAccountFields } from './config.ts';
import { createEksTokenSource } from './eks-token.ts';
import type { KubernetesAccountConnection } from './manifest-port.ts';
import { createKubernetesRest } from './rest.ts';

/** What connecting needs from the composition root. */
export interface KubernetesConnectDeps {
  /** Reads a file (the kubeconfig, the in-cluster token's namespace); throws when it cannot. */
  readonly readFile: (path: string) => string;
  /** The process environment (`KUBERNETES_SERVICE_HOST`/`_PORT` for in-cluster config, `HOME` for `~`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** When EKS tokens are due for renewal. */
  readonly clock: Clock;
  /**
   * The AWS identity EKS tokens are signed with, for the account `account` with `eks` (its role's
   * credentials when it has one: `eks.assumeRole`, or the account's own `assumeRole`).
   */
  readonly awsCredentials?: (eks: NonNullable<KubernetesAccountFields['eks']>, account: string) => AwsCredentialIdentityProvider;
  /** @default 30_000 */
  readonly timeoutMs?: number;
}

/** Where the pod's service account is mounted (in-cluster config). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export type ConnectedAccount = { readonly ok: true; readonly connection: KubernetesAccountConnection; readonly server: string } | { readonly ok: false; readonly message: string };

function expandHome(path: string, env: KubernetesConnectDeps['env']): string {
  return path.startsWith('~/') && env['HOME'] ? `${env['HOME']}${path.slice(1)}` : path;
}

/**
 * The account's connection: its kubeconfig loaded (the context chosen), the default namespace,
 * and for EKS the token source. Nothing is called yet; a problem is one line naming the field.
 */
export function connectKubernetesAccount(account: string, fields: KubernetesAccountFields, deps: KubernetesConnectDeps): ConnectedAccount {
  const fail = (message: string): ConnectedAccount => ({ ok: false, message: `kubernetes account '${account}': ${message}` });
  const kubeConfig = new KubeConfig();
  let defaultNamespace: string | undefined;
  if (fields.serviceAccount === true) {
    const host = deps.env['KUBERNETES_SERVICE_HOST'];
    const port = deps.env['KUBERNETES_SERVICE_PORT'];
    if (!host || !port) return fail('serviceAccount is true but KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set; run Gennaker in a pod, or use kubeconfigFile');
    const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    kubeConfig.loadFromClusterAndUser(
      { name: 'in-cluster', server, caFile: `${SERVICE_ACCOUNT_DIR}/ca.crt`, skipTLSVerify: false },
      { name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile: `${SERVICE_ACCOUNT_DIR}/token` } } },
    );
    try {
      defaultNamespace = deps.readFile(`${SERVICE_ACCOUNT_DIR}/namespace`).trim() || undefined;
    } catch {
      defaultNamespace = undefined;
    }
  } else {
    const field = fields.kubeconfigFile !== undefined ? 'kubeconfigFile' : 'kubeconfig';
    let contents: string;
    let where: string;
    if (fields.kubeconfigFile !== undefined) {
      where = expandHome(fields.kubeconfigFile, deps.env);
      try {
        contents = deps.readFile(where);
      } catch (error) {
        return fail(`kubeconfigFile '${fields.kubeconfigFile}' cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give the path of a readable kubeconfig`);
      }
    } else {
      where = 'the inline kubeconfig';
      contents = fields.kubeconfig!;
    }
    try {
      kubeConfig.loadFromString(contents);
    } catch (error) {
      return fail(`${field}: ${where} is not a kubeconfig (${((error as Error).message ?? '').split('\n')[0]}); give a file \`kubectl config view --raw\` would print`);
    }
    // Certificates and token files named relative to the kubeconfig are relative to its directory.
    if (fields.kubeconfigFile !== undefined) kubeConfig.makePathsAbsolute(dirname(where));
    const contexts = (kubeConfig.getContexts() ?? []).map((context) => context.name);
    const context = fields.context ?? kubeConfig.getCurrentContext();
    if (!context) return fail(`${field}: ${where} has no current-context; add context (one of: ${contexts.join(', ') || 'none'})`);
    if (!contexts.includes(context)) {
      return fail(`${fields.context !== undefined ? 'context' : field}: context '${context}' is not in ${where} (its contexts: ${contexts.join(', ') || 'none'}); name one of them`);
    }
    kubeConfig.setCurrentContext(context);
    if (!kubeConfig.getCurrentCluster()) return fail(`context '${context}' of ${where} names cluster '${kubeConfig.getContextObject(context)?.cluster}', which it does not define; fix the kubeconfig`);
    defaultNamespace = kubeConfig.getContextObject(context)?.namespace || undefined;
    if (fields.eks) {
      // The minted token is the only credential: the context's user (`aws eks update-kubeconfig`
      // writes an exec plugin running `aws eks get-token`, absent from a Lambda) is never applied.
      const cluster = kubeConfig.getCurrentCluster()!;
      kubeConfig.loadFromClusterAndUser(cluster, { name: 'eks-token' });
    }
  }
  let bearerToken: (() => Promise<string>) | undefined;
  if (fields.eks) {
    if (!deps.awsCredentials) return fail('eks is set but this runtime has no AWS credentials to sign EKS tokens with');
    bearerToken = createEksTokenSource({ clusterName: fields.eks.clusterName, region: fields.eks.region, credentials: deps.awsCredentials(fields.eks, account), clock: deps.clock });
  }
  const rest = createKubernetesRest({ kubeConfig, ...(bearerToken ? { bearerToken } : {}), ...(deps.timeoutMs !== undefined ? { timeoutMs: deps.timeoutMs } : {}) });
  return {
    ok: true,
    server: kubeConfig.getCurrentCluster()!.server,
    connection: {
      name: account,
      rest,
      ...(fields.namespaces ? { namespaces: fields.namespaces } : {}),
      // Without a namespace in the context, the first allowed one (or Kubernetes' `default`).
      defaultNamespace: defaultNamespace ?? fields.namespaces?.[0] ?? 'default',
    },
  };
}
