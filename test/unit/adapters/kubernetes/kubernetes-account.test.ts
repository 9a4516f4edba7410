/**
 * Kubernetes accounts (adapters/targets/kubernetes/config.ts, connect.ts): the fields parsed with
 * one line per problem naming the field, the value and the fix; the kubeconfig loaded from a file
 * (relative paths made absolute, `~` expanded) or inline, its context chosen, the default
 * namespace taken from it; in-cluster config from the service account; EKS needing credentials.
 */
import { describe, expect, it } from 'vitest';
import { parseKubernetesAccount } from '../../../../adapters/targets/kubernetes/config.ts';
import { connectKubernetesAccount, SERVICE_ACCOUNT_DIR, type KubernetesConnectDeps } from '../../../../adapters/targets/kubernetes/connect.ts';

const kubeconfig = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [
    { name: 'staging', cluster: { server: 'https://staging.example:6443', 'certificate-authority': 'ca.crt' } },
    { name: 'prod', cluster: { server: 'https://prod.example:6443' } },
  ],
  users: [{ name: 'deployer', user: { token: 'secret-token-value' } }],
  contexts: [
    { name: 'staging', context: { cluster: 'staging', user: 'deployer', namespace: 'web' } },
    { name: 'prod', context: { cluster: 'prod', user: 'deployer' } },
    { name: 'broken', context: { cluster: 'nowhere', user: 'deployer' } },
  ],
  'current-context': 'staging',
});

function deps(files: Record<string, string> = {}, env: Record<string, string> = {}): KubernetesConnectDeps {
  return {
    readFile: (path) => {
      const found = files[path];
      if (found === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return found;
    },
    env,
    clock: { now: () => 0 },
  };
}

function parsed(input: Record<string, unknown>) {
  const result = parseKubernetesAccount('k8s', input);
  if (!result.ok) throw new Error(result.message);
  return result.fields;
}

describe('kubernetes account fields', () => {
  it('parses a kubeconfig file, a context, namespaces and an EKS cluster', () => {
    expect(parseKubernetesAccount('k8s', { kubeconfigFile: '~/.kube/config', context: 'prod', namespaces: ['web'], eks: { clusterName: 'prod', region: 'us-east-1', assumeRole: 'arn:aws:iam::123456789012:role/eks' } })).toEqual({
      ok: true,
      fields: { kubeconfigFile: '~/.kube/config', context: 'prod', namespaces: ['web'], eks: { clusterName: 'prod', region: 'us-east-1', assumeRole: 'arn:aws:iam::123456789012:role/eks' } },
    });
  });

  it.each([
    [{ namespaces: ['web'] }, "kubernetes account 'k8s': kubeconfigFile is missing; say where the cluster is: kubeconfigFile (a path), kubeconfig (its contents) or serviceAccount: true (in-cluster)"],
    [{ kubeconfigFile: '/k', kubeconfig: 'x' }, "kubernetes account 'k8s': kubeconfig is \"x\"; give only one of kubeconfigFile, kubeconfig and serviceAccount (this account also has kubeconfigFile)"],
    [{ kubeconfigFile: '/k', namespaces: ['web', 'Prod_1'] }, 'kubernetes account \'k8s\': namespaces[1] is "Prod_1"; a namespace is lowercase letters, digits and "-" (at most 63), e.g. "prod"'],
    [{ kubeconfigFile: '/k', namespaces: [] }, "kubernetes account 'k8s': namespaces is []; give at least one namespace, or leave namespaces out to allow every namespace"],
    [{ kubeconfigFile: 42 }, 'kubernetes account \'k8s\': kubeconfigFile is 42; give the path of a kubeconfig file, e.g. "~/.kube/config"'],
    [{ serviceAccount: true, context: 'x' }, 'kubernetes account \'k8s\': context is "x"; in-cluster config has no contexts; remove context, or use kubeconfigFile'],
    [{ kubeconfigFile: '/k', eks: { clusterName: 'c', region: 'Virginia' } }, 'kubernetes account \'k8s\': eks.region is "Virginia"; give an AWS region, e.g. "us-east-1"'],
    [{ kubeconfigFile: '/k', eks: { clusterName: 'c', region: 'us-east-1', role: 'x' } }, 'kubernetes account \'k8s\': eks.role is "x"; an eks entry has clusterName, region and assumeRole'],
    [{ kubeconfigFile: '/k', eks: { clusterName: 'c', region: 'us-east-1', assumeRole: 'arn:aws:iam::1:user/me' } }, 'kubernetes account \'k8s\': eks.assumeRole is "arn:aws:iam::1:user/me"; use arn:aws:iam::<12-digit account id>:role/<role name>'],
  ])('refuses %j in one line naming the field', (input, message) => {
    expect(parseKubernetesAccount('k8s', input)).toEqual({ ok: false, message });
  });
});

describe('connecting a kubernetes account', () => {
  it('loads a kubeconfig file with its current context, its namespace as the default, and its CA path made absolute', () => {
    const connected = connectKubernetesAccount('k8s', parsed({ kubeconfigFile: '~/kube/config' }), deps({ '/home/me/kube/config': kubeconfig }, { HOME: '/home/me' }));
    expect(connected).toMatchObject({ ok: true, server: 'https://staging.example:6443', connection: { name: 'k8s', defaultNamespace: 'web' } });
  });

  it('takes the named context, and the first allowed namespace when the context has none', () => {
    const connected = connectKubernetesAccount('k8s', parsed({ kubeconfig, context: 'prod', namespaces: ['jobs', 'web'] }), deps());
    expect(connected).toMatchObject({ ok: true, server: 'https://prod.example:6443', connection: { defaultNamespace: 'jobs', namespaces: ['jobs', 'web'] } });
  });

  it.each([
    [{ kubeconfigFile: '/missing' }, "kubernetes account 'k8s': kubeconfigFile '/missing' cannot be read (ENOENT); give the path of a readable kubeconfig"],
    [{ kubeconfig, context: 'dev' }, "kubernetes account 'k8s': context: context 'dev' is not in the inline kubeconfig (its contexts: staging, prod, broken); name one of them"],
    [{ kubeconfig, context: 'broken' }, "kubernetes account 'k8s': context 'broken' of the inline kubeconfig names cluster 'nowhere', which it does not define; fix the kubeconfig"],
    [{ serviceAccount: true }, "kubernetes account 'k8s': serviceAccount is true but KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set; run Gennaker in a pod, or use kubeconfigFile"],
    [{ kubeconfig, eks: { clusterName: 'c', region: 'us-east-1' } }, "kubernetes account 'k8s': eks is set but this runtime has no AWS credentials to sign EKS tokens with"],
  ])('refuses %j in one line', (input, message) => {
    const connected = connectKubernetesAccount('k8s', parsed(input), deps());
    expect(connected).toEqual({ ok: false, message });
    expect(message).not.toContain('secret-token-value');
  });

  it('refuses a file that is not a kubeconfig', () => {
    const connected = connectKubernetesAccount('k8s', parsed({ kubeconfigFile: '/k' }), deps({ '/k': 'clusters: [ {' }));
    expect(connected.ok).toBe(false);
    if (!connected.ok) expect(connected.message).toMatch(/^kubernetes account 'k8s': kubeconfigFile: \/k is not a kubeconfig \(.+\); give a file `kubectl config view --raw` would print$/);
  });

  it('uses the pod\'s service account in a cluster, with the namespace it runs in', () => {
    const connected = connectKubernetesAccount(
      'k8s',
      parsed({ serviceAccount: true }),
      deps({ [`${SERVICE_ACCOUNT_DIR}/namespace`]: 'deploys\n' }, { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }),
    );
    expect(connected).toMatchObject({ ok: true, server: 'https://10.96.0.1:443', connection: { defaultNamespace: 'deploys' } });
  });
});
