/**
 * `deployManifest` (Orca's DeployManifestStage): apply Kubernetes manifests the way clouddriver's
 * KubernetesDeployManifestOperation does (versions, moniker and artifact annotations, Services
 * attached by selector labels), wait until they are stable, prune old versions
 * (max-version-history), then, with `trafficManagement`, disable or delete the other ReplicaSets of
 * the moniker cluster (reference/cloud-targets.md §6.1-6.3). The runtime is
 * core/stages/manifest-deploy.ts; the semantics are core/deploy/kubernetes/.
 */
import { z } from 'zod';
import { flattenManifests, maxVersionHistoryProblem, parseLoadBalancerName, TRAFFIC_STRATEGIES, type TrafficStrategy } from '../../deploy/kubernetes/index.ts';
import { showValue } from '../../issues.ts';
import type { StageBase } from '../model.ts';
import { anyText, flag, isTemplate, optional, textList, withDefault } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { defineStageType, error } from './definition.ts';
import { MANIFEST_ACTION_MAX_POLLS, MANIFEST_STABLE_MAX_POLLS } from './manifest-target.ts';
import { labelSelectorsSchema, selectorKindIssues, type ManifestSelectorConfig } from './delete-manifest.ts';

/** The moniker the stage deploys under (`app` is the application; `cluster` defaults per manifest to `"<kind> <name>"`). */
export interface ManifestMoniker {
  readonly app?: string;
  readonly cluster?: string;
  readonly stack?: string;
  readonly detail?: string;
}

export interface TrafficManagementConfig {
  readonly enabled: boolean;
  readonly options: {
    readonly namespace?: string;
    /** `"service <name>"` each. */
    readonly services: readonly string[];
    readonly enableTraffic: boolean;
    /** One of TRAFFIC_STRATEGIES (checked, so the message can name the fix). */
    readonly strategy: string;
  };
}

export interface DeployManifestConfig {
  readonly account?: string;
  readonly credentials?: string;
  readonly cloudProvider?: string;
  /** `text` (the `manifests` field) or `artifact` (`manifestArtifactId` / `manifestArtifact`). @default 'text' */
  readonly source: string;
  /** Kubernetes objects, or a `${...}` expression giving them. */
  readonly manifests?: unknown;
  /** An expected artifact's id, bound in this execution. */
  readonly manifestArtifactId?: string;
  /** The artifact itself, written into the stage. */
  readonly manifestArtifact?: Readonly<Record<string, unknown>>;
  readonly manifestArtifactAccount?: string;
  /** Expected artifacts (ids) whose bound artifacts must bind into the manifests (Docker images). */
  readonly requiredArtifactIds: readonly string[];
  /** Orca's BindArtifact: `{expectedArtifactId}` or `{artifact}`. */
  readonly requiredArtifacts: ReadonlyArray<Readonly<Record<string, unknown>>>;
  readonly moniker?: ManifestMoniker;
  readonly namespaceOverride?: string;
  /** Leave `${...}` in the manifests as they are (Orca's processExpressions). @default false */
  readonly skipExpressionEvaluation: boolean;
  /** Do not label the pod template. @default false */
  readonly skipSpecTemplateLabels: boolean;
  readonly trafficManagement: TrafficManagementConfig;
  /** Outputs stay empty (Orca's `noOutput`). @default false */
  readonly noOutput: boolean;
  /** Deploy only the manifests whose labels satisfy every selector (clouddriver's KubernetesSelectorList). */
  readonly labelSelectors?: { readonly selectors: readonly ManifestSelectorConfig[] };
  /** With labelSelectors, a deploy they select nothing of succeeds doing nothing instead of failing. @default false */
  readonly allowNothingSelected: boolean;
}

export type DeployManifestStage = StageBase<'deployManifest', DeployManifestConfig>;

const monikerSchema = z.looseObject({
  app: optional(anyText('the application')),
  cluster: optional(anyText('the moniker cluster')),
  stack: optional(anyText('the stack')),
  detail: optional(anyText('the detail')),
});

const trafficSchema = z.looseObject({
  enabled: withDefault(flag(), false),
  options: withDefault(
    z.looseObject({
      namespace: optional(anyText('the namespace')),
      services: withDefault(textList("services, e.g. ['service my-svc']"), []),
      enableTraffic: withDefault(flag(), false),
      strategy: withDefault(anyText('the strategy'), 'none'),
    }),
    {},
  ),
});

const schema: z.ZodType<DeployManifestConfig> = z.looseObject({
  account: optional(anyText('the account')),
  credentials: optional(anyText('the account')),
  cloudProvider: optional(anyText('the cloud provider')),
  source: withDefault(anyText("the manifest source, 'text' or 'artifact'"), 'text'),
  manifests: z.unknown().optional(),
  manifestArtifactId: optional(anyText("an expected artifact's id")),
  manifestArtifact: optional(z.record(z.string(), z.unknown())),
  manifestArtifactAccount: optional(anyText('the artifact account')),
  requiredArtifactIds: withDefault(textList("expected artifacts' ids"), []),
  requiredArtifacts: withDefault(z.array(z.record(z.string(), z.unknown())), []),
  moniker: optional(monikerSchema),
  namespaceOverride: optional(anyText('a namespace')),
  skipExpressionEvaluation: withDefault(flag(), false),
  skipSpecTemplateLabels: withDefault(flag(), false),
  trafficManagement: withDefault(trafficSchema, {}),
  noOutput: withDefault(flag(), false),
  labelSelectors: optional(labelSelectorsSchema),
  allowNothingSelected: withDefault(flag(), false),
}) as unknown as z.ZodType<DeployManifestConfig>;

/** The traffic strategy the stage runs after its deploy (`none` unless traffic management is enabled). */
export function trafficStrategyOf(config: Pick<DeployManifestConfig, 'trafficManagement'>): TrafficStrategy {
  const strategy = config.trafficManagement.options.strategy;
  if (!config.trafficManagement.enabled || !(TRAFFIC_STRATEGIES as readonly string[]).includes(strategy)) return 'none';
  return strategy as TrafficStrategy;
}

function check(config: DeployManifestConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const named = [config.account, config.credentials].some((value) => value !== undefined && value.trim() !== '');
  if (!named) issues.push(error(['account'], 'required', "'account' is required; add the Kubernetes account to deploy to, e.g. \"my-k8s-account\""));
  const source = config.source.trim();
  if (source === 'text') {
    const manifests = config.manifests;
    if (manifests === undefined || (Array.isArray(manifests) && manifests.length === 0)) {
      issues.push(error(['manifests'], 'required', "'manifests' is required with source 'text'; add at least one Kubernetes object, or set source to 'artifact' with a manifestArtifactId"));
    } else if (Array.isArray(manifests)) {
      manifests.forEach((manifest, index) => {
        if (isTemplate(manifest)) return;
        const problem = flattenManifests([manifest], 'manifests');
        if (!problem.ok) issues.push(error(['manifests', index], 'invalid-value', problem.message.replace('manifests[0]', `manifests[${index}]`)));
        else if (config.trafficManagement.enabled) {
          for (const entry of problem.value) {
            const conflict = maxVersionHistoryProblem(entry, trafficStrategyOf(config));
            if (conflict) issues.push(error(['manifests', index, 'metadata', 'annotations', 'strategy.spinnaker.io/max-version-history'], 'invalid-value', conflict));
          }
        }
      });
    } else if (!isTemplate(manifests)) {
      issues.push(error(['manifests'], 'wrong-type', `manifests is ${showValue(manifests)}; write a list of Kubernetes objects, or a \${...} expression giving one`));
    }
  } else if (source === 'artifact') {
    const hasId = config.manifestArtifactId !== undefined && config.manifestArtifactId.trim() !== '';
    if (!hasId && config.manifestArtifact === undefined) {
      issues.push(error(['manifestArtifactId'], 'required', "source 'artifact' needs the manifest's artifact: set manifestArtifactId to an expected artifact's id, or manifestArtifact to the artifact itself"));
    }
  } else if (!isTemplate(source)) {
    issues.push(error(['source'], 'invalid-value', `source is ${showValue(config.source)}; use 'text' (manifests in the stage) or 'artifact' (manifestArtifactId)`));
  }
  const traffic = config.trafficManagement;
  const strategy = traffic.options.strategy;
  if (!(TRAFFIC_STRATEGIES as readonly string[]).includes(strategy) && !isTemplate(strategy)) {
    issues.push(error(['trafficManagement', 'options', 'strategy'], 'invalid-value', `trafficManagement.options.strategy is ${showValue(strategy)}; use one of ${TRAFFIC_STRATEGIES.join(', ')}`));
  }
  traffic.options.services.forEach((service, index) => {
    if (isTemplate(service)) return;
    if (!parseLoadBalancerName(service).ok) {
      issues.push(error(['trafficManagement', 'options', 'services', index], 'invalid-value', `trafficManagement.options.services[${index}] is ${showValue(service)}; write it as 'service <name>', e.g. 'service my-svc'`));
    }
  });
  issues.push(...selectorKindIssues(config.labelSelectors));
  return issues;
}


export const deployManifestStageType = defineStageType({
  type: 'deployManifest',
  description: 'Deploys Kubernetes manifests as Spinnaker does (versions, annotations, traffic), waits until they are stable.',
  schema,
  expressionFields: ['manifests', 'account', 'namespaceOverride', 'moniker', 'manifestArtifactId', 'requiredArtifactIds', 'trafficManagement'],
  verbatimFields: ['manifests'],
  plan: (stage) => {
    const strategy = trafficStrategyOf(stage.config);
    return [
      { name: 'resolveDeploySourceManifest', kind: 'run' },
      { name: 'deployManifest', kind: 'poll', maxPolls: MANIFEST_ACTION_MAX_POLLS },
      { name: 'waitForManifestStable', kind: 'poll', maxPolls: MANIFEST_STABLE_MAX_POLLS },
      { name: 'cleanupArtifacts', kind: 'poll', maxPolls: MANIFEST_ACTION_MAX_POLLS },
      { name: 'bindProducedArtifacts', kind: 'run' },
      ...(strategy === 'redblack' || strategy === 'bluegreen' || strategy === 'highlander' ? [{ name: 'disableOldManifests', kind: 'poll' as const, maxPolls: MANIFEST_ACTION_MAX_POLLS }] : []),
      ...(strategy === 'highlander' ? [{ name: 'deleteOldManifests', kind: 'poll' as const, maxPolls: MANIFEST_ACTION_MAX_POLLS }] : []),
    ];
  },
  check,
});
