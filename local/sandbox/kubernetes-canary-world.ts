/**
 * What a Kubernetes canary pipeline assumes beyond the cluster, read from its JSON: the metrics
 * account its `kayentaCanary` stages read (served by the simulated cluster's Prometheus), the
 * canary config they name by id or name (a Kayenta config someone saved before), and the
 * production pipeline it reads artifacts from (`findArtifactFromExecution`) and later runs (a
 * `pipeline` stage), which must have run once already.
 *
 * What `--sandbox` supplies for them, each reported as seeded:
 * - a metrics account of each `metricsAccountName` pointing at the simulated Prometheus;
 * - a canary config under each id or name that is not saved: the error ratio (critical) and the
 *   mean latency of the scope's pods, selected by the `pod` label the simulator (like Kubernetes
 *   service discovery) gives every series: a scope names a workload, and its pods are named
 *   `<workload>-<5 chars>` (ReplicaSet) or `<workload>-<hash>-<5 chars>` (Deployment), in the
 *   namespace the scope's location names;
 * - a stand-in for a referenced pipeline that does not exist, when a `findArtifactFromExecution`
 *   needs Kubernetes artifacts from it: a pipeline of that id deploying the ConfigMaps and Secrets
 *   the stage matches, with the keys the pipeline's manifests read from them, run once before the
 *   pipeline as production would have been run (a `SUCCESS_RATE`-like key at 100: a healthy
 *   production). Spinnaker would fail `findArtifactFromExecution` on a pipeline id that does not
 *   exist; without a stage that needs its artifacts, the reference stays unknown and fails so.
 */
import { withParameters } from './world.ts';

/** A metrics account a canary stage names. */
export interface AssumedMetricsAccount {
  readonly name: string;
}

/** A canary config a `kayentaCanary` stage names by id or name, with what the sandbox needs to write one. */
export interface AssumedCanaryConfig {
  readonly id?: string;
  readonly name?: string;
  readonly application: string;
  /** Whether every scope of the stage names a location (a namespace), so the queries select by it. */
  readonly scopesHaveLocations: boolean;
}

/** A pipeline referenced by id or name that the sandbox stands in for (see the module comment). */
export interface AssumedStandInPipeline {
  /** The pipeline document to save (its `id` the reference). */
  readonly config: Readonly<Record<string, unknown>>;
  /** The parameters of the one run before the pipeline. */
  readonly parameters: Readonly<Record<string, string>>;
  /** For the report: what it deploys. */
  readonly deploys: readonly string[];
}

export interface AssumedCanaryWorld {
  readonly metricsAccounts: readonly AssumedMetricsAccount[];
  readonly canaryConfigs: readonly AssumedCanaryConfig[];
  readonly standIns: readonly AssumedStandInPipeline[];
}

/** The description of every stand-in pipeline the sandbox saves. */
const STAND_IN_DESCRIPTION = 'Seeded by gennaker --sandbox: the production pipeline this pipeline reads artifacts from and runs.';

/** Whether a saved pipeline is a stand-in the sandbox saved (so a new simulated cloud needs its run again). */
export function isSandboxStandIn(config: unknown): boolean {
  return typeof config === 'object' && config !== null && (config as Record<string, unknown>)['description'] === STAND_IN_DESCRIPTION;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' && !value.includes('${') ? value.trim() : undefined);
const list = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter(isObject) : []);

/** `SUCCESS_RATE`, `successRate` and `success-rate` are one name. */
const sameName = (a: string, b: string) => a.replace(/[^a-z0-9]/gi, '').toLowerCase() === b.replace(/[^a-z0-9]/gi, '').toLowerCase();

/** The value the stand-in's one run gives a parameter: a success rate of a healthy production, else the pipeline's default. */
function productionValue(name: string, parameterConfig: readonly Record<string, unknown>[]): string {
  if (/success.?rate/i.test(name)) return '100';
  const config = parameterConfig.find((candidate) => candidate['name'] === name);
  return config && config['default'] !== undefined && config['default'] !== null ? String(config['default']) : '';
}

/** Every `configMapKeyRef`/`secretKeyRef` key the manifests read from an object of this kind and name. */
function keysRead(manifests: readonly Record<string, unknown>[], kind: 'configMap' | 'secret', name: string): string[] {
  const refField = kind === 'configMap' ? 'configMapKeyRef' : 'secretKeyRef';
  const keys = new Set<string>();
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (isObject(value)) {
      const ref = value[refField];
      if (isObject(ref) && ref['name'] === name && typeof ref['key'] === 'string') keys.add(ref['key']);
      Object.values(value).forEach(walk);
    }
  };
  manifests.forEach(walk);
  return [...keys].sort();
}

/** The canary world these pipelines assume; `parameters` are the run's, over each pipeline's defaults. */
export function assumedCanaryWorld(pipelines: readonly unknown[], parameters: Readonly<Record<string, string>> = {}): AssumedCanaryWorld {
  const metricsAccounts = new Map<string, AssumedMetricsAccount>();
  const canaryConfigs = new Map<string, AssumedCanaryConfig>();
  const standIns = new Map<string, AssumedStandInPipeline>();
  const given = pipelines.filter(isObject);
  const known = new Set(given.flatMap((pipeline) => [text(pipeline['id']), text(pipeline['name'])]).filter((key): key is string => key !== undefined));

  for (const raw of given) {
    const pipeline = withParameters(raw, parameters) as Record<string, unknown>;
    const application = text(pipeline['application']) ?? 'app';
    const stages = list(pipeline['stages']);
    const manifests = stages.filter((stage) => stage['type'] === 'deployManifest').flatMap((stage) => list(stage['manifests']));
    const parameterConfig = list(raw['parameterConfig']);

    for (const stage of stages.filter((candidate) => candidate['type'] === 'kayentaCanary')) {
      const canary = isObject(stage['canaryConfig']) ? stage['canaryConfig'] : {};
      const account = text(canary['metricsAccountName']);
      if (account) metricsAccounts.set(account, { name: account });
      if (canary['config'] !== undefined) continue;
      const id = text(canary['canaryConfigId']);
      const name = text(canary['canaryConfigName']);
      if (!id && !name) continue;
      const scopes = list(canary['scopes']);
      const scopesHaveLocations = scopes.length > 0 && scopes.every((scope) => text(scope['controlLocation']) !== undefined && text(scope['experimentLocation']) !== undefined);
      canaryConfigs.set(id ?? `name:${name}`, { ...(id ? { id } : {}), ...(name ? { name } : {}), application, scopesHaveLocations });
    }

    // Stand-ins: the Kubernetes objects each findArtifactFromExecution expects from a pipeline that is not here.
    for (const stage of stages.filter((candidate) => candidate['type'] === 'findArtifactFromExecution')) {
      const reference = text(stage['pipeline']);
      if (!reference || known.has(reference)) continue;
      const expected = [...list(stage['expectedArtifacts']), ...(isObject(stage['expectedArtifact']) ? [stage['expectedArtifact']] : [])];
      const objects = expected.flatMap((artifact) => {
        const match = isObject(artifact['matchArtifact']) ? artifact['matchArtifact'] : {};
        const type = text(match['type']);
        const name = text(match['name']);
        if (!name || (type !== 'kubernetes/configMap' && type !== 'kubernetes/secret')) return [];
        // The account and namespace of the stage that binds it, else of any Kubernetes stage.
        const binder = stages.find((candidate) => Array.isArray(candidate['requiredArtifactIds']) && candidate['requiredArtifactIds'].includes(artifact['id'])) ?? stages.find((candidate) => text(candidate['account']) && candidate['cloudProvider'] === 'kubernetes');
        const account = text(binder?.['account']);
        if (!account) return [];
        const binderManifest = list(binder?.['manifests'])[0];
        const namespace = text(match['location']) ?? text(isObject(binderManifest?.['metadata']) ? binderManifest['metadata']['namespace'] : undefined) ?? text(binder?.['namespaceOverride']) ?? 'default';
        return [{ kind: type === 'kubernetes/configMap' ? ('configMap' as const) : ('secret' as const), name, account, namespace }];
      });
      if (objects.length === 0) continue;
      const entry = standIns.get(reference);
      const previous = entry ? list(entry.config['stages']) : [];
      // The parameters the pipeline passes when it runs the reference (`pipeline` stages), each a parameter of the stand-in.
      const passed = new Set<string>(Object.keys(entry?.parameters ?? {}));
      for (const runner of stages.filter((candidate) => candidate['type'] === 'pipeline' && text(candidate['pipeline']) === reference)) {
        for (const key of Object.keys(isObject(runner['pipelineParameters']) ? runner['pipelineParameters'] : {})) passed.add(key);
      }
      const stageOf = (object: (typeof objects)[number], index: number): Record<string, unknown> => {
        const data: Record<string, string> = {};
        for (const key of keysRead(manifests, object.kind, object.name)) {
          const parameter = [...passed].find((candidate) => sameName(candidate, key));
          data[key] = parameter !== undefined ? `\${ parameters.${parameter} }` : productionValue(key, []);
        }
        const manifest =
          object.kind === 'configMap'
            ? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: object.name, namespace: object.namespace }, data }
            : { apiVersion: 'v1', kind: 'Secret', metadata: { name: object.name, namespace: object.namespace }, stringData: data };
        return { refId: String(previous.length + index + 1), requisiteStageRefIds: [], type: 'deployManifest', name: `Deploy ${object.name}`, account: object.account, cloudProvider: 'kubernetes', source: 'text', moniker: { app: application }, manifests: [manifest] };
      };
      const deploys = objects.map((object) => `${object.kind === 'configMap' ? 'ConfigMap' : 'Secret'} ${object.namespace}/${object.name}`);
      const config = {
        id: reference,
        application: text(stage['application']) ?? application,
        name: `sandbox stand-in ${reference}`,
        description: STAND_IN_DESCRIPTION,
        parameterConfig: [...passed].sort().map((name) => ({ name, default: productionValue(name, parameterConfig) })),
        stages: [...previous, ...objects.map(stageOf)],
      };
      standIns.set(reference, {
        config,
        parameters: Object.fromEntries([...passed].sort().map((name) => [name, productionValue(name, parameterConfig)])),
        deploys: [...(entry?.deploys ?? []), ...deploys],
      });
    }
  }
  return { metricsAccounts: [...metricsAccounts.values()], canaryConfigs: [...canaryConfigs.values()], standIns: [...standIns.values()] };
}

/** The pods of a scope's workload: `<scope>-<5 chars>` (a ReplicaSet's) or `<scope>-<hash>-<5 chars>` (a Deployment's). */
const POD_OF_SCOPE = 'pod=~"${scope}(-[a-z0-9]+)?-[a-z0-9]{5}"';

/**
 * The canary config the sandbox saves for one the pipeline names and nobody saved: requests that
 * failed (5xx) over all requests, critical, and mean latency, of the scope's pods in the
 * simulated cluster's Prometheus (sandbox/kubernetes/SPEC.md, "Prometheus").
 */
export function sandboxCanaryConfig(assumed: AssumedCanaryConfig): Record<string, unknown> {
  const selector = assumed.scopesHaveLocations ? `namespace="\${location}",${POD_OF_SCOPE}` : POD_OF_SCOPE;
  const ratio = (numerator: string, denominator: string) => `PromQL:sum(rate(${numerator}[1m])) / sum(rate(${denominator}[1m]))`;
  return {
    name: assumed.name ?? assumed.id,
    description: 'Seeded by gennaker --sandbox: error ratio and mean latency of the scope\'s pods, from the simulated cluster\'s Prometheus.',
    configVersion: '1',
    applications: [assumed.application],
    judge: { name: 'NetflixACAJudge-v1.0', judgeConfigurations: {} },
    metrics: [
      {
        name: 'error-ratio',
        query: { type: 'prometheus', serviceType: 'prometheus', customFilterTemplate: 'error-ratio' },
        groups: ['errors'],
        analysisConfigurations: { canary: { direction: 'increase', critical: true, nanStrategy: 'replace' } },
        scopeName: 'default',
      },
      {
        name: 'mean-latency',
        query: { type: 'prometheus', serviceType: 'prometheus', customFilterTemplate: 'mean-latency' },
        groups: ['latency'],
        analysisConfigurations: { canary: { direction: 'increase', nanStrategy: 'remove' } },
        scopeName: 'default',
      },
    ],
    templates: {
      'error-ratio': ratio(`http_requests_total{${selector},code=~"5.."}`, `http_requests_total{${selector}}`),
      'mean-latency': ratio(`http_request_duration_seconds_sum{${selector}}`, `http_request_duration_seconds_count{${selector}}`),
    },
    classifier: { groupWeights: { errors: 70, latency: 30 } },
  };
}
