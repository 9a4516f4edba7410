/**
 * Names and ARNs of what Gennaker keeps in Step Functions. Every name is derived, never stored:
 * the state machine of a pipeline is `<prefix>-<pipelineConfigId>`, its executions are named by
 * their execution id, and its live alias is `live`, so any function can address them without
 * asking Step Functions (whose control plane refills at one call per second).
 */
import { deterministicId } from '../../core/execution/ids.ts';

/** Step Functions' limit on state machine, alias and execution names. */
export const MAX_NAME_LENGTH = 80;

/** The characters Gennaker uses in names: a safe subset of what Step Functions allows. */
const SAFE_NAME = /^[A-Za-z0-9_-]+$/;

/** The alias every execution of the latest version starts on. */
export const LIVE_ALIAS = 'live';

/** Where the state machines live: partition, region and account, from the state machine role's ARN. */
export interface StatesLocation {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

/** The location of state machines run by `roleArn` in `region`; throws a one-line error naming the bad value. */
export function statesLocation(roleArn: string, region: string): StatesLocation {
  const match = /^arn:(aws[\w-]*):iam::(\d{12}):role\/.+$/.exec(roleArn);
  if (!match) throw new Error(`state machine role ARN '${roleArn}' is not an IAM role ARN; expected arn:aws:iam::<account>:role/<name>`);
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new Error(`region '${region}' is not an AWS region; expected e.g. us-east-1`);
  return { partition: match[1]!, region, accountId: match[2]! };
}

/**
 * The state machine name of a pipeline: `<prefix>-<id>` when that is safe and short enough,
 * else a sanitized, truncated form with a hash of the id, so two ids never share a machine.
 */
export function stateMachineName(prefix: string, pipelineConfigId: string): string {
  const plain = `${prefix}-${pipelineConfigId}`;
  if (plain.length <= MAX_NAME_LENGTH && SAFE_NAME.test(plain)) return plain;
  const hash = deterministicId(pipelineConfigId).slice(0, 12);
  const readable = pipelineConfigId.replace(/[^A-Za-z0-9_-]/g, '-');
  const room = MAX_NAME_LENGTH - prefix.length - hash.length - 2;
  return `${prefix}-${readable.slice(0, Math.max(0, room))}-${hash}`;
}

/**
 * The state machine of a pipeline's child `key` (a stage run as its own machine):
 * `<prefix>.<pipelineConfigId>.<key>`, or, when that is unsafe or over 80 characters, a
 * truncated form with a hash of the id. The `.` keeps children outside `<prefix>-*`: the
 * execution-status rule and the reconciler match `<prefix>-` only, so a child's end (its
 * execution is named by the parent's execution id) is never mistaken for the parent's end;
 * and no other deployment's prefix can contain a `.`.
 */
export function childStateMachineName(prefix: string, pipelineConfigId: string, key: string): string {
  if (!/^[A-Za-z0-9_-]{1,24}$/.test(key)) throw new Error(`child key '${key}' must be 1-24 letters, digits, '-' or '_' (as the compiler produces them)`);
  const plain = `${prefix}.${pipelineConfigId}.${key}`;
  if (plain.length <= MAX_NAME_LENGTH && SAFE_NAME.test(pipelineConfigId)) return plain;
  const hash = deterministicId(pipelineConfigId).slice(0, 12);
  const readable = pipelineConfigId.replace(/[^A-Za-z0-9_-]/g, '-');
  const room = MAX_NAME_LENGTH - prefix.length - hash.length - key.length - 3;
  return `${prefix}.${readable.slice(0, Math.max(0, room))}-${hash}.${key}`;
}

/** Whether Step Functions accepts `name` as an execution name the way Gennaker uses it (ids map 1:1 to names). */
export function isExecutionName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && SAFE_NAME.test(name);
}

export function stateMachineArn(location: StatesLocation, name: string): string {
  return `arn:${location.partition}:states:${location.region}:${location.accountId}:stateMachine:${name}`;
}

export function executionArn(location: StatesLocation, machineName: string, executionName: string): string {
  return `arn:${location.partition}:states:${location.region}:${location.accountId}:execution:${machineName}:${executionName}`;
}

/** The Gennaker version a version description (`v12 of app/name`) names, or undefined. */
export function versionOfDescription(description: string | undefined): number | undefined {
  const match = /^v(\d+) of /.exec(description ?? '');
  return match ? Number(match[1]) : undefined;
}

/** What a published version and the live alias are described as. */
export function versionDescription(version: number, application: string, name: string): string {
  const text = `v${version} of ${application}/${name}`;
  // Step Functions' limit on descriptions; the leading `v<n> of ` is what is read back.
  return text.length <= 256 ? text : `${text.slice(0, 255)}…`;
}
