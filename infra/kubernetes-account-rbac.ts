/**
 * What a Kubernetes cluster must grant Gennaker's identity there (an EKS account's role, mapped by
 * an access entry; or a kubeconfig user): a namespaced Role, bound in each namespace the account
 * lists, with exactly the verbs the Kubernetes target sends per resource
 * (adapters/targets/kubernetes). docs/kubernetes-accounts.md shows it as YAML;
 * test/infra/kubernetes-account-rbac.test.ts records every request the target makes on the
 * simulator and checks it against these rules, and that each verb listed is used.
 *
 * Discovery (`/api`, `/apis`, `/apis/<group>/<version>`) needs no rule: Kubernetes' own
 * `system:discovery` ClusterRole lets every authenticated user read it.
 */

/** One rule of the Role. */
export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  /** Why, for the document. */
  readonly because: string;
}

/**
 * The resource kinds pipelines deploy are the operator's choice: these are the ones Spinnaker's
 * manifests usually hold; add the kinds yours hold (custom resources too) with the same verbs.
 */
export const DEPLOYED_KINDS: readonly { readonly apiGroup: string; readonly resources: readonly string[] }[] = [
  { apiGroup: '', resources: ['configmaps', 'secrets', 'services'] },
  { apiGroup: 'apps', resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'] },
  { apiGroup: 'batch', resources: ['jobs'] },
];

/** The verbs kubectl apply, replace, recreate, patch and delete need on a deployed kind, and the reads of stages that wait. */
const MANIFEST_VERBS = ['get', 'list', 'create', 'update', 'patch', 'delete'] as const;

/** The Role's rules, in the document's order. */
export const KUBERNETES_RBAC_RULES: readonly RbacRule[] = [
  ...DEPLOYED_KINDS.map((kind, index) => ({
    apiGroups: [kind.apiGroup],
    resources: kind.resources,
    verbs: MANIFEST_VERBS,
    because:
      index === 0
        ? 'the kinds pipelines deploy: apply (create, or patch from the last-applied configuration), replace (update), recreate (delete, create), patch and delete stages, reads while waiting for stable'
        : `the same, for the kinds of ${kind.apiGroup}`,
  })),
  { apiGroups: ['apps'], resources: ['deployments/scale', 'replicasets/scale', 'statefulsets/scale'], verbs: ['get', 'patch'], because: 'scaleManifest reads and patches the /scale subresource' },
  { apiGroups: [''], resources: ['pods'], verbs: ['list', 'patch'], because: "traffic: the Service's selector labels are patched on a ReplicaSet's live pods, listed by its selector" },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'], because: "runJobManifest reads the job pod's log" },
];

/** The Role and RoleBinding as YAML, for `namespace` and the Kubernetes user or group the identity maps to. */
export function kubernetesRbacYaml(namespace = 'web', group = 'gennaker-deployers'): string {
  const list = (values: readonly string[]) => `[${values.map((value) => JSON.stringify(value)).join(', ')}]`;
  return [
    'apiVersion: rbac.authorization.k8s.io/v1',
    'kind: Role',
    'metadata:',
    '  name: gennaker-deployer',
    `  namespace: ${namespace}`,
    'rules:',
    ...KUBERNETES_RBAC_RULES.flatMap((rule) => [`# ${rule.because}`, `- apiGroups: ${list(rule.apiGroups)}`, `  resources: ${list(rule.resources)}`, `  verbs: ${list(rule.verbs)}`]),
    '---',
    'apiVersion: rbac.authorization.k8s.io/v1',
    'kind: RoleBinding',
    'metadata:',
    '  name: gennaker-deployer',
    `  namespace: ${namespace}`,
    'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: gennaker-deployer}',
    `subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: ${group}}]`,
  ].join('\n');
}
