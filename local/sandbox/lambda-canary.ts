/**
 * What `--sandbox` adds for canary analysis of a Lambda alias's versions (Spinnaker's
 * `kayentaCanary` over CloudWatch, examples/pipelines/lambda-canary.json):
 *
 * - a CloudWatch metrics account, served by the simulated CloudWatch, for each
 *   `metricsAccountName` of a `kayentaCanary` stage whose inline canary config reads `cloudwatch`
 *   metrics;
 * - steady traffic on each alias a traffic-routing stage moves, split between its versions as the
 *   alias routes it: every alias change the simulator records becomes, from that instant, a
 *   CloudWatch traffic level per version (`AWS/Lambda` by FunctionName, Resource `<fn>:<alias>`
 *   and ExecutedVersion), the share of each version its weight;
 * - faulty builds: a code package whose version ends in `-bad` (`hello-api/2.0.0-bad.zip`) is a
 *   release that fails FAULTY_ERROR_RATE of its invocations; every version published from it does
 *   (in its traffic levels and when invoked), every other version fails none.
 *
 * The traffic follows the simulator's event log, read as the sandbox's clock moves (`sync`): an
 * alias change gets its traffic level from the instant it happened, before any canary interval
 * that covers it ends.
 */
import type { AwsSimulator } from '../../sandbox/aws/server.ts';
import { withParameters } from './world.ts';

/** Invocations per second the sandbox sends to an alias. */
export const ALIAS_REQUESTS_PER_SECOND = 10;
/** Share of invocations a faulty build fails. */
export const FAULTY_ERROR_RATE = 0.25;
/** Mean duration of every version's invocations, in milliseconds. */
const DURATION_MS = 50;

/** Whether a code package (`bucket/key`) is a faulty build: its version, the file name without extension, ends in `-bad`. */
export function isFaultyPackage(object: string): boolean {
  const file = object.slice(object.lastIndexOf('/') + 1).replace(/\.(zip|jar)$/i, '');
  return /-bad$/i.test(file);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' && !value.includes('${') ? value.trim() : undefined);

/** Whether a canary config document (inline) reads a metric of type `cloudwatch`. */
function readsCloudWatch(config: unknown): boolean {
  const metrics = isObject(config) && Array.isArray(config['metrics']) ? config['metrics'] : [];
  return metrics.some((metric) => isObject(metric) && isObject(metric['query']) && (metric['query']['type'] ?? metric['query']['serviceType']) === 'cloudwatch');
}

/** The metrics accounts of the pipelines' `kayentaCanary` stages whose inline configs read CloudWatch. */
export function cloudWatchMetricsAccounts(pipelines: readonly unknown[], parameters: Readonly<Record<string, string>> = {}): string[] {
  const names = new Set<string>();
  for (const given of pipelines) {
    const pipeline = withParameters(given, parameters);
    const stages = isObject(pipeline) && Array.isArray(pipeline['stages']) ? pipeline['stages'] : [];
    for (const stage of stages) {
      if (!isObject(stage) || stage['type'] !== 'kayentaCanary' || !isObject(stage['canaryConfig'])) continue;
      const canary = stage['canaryConfig'];
      const account = text(canary['metricsAccountName']);
      if (account && readsCloudWatch(canary['config'])) names.add(account);
    }
  }
  return [...names].sort();
}

/** An alias that gets traffic. */
export interface WatchedAlias {
  readonly region: string;
  readonly functionName: string;
  readonly alias: string;
}

/** The traffic of the aliases the sandbox watches, kept in step with the simulator's alias changes. */
export interface LambdaTraffic {
  /** Sends steady traffic to this alias from now on (and from its earlier changes); answers whether it is new. */
  watch(alias: WatchedAlias): boolean;
  /** Marks a seeded code package (by its CodeSha256) as a faulty build. */
  faulty(codeSha256: string): void;
  /** Reads the alias changes and publications since the last call into traffic levels and behaviours. */
  sync(): void;
}

/** Follows `simulator`'s Lambda events (see the module comment). */
export function createLambdaTraffic(simulator: AwsSimulator): LambdaTraffic {
  const watched = new Map<string, WatchedAlias>();
  const faultyShas = new Set<string>();
  /** function name → version → whether it is faulty. */
  const versions = new Map<string, Map<string, boolean>>();
  /** `<fn>:<alias>` → versions given traffic so far (a version routed away gets a level of 0). */
  const routed = new Map<string, Set<string>>();
  let read = 0;

  const versionFaulty = (functionName: string, version: string) => versions.get(functionName)?.get(version) === true;

  return {
    watch(alias) {
      const key = `${alias.functionName}:${alias.alias}`;
      if (watched.has(key)) return false;
      watched.set(key, alias);
      return true;
    },
    faulty(codeSha256) {
      faultyShas.add(codeSha256);
    },
    sync() {
      if (watched.size === 0) return;
      const events = simulator.events({ service: 'lambda' }).filter((event) => event.seq > read);
      for (const event of events) {
        read = event.seq;
        const detail = event.detail;
        const functionName = String(detail['functionName']);
        if (event.kind === 'lambda.version-published') {
          const faulty = faultyShas.has(String(detail['codeSha256']));
          const known = versions.get(functionName) ?? new Map<string, boolean>();
          known.set(String(detail['version']), faulty);
          versions.set(functionName, known);
          // Invoking the version directly behaves as its traffic does.
          if (faulty) simulator.seed.lambda.behaviour({ functionName, version: String(detail['version']), errorRate: FAULTY_ERROR_RATE, latencyMs: DURATION_MS });
          continue;
        }
        if (event.kind !== 'lambda.alias') continue;
        const key = `${functionName}:${String(detail['alias'])}`;
        const alias = watched.get(key);
        if (!alias) continue;
        const major = String(detail['functionVersion']);
        const extra = isObject(detail['additionalVersionWeights']) ? (detail['additionalVersionWeights'] as Record<string, number>) : {};
        const shares = new Map<string, number>([[major, 1 - Object.values(extra).reduce((sum, weight) => sum + weight, 0)]]);
        for (const [version, weight] of Object.entries(extra)) shares.set(version, weight);
        const before = routed.get(key) ?? new Set<string>();
        for (const version of before) if (!shares.has(version)) shares.set(version, 0);
        for (const [version, share] of shares) {
          simulator.seed.cloudwatch.traffic({
            namespace: 'AWS/Lambda',
            region: alias.region,
            dimensions: { FunctionName: functionName, Resource: key, ExecutedVersion: version },
            requestsPerSecond: ALIAS_REQUESTS_PER_SECOND * share,
            errorRate: versionFaulty(functionName, version) ? FAULTY_ERROR_RATE : 0,
            latencyMs: DURATION_MS,
            from: event.time,
          });
        }
        routed.set(key, new Set([...before, ...shares.keys()]));
      }
    },
  };
}
