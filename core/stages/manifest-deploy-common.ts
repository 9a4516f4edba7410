/**
 * What the tasks of deployManifest and deleteManifest share (on top of manifest-common.ts): the
 * account they act in with its manifest port and settings (a deploy's namespaces come from its
 * manifests, not from `location`), the stage's fields read again after expressions were
 * evaluated, deletes, owner tokens, waits. The rules every task follows:
 * - A task never waits inside a call: it reads the objects, and while they are not where it wants
 *   them it answers RUNNING with a short, growing wait; the state machine calls it again.
 * - What a task will change is recorded in the stage's runtime *before* the first change (the
 *   names it chose, the objects it will delete), so a task delivered twice, or run again after a
 *   crash, acts on the same objects and never makes a second version.
 * - `unavailable` raises the retryable `Gennaker.TargetUnavailable`; any other failure fails the
 *   stage with the server's reason in one line and changes nothing more.
 */
import type { JsonObject } from '../ports/execution-store.ts';
import type { ManifestAccountSettings, ManifestFailure, ManifestPort, ManifestRef } from '../ports/manifests.ts';
import type { OperationResult } from '../ports/server-groups.ts';
import { getStageType, type ManifestStage } from '../pipeline/stage-types/index.ts';
import { issuesFromZod, safeParse } from '../pipeline/zod-issues.ts';
import { manifestFailure, type ManifestTaskDeps } from './manifest-common.ts';
import type { ArtifactTaskDeps } from './manifest-source.ts';
import { failed, type TaskInput, type TaskResult } from './task-result.ts';

/** What deployManifest and deleteManifest need: the targets, and artifact content for `source: artifact`. */
export type DeployManifestDeps = ManifestTaskDeps & ArtifactTaskDeps;

/** The account a deploy acts in, its API server and its settings. */
export interface AccountScope {
  readonly account: string;
  readonly port: ManifestPort;
  readonly settings: ManifestAccountSettings;
  /** `stage '<name>'`, the prefix of every failure message. */
  readonly label: string;
}

function textAt(context: JsonObject, key: string): string | undefined {
  const value = context[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The account of the stage, its manifest port and settings, or one line saying why there is none. */
export function accountScope(input: TaskInput<ManifestStage>, deps: ManifestTaskDeps): { ok: true; scope: AccountScope } | { ok: false; message: string } {
  const context = input.record.context;
  const label = `stage '${input.stage.name}'`;
  const account = textAt(context, 'account') ?? textAt(context, 'credentials');
  if (account === undefined) return { ok: false, message: `${label}: account is ${JSON.stringify(context['account'] ?? null)}; set it to the Kubernetes account to act in` };
  const cloudProvider = textAt(context, 'cloudProvider');
  const target = deps.targets({ account, ...(cloudProvider !== undefined ? { cloudProvider } : {}) });
  if (!target) {
    const known = deps.accounts?.() ?? [];
    return { ok: false, message: `${label}: no deploy target serves account '${account}'${known.length > 0 ? ` (known accounts: ${known.join(', ')})` : ''}; check account, or configure it` };
  }
  const port = target.manifests;
  if (!port) return { ok: false, message: `${label}: account '${account}' (${target.cloudProvider}) has no Kubernetes API server wired in; name a Kubernetes account` };
  const settings = port.settings(account);
  if (!settings) return { ok: false, message: `${label}: account '${account}' is not a Kubernetes account of its target; name a Kubernetes account` };
  return { ok: true, scope: { account, port, settings, label } };
}

/** The stage's fields from its context as evaluated at stage start, read by the stage type's own schema. */
export function evaluatedManifestConfig<S extends ManifestStage>(input: TaskInput<S>): { ok: true; config: S['config'] } | { ok: false; message: string } {
  const definition = getStageType(input.stage.type);
  if (!definition) return { ok: false, message: `stage '${input.stage.name}': unknown stage type ${input.stage.type}` };
  const parsed = safeParse(definition.schema, input.record.context);
  if (parsed.success) return { ok: true, config: parsed.data as S['config'] };
  const first = issuesFromZod(parsed.error, input.record.context, '')[0];
  return { ok: false, message: `stage '${input.stage.name}': ${first ? `${first.pointer.slice(1) || 'the stage'}: ${first.message}` : 'its fields are invalid after evaluating expressions'}` };
}

/** A delete's answer: done, already gone, or the failure as a task result. */
export function deleteOutcome(result: OperationResult | ManifestFailure, what: string, label: string): TaskResult | undefined {
  if (result.ok) return undefined;
  if (result.reason === 'not-found') return undefined;
  return manifestFailure(result as ManifestFailure, what, label);
}

/** The owner token of a manifest task's side effects. */
export function manifestOwner(input: Pick<TaskInput, 'execution' | 'record'>, step: string): string {
  return `${input.execution.id}/${input.record.id}/manifest/${step}`;
}

/** Seconds before the next look at objects still changing: 2, 4, 8, then 10 (Orca polls manifests about every 5-10 s). */
export function manifestWaitSeconds(poll: number): number {
  return Math.min(10, 2 ** Math.max(1, Math.min(poll, 4)));
}

/** A reference to an object, for the port. */
export function refOf(account: string, kind: string, name: string, namespace: string, apiVersion?: string): ManifestRef {
  return { account, kind, name, ...(namespace !== '' ? { namespace } : {}), ...(apiVersion !== undefined ? { apiVersion } : {}) };
}
