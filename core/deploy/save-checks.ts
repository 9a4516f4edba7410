/**
 * What a pipeline's deploys name, checked when it is saved, so that a cluster with a missing or
 * wrong field is refused before it runs, in one line per problem at its JSON pointer:
 *
 * - regions: every region a deploy cluster or a server-group/cluster stage names must be one its
 *   account lists (core/ports/accounts.ts), with a did-you-mean;
 * - provider fields: each cloud's own pure check of a deploy cluster entry (`ClusterFieldCheck`,
 *   passed by cloud provider from the composition roots), told whether a stage upstream may hand
 *   the deploy its image;
 * - existence: what an entry names, looked up in the account through the target
 *   (`ServerGroupPort.checkCluster`), for entries without expressions; a cloud that cannot be
 *   asked gives a warning, never a refusal.
 *
 * Values holding an expression (`${...}`) are known only when the stage runs and are left alone.
 * They read the pipeline document as given (with refIds normalized as the parser does), so their
 * lines join the parser's even when it found errors. Pure apart from the calls to the targets given.
 */
import { CREDENTIALS_STAGE_TYPES } from '../accounts/pipeline-accounts.ts';
import { editDistance } from '../accounts/registry.ts';
import { pointerJoin, type ValidationIssue } from '../issues.ts';
import { analyzeStageGraph } from '../pipeline/graph.ts';
import type { Account, AccountRegistry } from '../ports/accounts.ts';
import type { ClusterFieldChecks, ClusterFieldIssue, UpstreamImage } from '../ports/cluster-checks.ts';
import type { ClusterCheckLookup } from '../ports/target.ts';

/** Stage types whose outputs hand a later deploy its image (`deploymentDetails`). */
export const IMAGE_STAGE_TYPES: ReadonlySet<string> = new Set(['bake', 'findImage', 'findImageFromTags']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const plainText = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' && !value.includes('${') ? value.trim() : undefined);

/** Whether a value, or anything inside it, holds an expression. */
export function holdsExpression(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('${');
  if (Array.isArray(value)) return value.some(holdsExpression);
  if (isObject(value)) return Object.entries(value).some(([key, entry]) => key.includes('${') || holdsExpression(entry));
  return false;
}

/** A place that names a region: its pointer and the name. */
interface RegionReference {
  readonly pointer: string;
  readonly region: string;
}

/** One deploy cluster entry, where it is, and the account it names (when known). */
interface DeployEntry {
  readonly pointer: string;
  readonly entry: Readonly<Record<string, unknown>>;
  readonly account?: Account;
  /** The entry's cloud (`cloudProvider`, `provider`, else its account's); undefined when an expression decides it. */
  readonly cloudProvider?: string;
  readonly regions: readonly RegionReference[];
}

/** The regions a deploy cluster entry names: `availabilityZones` keys, else `regions`, else `region` (as the deploy reads them). */
function clusterRegions(entry: Readonly<Record<string, unknown>>, at: string): RegionReference[] {
  if (isObject(entry['availabilityZones'])) {
    return Object.keys(entry['availabilityZones']).flatMap((region) => (plainText(region) ? [{ pointer: pointerJoin(at, 'availabilityZones', region), region }] : []));
  }
  return stageRegions(entry, at);
}

/** `regions[]`, else `region`, of a stage or an entry. */
function stageRegions(object: Readonly<Record<string, unknown>>, at: string): RegionReference[] {
  if (Array.isArray(object['regions'])) {
    return object['regions'].flatMap((region, index) => {
      const name = plainText(region);
      return name ? [{ pointer: pointerJoin(at, 'regions', index), region: name }] : [];
    });
  }
  const region = plainText(object['region']);
  return region ? [{ pointer: pointerJoin(at, 'region'), region }] : [];
}

/** A stage of the document: where it is, its normalized refId and requisites, and its fields as written. */
interface StageView {
  readonly index: number;
  readonly refId?: string;
  readonly requisites: readonly string[];
  readonly type: unknown;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** The stages of a pipeline document, with refIds as the parser normalizes them (legacy pipelines in array order). */
function stagesOf(config: unknown): StageView[] {
  const stages = isObject(config) && Array.isArray(config['stages']) ? config['stages'] : [];
  const graph = analyzeStageGraph(stages, '');
  return stages.flatMap((stage, index) => {
    if (!isObject(stage)) return [];
    const refId = graph.refIds.get(index);
    return [{ index, ...(refId !== undefined ? { refId } : {}), requisites: graph.requisites.get(index) ?? [], type: stage['type'], raw: stage }];
  });
}

function deployEntries(stages: readonly StageView[], accounts: AccountRegistry | undefined): Array<DeployEntry & { readonly stage: StageView }> {
  const found: Array<DeployEntry & { readonly stage: StageView }> = [];
  for (const stage of stages) {
    if (stage.type !== 'deploy' || !Array.isArray(stage.raw['clusters'])) continue;
    for (const [position, entry] of stage.raw['clusters'].entries()) {
      if (!isObject(entry)) continue;
      const pointer = pointerJoin('', 'stages', stage.index, 'clusters', position);
      const accountName = plainText(entry['account']) ?? plainText(entry['credentials']);
      const account = accountName !== undefined ? accounts?.get(accountName) : undefined;
      const written = entry['cloudProvider'] ?? entry['provider'];
      const cloudProvider = written !== undefined && written !== null && written !== '' ? plainText(written) : account?.cloudProvider;
      found.push({ stage, pointer, entry, ...(account ? { account } : {}), ...(cloudProvider !== undefined ? { cloudProvider } : {}), regions: clusterRegions(entry, pointer) });
    }
  }
  return found;
}

/** The message for a region its account does not list. */
function unknownRegionMessage(region: string, account: Account): string {
  // Region names differ from each other by a few characters (us-west-2, eu-west-1): only a one-character slip is a likely typo.
  const closest = account.regions.find((candidate) => editDistance(region.toLowerCase(), candidate.toLowerCase()) <= 1);
  const hint = closest !== undefined ? `; did you mean '${closest}'?` : '';
  return `region '${region}' is not a region of account '${account.name}' (its regions: ${account.regions.join(', ')})${hint}; deploy to one of them or add the region to the account`;
}

function regionIssue(reference: RegionReference, account: Account): ValidationIssue {
  return { pointer: reference.pointer, code: 'region-unknown', message: unknownRegionMessage(reference.region, account), severity: 'error', value: reference.region };
}

/**
 * Every region a deploy cluster or a server-group/cluster stage names that its account does not
 * list. Unknown accounts and expressions are left to their own checks.
 */
export function unknownRegionIssues(config: unknown, accounts: AccountRegistry): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const stages = stagesOf(config);
  for (const cluster of deployEntries(stages, accounts)) {
    const account = cluster.account;
    if (!account) continue;
    for (const reference of cluster.regions) if (!account.regions.includes(reference.region)) issues.push(regionIssue(reference, account));
  }
  for (const stage of stages) {
    if (typeof stage.type !== 'string' || !CREDENTIALS_STAGE_TYPES.has(stage.type)) continue;
    const name = plainText(stage.raw['credentials']);
    const account = name !== undefined ? accounts.get(name) : undefined;
    if (!account) continue;
    for (const reference of stageRegions(stage.raw, pointerJoin('', 'stages', stage.index))) {
      if (!account.regions.includes(reference.region)) issues.push(regionIssue(reference, account));
    }
  }
  return issues;
}

/** The refIds upstream of a stage, through `requisiteStageRefIds`. */
function ancestorRefIds(stages: readonly StageView[], stage: StageView): Set<string> {
  const byRef = new Map(stages.flatMap((candidate) => (candidate.refId !== undefined ? [[candidate.refId, candidate] as const] : [])));
  const seen = new Set<string>();
  let frontier = [...stage.requisites];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const ref of frontier) {
      if (seen.has(ref) || ref === stage.refId) continue;
      seen.add(ref);
      next.push(...(byRef.get(ref)?.requisites ?? []));
    }
    frontier = next;
  }
  return seen;
}

/** Whether a stage before `stage` may hand its deploy an image (see `UpstreamImage`). */
function upstreamImageOf(config: unknown, stages: readonly StageView[], stage: StageView): UpstreamImage {
  const ancestors = ancestorRefIds(stages, stage);
  const imageStages = stages.filter((candidate) => typeof candidate.type === 'string' && IMAGE_STAGE_TYPES.has(candidate.type));
  if (imageStages.some((candidate) => candidate.refId !== undefined && ancestors.has(candidate.refId))) return 'yes';
  const triggers = isObject(config) && Array.isArray(config['triggers']) ? config['triggers'] : [];
  const parentTriggered = triggers.some((trigger) => isObject(trigger) && trigger['type'] === 'pipeline');
  return imageStages.length > 0 || parentTriggered ? 'maybe' : 'no';
}

/** Whether a stage before the stage at `stageIndex` may hand its deploy an image (see `UpstreamImage`). */
export function upstreamImage(config: unknown, stageIndex: number): UpstreamImage {
  const stages = stagesOf(config);
  const stage = stages.find((candidate) => candidate.index === stageIndex);
  return stage ? upstreamImageOf(config, stages, stage) : 'no';
}

/** A cloud's issue at its place in the pipeline. */
function atEntry(pointer: string, issue: ClusterFieldIssue): ValidationIssue {
  return {
    pointer: pointerJoin(pointer, ...issue.path),
    code: issue.code,
    message: issue.message,
    severity: issue.severity,
    ...(issue.value !== undefined ? { value: issue.value } : {}),
  };
}

/** Issues with the same pointer and message once (an entry checked in several regions). */
function distinct(issues: readonly ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.pointer}\n${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Each deploy cluster entry through its cloud's pure check (clouds without one are not checked here). */
export function clusterFieldIssues(config: unknown, checks: ClusterFieldChecks, accounts?: AccountRegistry): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const stages = stagesOf(config);
  for (const cluster of deployEntries(stages, accounts)) {
    const check = cluster.cloudProvider !== undefined ? checks[cluster.cloudProvider] : undefined;
    if (!check) continue;
    const found = check(cluster.entry, { regions: cluster.regions.map((reference) => reference.region), upstreamImage: upstreamImageOf(config, stages, cluster.stage) });
    issues.push(...found.map((issue) => atEntry(cluster.pointer, issue)));
  }
  return distinct(issues);
}

/**
 * What each deploy cluster entry names, looked up in its account and regions through the target
 * serving it (`checkCluster`); entries with an expression, an unknown account or a region the
 * account does not list are skipped. A cloud that cannot be asked gives one warning per entry
 * and region: the save goes on, and the deploy checks again when it runs.
 */
export async function clusterExistenceIssues(config: unknown, targets: ClusterCheckLookup, accounts?: AccountRegistry): Promise<ValidationIssue[]> {
  const lookups: Array<Promise<ValidationIssue[]>> = [];
  for (const cluster of deployEntries(stagesOf(config), accounts)) {
    const account = cluster.account;
    if (!account || holdsExpression(cluster.entry)) continue;
    const target = targets({ account: account.name, ...(cluster.cloudProvider !== undefined ? { cloudProvider: cluster.cloudProvider } : {}) });
    const check = target?.serverGroups.checkCluster;
    if (!target || !check) continue;
    for (const reference of cluster.regions) {
      if (!account.regions.includes(reference.region)) continue;
      lookups.push(
        check
          .call(target.serverGroups, { account: account.name, location: reference.region, provider: cluster.entry })
          .then((result): ValidationIssue[] => {
            if (result.ok) return result.issues.map((issue) => atEntry(cluster.pointer, issue));
            return [unavailable(cluster.pointer, account.name, reference.region, result.message)];
          })
          .catch((error: unknown) => [unavailable(cluster.pointer, account.name, reference.region, error instanceof Error ? error.message : String(error))]),
      );
    }
  }
  return distinct((await Promise.all(lookups)).flat());
}

function unavailable(pointer: string, account: string, region: string, why: string): ValidationIssue {
  return {
    pointer,
    code: 'cloud-unavailable',
    message: `could not look in account '${account}' (${region}) for what this cluster names: ${why}; saved anyway, and the deploy checks it when it runs`,
    severity: 'warning',
  };
}
