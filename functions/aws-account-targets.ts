/**
 * The deploy targets of the stage runner on AWS (and, read-only, of the API's cluster routes:
 * functions/api/cluster-reads.ts), one per configured account (`ACCOUNTS`), whose
 * code is loaded on demand: the AWS SDK clients the targets need (EC2, Auto Scaling, ELBv2, ECS,
 * Application Auto Scaling, Lambda, STS) are about three times the rest of the stage runner, and
 * most invocations (webhooks, judgments, waits, every poll of a non-deploy stage) never touch
 * them. Each target here answers its capabilities at once, as the deploy core reads them before
 * any call, and loads the real one (functions/aws-targets.ts) on its first call; a failed load is
 * tried again on the next call.
 *
 * The capabilities are those of the real targets in the mode the accounts use (EC2 in
 * Spinnaker's mode, ECS), checked equal to them by test/unit/functions/aws-account-targets.test.ts.
 */
import { AWS_ACCOUNT_KINDS } from '../core/accounts/accounts-file.ts';
import type { Account } from '../core/ports/accounts.ts';
import type { BuildPort } from '../core/ports/builds.ts';
import type { FunctionPort } from '../core/ports/functions.ts';
import type { ManifestPort } from '../core/ports/manifests.ts';
import type { ContinueRolloutRequest, ServerGroupCapabilities, ServerGroupPort, ServerGroupRef, SideEffect } from '../core/ports/server-groups.ts';
import type { Target, TargetLookup } from '../core/ports/target.ts';
import type { TrafficCapabilities, TrafficPort } from '../core/ports/traffic.ts';
import type { AwsTargets, AwsTargetsOptions } from './aws-targets.ts';

/** What each kind of account can do, as its target says. */
export const ACCOUNT_KIND_CAPABILITIES: Readonly<Record<(typeof AWS_ACCOUNT_KINDS)[number], { readonly serverGroups: ServerGroupCapabilities; readonly traffic: TrafficCapabilities }>> = {
  // adapters/targets/aws-ec2, Spinnaker's mode: instances registered and deregistered, no weights.
  aws: {
    serverGroups: { resize: true, artifactTypes: ['aws/image'], imageFromProviderFields: true, clone: true },
    traffic: { weights: false, maxWeightedServerGroups: 0, partialDisable: true, drains: true },
  },
  // adapters/targets/aws-ecs: disabled is scaled to zero.
  ecs: {
    serverGroups: { resize: true, artifactTypes: ['docker/image'], imageFromProviderFields: true, clone: true },
    traffic: { weights: false, maxWeightedServerGroups: 0, partialDisable: false, drains: true },
  },
};

/** What a Kubernetes account's target can do (adapters/targets/kubernetes: ReplicaSets, traffic by Service selector labels). */
export const KUBERNETES_CAPABILITIES: { readonly serverGroups: ServerGroupCapabilities; readonly traffic: TrafficCapabilities } = {
  serverGroups: { resize: true, artifactTypes: ['docker/image'] },
  traffic: { weights: false, maxWeightedServerGroups: 0, partialDisable: false, drains: false },
};

/** The cloud providers a stage may name for each kind of account (none named: any). */
export const PROVIDERS_OF: Readonly<Record<string, readonly string[]>> = { aws: ['aws', 'lambda'], ecs: ['ecs'], kubernetes: ['kubernetes'] };

/**
 * A Kubernetes account's namespace when a stage names none, on AWS: the first of its `namespaces`,
 * else `default` (its kubeconfig's context namespace is not read, so the answer needs no client).
 */
export function kubernetesDefaultNamespace(account: Account): string {
  const namespaces = account.kubernetes?.['namespaces'];
  return Array.isArray(namespaces) && typeof namespaces[0] === 'string' ? namespaces[0] : 'default';
}

/** `load` called once and its answer kept; a failed load is tried again on the next call. */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
}

type Methods<P> = { [K in keyof P]: P[K] extends (...args: never[]) => unknown ? K : never }[keyof P];

/** The port's methods, each calling the real port once it is loaded. */
function forward<P extends object>(methods: ReadonlyArray<Methods<P>>, real: () => Promise<P>): Pick<P, Methods<P>> {
  const forwarded: Partial<Record<Methods<P>, unknown>> = {};
  for (const method of methods) {
    forwarded[method] = async (...args: unknown[]) => {
      const port = await real();
      return (port[method] as (...given: unknown[]) => unknown)(...args);
    };
  }
  return forwarded as Pick<P, Methods<P>>;
}

const SERVER_GROUP_METHODS = ['create', 'resize', 'destroy', 'describeCluster'] as const satisfies ReadonlyArray<Methods<ServerGroupPort>>;
const TRAFFIC_METHODS = ['enable', 'disable', 'setWeights', 'verifyWeights'] as const satisfies ReadonlyArray<Methods<TrafficPort>>;
const MANIFEST_METHODS = ['apply', 'get', 'list', 'patch', 'scale', 'delete', 'logs'] as const satisfies ReadonlyArray<Exclude<Methods<ManifestPort>, 'settings'>>;
const FUNCTION_METHODS = [
  'get',
  'create',
  'updateCode',
  'updateSettings',
  'tag',
  'setReservedConcurrency',
  'publishVersion',
  'listVersions',
  'getAlias',
  'createAlias',
  'updateAlias',
  'invoke',
  'delete',
] as const satisfies ReadonlyArray<Methods<FunctionPort>>;

const BUILD_METHODS = ['start', 'get', 'stop'] as const satisfies ReadonlyArray<Methods<BuildPort>>;

/** The methods each port forwards (the test checks they are all the real ports have). */
export const FORWARDED_METHODS = { serverGroups: SERVER_GROUP_METHODS, traffic: TRAFFIC_METHODS, functions: FUNCTION_METHODS, manifests: MANIFEST_METHODS, builds: BUILD_METHODS } as const;

/** The accounts to serve and how to load the real targets. */
export interface AccountTargetsOptions {
  /** The configured accounts; those of kind `aws` or `ecs` get a target. */
  readonly accounts: readonly Account[];
  /** Loads the real targets (the first call only), answering the target of an account. */
  readonly load: () => Promise<(account: Account) => Target>;
  /** The same for `kubernetes` accounts (functions/kubernetes-targets.ts). Absent: they get no target. */
  readonly loadKubernetes?: () => Promise<(account: Account) => Target>;
}

/** A target that answers its capabilities now and loads the real one on its first call. */
function onDemandTarget(account: Account, kind: keyof typeof ACCOUNT_KIND_CAPABILITIES | 'kubernetes', load: () => Promise<(account: Account) => Target>): Target {
  const real = loadOnce(async () => (await load())(account));
  const capabilities = kind === 'kubernetes' ? KUBERNETES_CAPABILITIES : ACCOUNT_KIND_CAPABILITIES[kind];
  const serverGroups: ServerGroupPort = { capabilities: capabilities.serverGroups, ...forward<ServerGroupPort>(SERVER_GROUP_METHODS, async () => (await real()).serverGroups) };
  const target: Target = {
    cloudProvider: kind,
    // The targets also look in the account for what a cluster names, when a pipeline is saved.
    serverGroups: {
      ...serverGroups,
      checkCluster: async (request) => (await real()).serverGroups.checkCluster?.(request) ?? { ok: true, issues: [] },
      // ECS answers the pauses of its own deployments (ecs-native clusters).
      ...(kind === 'ecs'
        ? {
            continueRollout: async (ref: ServerGroupRef, request: ContinueRolloutRequest, options: SideEffect) =>
              (await real()).serverGroups.continueRollout?.(ref, request, options) ?? { ok: false as const, reason: 'unsupported' as const, message: `account '${account.name}' runs no rollouts of its own` },
          }
        : {}),
    },
    traffic: { capabilities: capabilities.traffic, ...forward<TrafficPort>(TRAFFIC_METHODS, async () => (await real()).traffic) },
  };
  if (kind === 'kubernetes') {
    const namespaces = account.regions.length > 0 ? { namespaces: account.regions } : {};
    const manifests: ManifestPort = {
      ...forward<ManifestPort>(MANIFEST_METHODS, async () => (await real()).manifests!),
      // Answered now, as a stage reads it before any call (the real port answers the same).
      settings: (name) => (name === account.name ? { ...namespaces, defaultNamespace: kubernetesDefaultNamespace(account) } : undefined),
    };
    return { ...target, manifests };
  }
  if (kind !== 'aws') return target;
  const functions: FunctionPort = {
    regions: [...account.regions],
    ...forward<FunctionPort>(FUNCTION_METHODS, async () => {
      const port = (await real()).functions;
      if (!port) throw new Error(`account '${account.name}' has no Lambda target`);
      return port;
    }),
  };
  const builds: BuildPort = {
    regions: [...account.regions],
    ...forward<BuildPort>(BUILD_METHODS, async () => {
      const port = (await real()).builds;
      if (!port) throw new Error(`account '${account.name}' has no CodeBuild target`);
      return port;
    }),
  };
  return { ...target, functions, builds };
}

/** The target of each configured AWS account, looked up by name (and the cloud provider a stage names). */
export function createAccountTargets(options: AccountTargetsOptions): TargetLookup {
  // One load for every account: the module and its clients are shared.
  const load = loadOnce(options.load);
  const targets = new Map<string, Target>();
  // client-node and its own STS client: a module apart from the AWS targets'.
  const loadKubernetes = options.loadKubernetes ? loadOnce(options.loadKubernetes) : undefined;
  for (const account of options.accounts) {
    const kind = account.cloudProvider;
    if (kind === 'kubernetes' && loadKubernetes) {
      targets.set(account.name, onDemandTarget(account, 'kubernetes', loadKubernetes));
      continue;
    }
    if (!(AWS_ACCOUNT_KINDS as readonly string[]).includes(kind)) continue;
    targets.set(account.name, onDemandTarget(account, kind as keyof typeof ACCOUNT_KIND_CAPABILITIES, load));
  }
  return ({ account, cloudProvider }) => {
    const target = targets.get(account);
    if (!target) return undefined;
    if (cloudProvider !== undefined && !PROVIDERS_OF[target.cloudProvider]!.includes(cloudProvider)) return undefined;
    return target;
  };
}

/** How a function's deploy targets reach the accounts (functions/aws-targets.ts AwsTargetsOptions), and which accounts. */
export interface ConfiguredTargetsOptions extends AwsTargetsOptions {
  /** The configured accounts (`ACCOUNTS`). */
  readonly accounts: readonly Account[];
  /**
   * The AWS targets, loaded once (`awsTargetsOnce`): the stage runner shares them with its canary
   * metrics, so one account's role has one session cache. @default loaded here with these options
   */
  readonly loadAws?: () => Promise<AwsTargets>;
}

/** Loads functions/aws-targets.ts once, on the first call, and makes its targets with `options`. */
export function awsTargetsOnce(options: AwsTargetsOptions): () => Promise<AwsTargets> {
  return loadOnce(async () => (await import('./aws-targets.ts')).createAwsTargets(options));
}

/**
 * The deploy targets of the configured accounts, for any function: the AWS targets
 * (functions/aws-targets.ts) and the Kubernetes ones (functions/kubernetes-targets.ts), each
 * module loaded on a target's first call. A session policy limits the AWS targets' sessions
 * alone: an EKS token's identity is the role's whatever the session may call.
 */
export function configuredAccountTargets(options: ConfiguredTargetsOptions): TargetLookup {
  const { loadAws = awsTargetsOnce(options) } = options;
  return createAccountTargets({
    accounts: options.accounts,
    load: async () => {
      const made = await loadAws();
      return (account) => made.targetOf(account);
    },
    // EKS clusters, through their own module: client-node loads only for a Kubernetes account.
    loadKubernetes: async () => (await import('./kubernetes-targets.ts')).createKubernetesAccountTargets(options.accounts, options),
  });
}
