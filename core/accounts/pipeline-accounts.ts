/**
 * Unknown accounts refused when a pipeline is saved (DESIGN.md §6): every field of the pipeline
 * that names a deploy account is looked up in the registry, and an unknown one is an issue at its
 * JSON pointer naming the value, the known accounts and the closest one ("did you mean"). The
 * fields, as Spinnaker names them: `clusters[].account` of a deploy; `credentials` of the
 * server-group, cluster and findImage stages (and of cloneServerGroup, with its `source.account`) and of a clusterSize precondition (or of its stage, when it names none); `account` (or
 * `credentials`) of a runJob, of an awsCodeBuild, of Spinnaker's Lambda stages and of its Kubernetes manifest stages. A value holding an expression is left alone: it is known only when
 * the stage runs. Pure: the pipeline JSON as given in, issues out.
 */
import { pointerJoin, type ValidationIssue } from '../issues.ts';
import type { AccountRegistry } from '../ports/accounts.ts';
import { MANIFEST_OPERATION_STAGE_TYPES } from '../pipeline/stage-types/index.ts';
import { closestName } from './registry.ts';

/** Stage types whose `credentials` names the account they act in. */
export const CREDENTIALS_STAGE_TYPES: ReadonlySet<string> = new Set([
  'enableServerGroup',
  'disableServerGroup',
  'resizeServerGroup',
  'destroyServerGroup',
  'disableCluster',
  'scaleDownCluster',
  'shrinkCluster',
  'rollbackCluster',
  'rollbackServerGroup',
  'findImage',
  'cloneServerGroup',
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every place in the pipeline that names an account: its pointer and the name as written. */
export function accountReferences(config: unknown): Array<{ readonly pointer: string; readonly account: unknown }> {
  const found: Array<{ pointer: string; account: unknown }> = [];
  const stages = isObject(config) && Array.isArray(config['stages']) ? config['stages'] : [];
  for (const [index, stage] of stages.entries()) {
    if (!isObject(stage)) continue;
    const at = pointerJoin('', 'stages', index);
    const named = (object: Record<string, unknown>, key: string, base: string) => {
      if (key in object) found.push({ pointer: pointerJoin(base, key), account: object[key] });
    };
    switch (stage['type']) {
      case 'deploy': {
        const clusters = Array.isArray(stage['clusters']) ? stage['clusters'] : [];
        for (const [position, cluster] of clusters.entries()) if (isObject(cluster)) named(cluster, 'account', pointerJoin(at, 'clusters', position));
        break;
      }
      case 'cloneServerGroup':
        // Deck writes `credentials`; a clone copied from a deploy cluster may say `account`. The source's account too.
        named(stage, 'credentials', at);
        named(stage, 'account', at);
        if (isObject(stage['source'])) named(stage['source'], 'account', pointerJoin(at, 'source'));
        break;
      case 'runJob':
      case 'awsCodeBuild':
      case 'Aws.LambdaDeploymentStage':
      case 'lambdaDeployment':
      case 'Aws.LambdaUpdateCodeStage':
      case 'lambdaUpdateCode':
      case 'Aws.LambdaTrafficRoutingStage':
      case 'lambdaTrafficRouting':
      case 'Aws.LambdaInvokeStage':
      case 'lambdaInvoke':
      case 'Aws.LambdaDeleteStage':
      case 'lambdaDelete':
        named(stage, 'account', at);
        named(stage, 'credentials', at);
        break;
      case 'checkPreconditions': {
        // A clusterSize precondition without credentials counts in the stage's.
        const preconditions = Array.isArray(stage['preconditions']) ? stage['preconditions'] : [];
        let inherits = false;
        for (const [position, precondition] of preconditions.entries()) {
          if (!isObject(precondition) || precondition['type'] !== 'clusterSize') continue;
          const context = isObject(precondition['context']) ? precondition['context'] : {};
          if ('credentials' in context) named(context, 'credentials', pointerJoin(at, 'preconditions', position, 'context'));
          else inherits = true;
        }
        if (inherits) named(stage, 'credentials', at);
        break;
      }
      default:
        if (typeof stage['type'] === 'string' && CREDENTIALS_STAGE_TYPES.has(stage['type'])) named(stage, 'credentials', at);
        if (typeof stage['type'] === 'string' && ((MANIFEST_OPERATION_STAGE_TYPES as readonly string[]).includes(stage['type']) || stage['type'] === 'deployManifest' || stage['type'] === 'deleteManifest')) {
          named(stage, 'account', at);
          named(stage, 'credentials', at);
        }
    }
  }
  return found;
}

/** The message for an account the registry does not know. */
export function unknownAccountMessage(account: string, registry: AccountRegistry): string {
  const known = registry.list().map((entry) => entry.name);
  const closest = closestName(account, known);
  const listed = known.length === 0 ? 'no accounts are configured' : `known accounts: ${known.join(', ')}`;
  return `account '${account}' is not known (${listed})${closest !== undefined ? `; did you mean '${closest}'?` : ''}`;
}

/** One issue per account the pipeline names that the registry does not know. Blank values and expressions are left to the stages' own checks. */
export function unknownAccountIssues(config: unknown, registry: AccountRegistry): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const { pointer, account } of accountReferences(config)) {
    if (typeof account !== 'string' || account.trim() === '' || account.includes('${')) continue;
    if (registry.get(account) !== undefined) continue;
    issues.push({ pointer, code: 'account-unknown', message: unknownAccountMessage(account, registry), severity: 'error', value: account });
  }
  return issues;
}
