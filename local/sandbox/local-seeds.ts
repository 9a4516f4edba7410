/**
 * `--sandbox` on the `local` cloud: a run's local deploys go to a scratch target (its instances
 * stop when the run ends), and a cluster a replacing or canary strategy deploys to gets the
 * server group that strategy assumes serves already: `-v000`, started through the local target
 * from the entry's own artifact and settings (version `sandbox-previous`), Up before the run
 * starts, so the run shows the whole replacement, as the simulated clouds do.
 */
import { clusterName, serverGroupName } from '../../core/deploy/names.ts';
import type { ArtifactReference } from '../../core/deploy/model.ts';
import type { TargetLookup } from '../../core/ports/target.ts';
import type { SeededResource } from './aws-sandbox.ts';
import { withParameters } from './world.ts';

/** The owner token of what the sandbox starts before a run (a server group made "by hand"). */
const SEED_OWNER = 'gennaker-sandbox-seed';
/** The version label of the seeded server group's artifact. */
export const LOCAL_PREVIOUS_VERSION = 'sandbox-previous';
/** Strategies that act on a serving server group. */
const NEEDS_PRODUCTION = new Set(['redblack', 'rollingredblack', 'highlander', 'canary']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' && !value.includes('${') ? value.trim() : undefined);

/** A local cluster a strategy expects to be serving, with what to start its `-v000` from. */
export interface AssumedLocalServing {
  readonly account: string;
  readonly cluster: string;
  readonly artifact: ArtifactReference;
  readonly capacity: { readonly min: number; readonly max: number; readonly desired: number };
  readonly entry: Readonly<Record<string, unknown>>;
}

/** The local clusters these pipelines' replacing or canary deploys assume serve, one per cluster. */
export function assumedLocalServing(pipelines: readonly unknown[], parameters: Readonly<Record<string, string>> = {}): AssumedLocalServing[] {
  const found = new Map<string, AssumedLocalServing>();
  for (const given of pipelines) {
    const pipeline = withParameters(given, parameters);
    const stages = isObject(pipeline) && Array.isArray(pipeline['stages']) ? pipeline['stages'].filter(isObject) : [];
    for (const stage of stages) {
      if (stage['type'] !== 'deploy') continue;
      for (const entry of Array.isArray(stage['clusters']) ? stage['clusters'].filter(isObject) : []) {
        const provider = text(entry['cloudProvider']) ?? text(entry['provider']);
        const account = text(entry['account']);
        const application = text(entry['application']);
        const artifact = isObject(entry['artifact']) ? entry['artifact'] : undefined;
        const type = text(artifact?.['type']);
        const reference = text(artifact?.['reference']);
        if (provider !== 'local' || !account || !application || !type || !reference || !NEEDS_PRODUCTION.has(text(entry['strategy']) ?? '')) continue;
        const cluster = clusterName(application, text(entry['stack']), text(entry['freeFormDetails']));
        if (found.has(`${account}/${cluster}`)) continue;
        const capacity = isObject(entry['capacity']) ? entry['capacity'] : {};
        const number = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fallback);
        const desired = Math.max(1, number(capacity['desired'], 1));
        found.set(`${account}/${cluster}`, {
          account,
          cluster,
          // The same source as the release, labelled as the version before it.
          artifact: { type, reference, version: LOCAL_PREVIOUS_VERSION },
          capacity: { min: Math.min(number(capacity['min'], desired), desired), max: Math.max(number(capacity['max'], desired), desired), desired },
          entry,
        });
      }
    }
  }
  return [...found.values()];
}

/**
 * Starts `-v000` of each assumed cluster that has no server group yet through the local target,
 * and waits (wall clock: real processes) until it serves. A failure is reported, not thrown: the
 * run's own deploy then says what is wrong with the entry in its own words.
 */
export async function seedLocalServing(targets: TargetLookup | undefined, assumed: readonly AssumedLocalServing[], options: { readonly timeoutMs?: number; readonly sleep?: (ms: number) => Promise<void> } = {}): Promise<SeededResource[]> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const seeded: SeededResource[] = [];
  for (const serving of assumed) {
    const target = targets?.({ account: serving.account, cloudProvider: 'local' });
    if (!target) continue;
    const ref = { account: serving.account, location: 'local', cluster: serving.cluster };
    const before = await target.serverGroups.describeCluster(ref);
    if (before.ok && before.cluster.serverGroups.length > 0) continue;
    const name = serverGroupName(serving.cluster, 0);
    const strategy = String(serving.entry['strategy']);
    const created = await target.serverGroups.create({ ...ref, name, owner: SEED_OWNER, capacity: serving.capacity, artifact: serving.artifact, provider: serving.entry });
    if (!created.ok) {
      seeded.push({ kind: 'not seeded:', id: `server group ${name}`, detail: created.message });
      continue;
    }
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let up = 0;
    while (Date.now() < deadline) {
      const described = await target.serverGroups.describeCluster(ref);
      const group = described.ok ? described.cluster.serverGroups.find((candidate) => candidate.name === name) : undefined;
      up = group?.instances.filter((instance) => instance.health === 'Up').length ?? 0;
      if (group && !group.disabled && up >= serving.capacity.desired) break;
      await sleep(100);
    }
    seeded.push(
      up >= serving.capacity.desired
        ? { kind: 'server group', id: name, detail: `${serving.account}, local, ${up} instance${up === 1 ? '' : 's'} Up, serving ${serving.artifact.reference}@${LOCAL_PREVIOUS_VERSION} before the ${strategy} deploy` }
        : { kind: 'not seeded:', id: `server group ${name}`, detail: `${up} of ${serving.capacity.desired} instances Up after ${(options.timeoutMs ?? 60_000) / 1000} s; check its health check settings` },
    );
  }
  return seeded;
}
