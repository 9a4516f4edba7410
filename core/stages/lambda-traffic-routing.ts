/**
 * The tasks of `Aws.LambdaTrafficRoutingStage` (core/pipeline/stage-types/lambda-traffic-routing.ts):
 *
 * 1. lambdaTrafficUpdateTask: resolves the version selectors once (`ListVersionsByFunction`) and
 *    saves the routing it chose before acting, so a retry never resolves `$LATEST` to a newer
 *    version; reads the alias (`GetAlias`); for `$BLUEGREEN` invokes the new version with the
 *    payload and compares its answer first (a mismatch fails the stage and the alias stays where
 *    it was); then `UpdateAlias` (or `CreateAlias`) unless the alias already routes so — alias
 *    updates are idempotent by content.
 * 2. lambdaTrafficUpdateVerificationTask: reads the alias back: a weight is never assumed set.
 *
 * The alias only ever names published versions: the selectors resolve to numbers, never `$LATEST`.
 */
import { z } from 'zod';
import type { JsonObject } from '../ports/execution-store.ts';
import type { AliasSpec, FunctionAlias } from '../ports/functions.ts';
import { artifactText, type LambdaTrafficRoutingConfig, type LambdaTrafficRoutingStage } from '../pipeline/stage-types/index.ts';
import {
  LAMBDA_PROGRESS_KEY,
  afterConflict,
  evaluatedConfig,
  failure,
  lambdaScope,
  missingFunction,
  newestFirst,
  numberField,
  oneLine,
  readFunction,
  resolveOne,
  type LambdaScope,
  type LambdaTaskDeps,
} from './lambda-common.ts';
import { failed, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** The routing chosen when the stage started. */
const planSchema = z.object({
  major: z.string(),
  /** The second version and its share (0-1), for `$WEIGHTED`. */
  minor: z.string().optional(),
  weight: z.number().optional(),
  /** What the alias named before, for messages. */
  before: z.string().optional(),
});

const progressSchema = z.looseObject({
  plan: planSchema.optional(),
  /** `$BLUEGREEN`: the health check passed (saved before the alias moves, so it runs once). */
  checked: z.boolean().optional(),
});

type Progress = z.output<typeof progressSchema>;
type Plan = z.output<typeof planSchema>;

function progressOf(input: TaskInput): Progress {
  const parsed = progressSchema.safeParse(input.record.runtime[LAMBDA_PROGRESS_KEY] ?? {});
  return parsed.success ? parsed.data : {};
}

/** Orca's strategy names, for the `deployment:strategyUsed` output. */
const STRATEGY_USED = { $SIMPLE: 'SimpleDeploymentStrategy', $WEIGHTED: 'WeightedDeploymentStrategy', $BLUEGREEN: 'BlueGreenDeploymentStrategy' } as const;

/** Runs one task of an `Aws.LambdaTrafficRoutingStage`. */
export async function runLambdaTrafficRoutingTask(input: TaskInput<LambdaTrafficRoutingStage>, deps: LambdaTaskDeps): Promise<TaskResult> {
  const scoped = lambdaScope(input, deps);
  if (!scoped.ok) return failed(scoped.message);
  const evaluated = evaluatedConfig(input);
  if (!evaluated.ok) return failed(evaluated.message);
  const scope = scoped.scope;
  const config = evaluated.config;
  switch (input.task) {
    case 'lambdaTrafficUpdateTask':
      return trafficUpdateTask(input, scope, config);
    case 'lambdaTrafficUpdateVerificationTask':
      return verificationTask(input, scope, config);
    default:
      return failed(`${scope.label}: ${input.stage.type} has no task '${input.task}'`);
  }
}

/** The alias as the plan wants it. */
function specOf(config: LambdaTrafficRoutingConfig, plan: Plan): AliasSpec {
  const weights = plan.minor !== undefined && plan.weight !== undefined && plan.weight > 0 && plan.minor !== plan.major ? { [plan.minor]: plan.weight } : {};
  return { name: config.aliasName, functionVersion: plan.major, additionalVersionWeights: weights, ...(config.aliasDescription ? { description: config.aliasDescription } : {}) };
}

function sameRouting(alias: FunctionAlias, spec: AliasSpec): boolean {
  const have = Object.entries(alias.additionalVersionWeights);
  const want = Object.entries(spec.additionalVersionWeights);
  return alias.functionVersion === spec.functionVersion && have.length === want.length && want.every(([version, weight]) => Math.abs((alias.additionalVersionWeights[version] ?? -1) - weight) < 1e-9);
}

/** `version 3`, or `version 2 with 10% on version 3`. */
export function describeRouting(functionVersion: string, weights: Readonly<Record<string, number>>): string {
  const [minor, weight] = Object.entries(weights)[0] ?? [];
  return minor === undefined || weight === undefined ? `version ${functionVersion}` : `version ${functionVersion} with ${Math.round(weight * 1000) / 10}% on version ${minor}`;
}

/** Resolves the selectors against the published versions (Orca's setupInput of each strategy). */
async function planRouting(input: TaskInput<LambdaTrafficRoutingStage>, scope: LambdaScope, config: LambdaTrafficRoutingConfig): Promise<{ ok: true; plan: Plan } | { ok: false; result: TaskResult }> {
  const listed = await scope.port.listVersions(scope.ref);
  if (!listed.ok) {
    if (listed.reason === 'not-found') return { ok: false, result: missingFunction(scope) };
    return { ok: false, result: failure(listed, `listing the versions of '${scope.ref.functionName}'`, scope.label) };
  }
  const newest = newestFirst(listed.value);
  const label = scope.label;
  const unresolved = (message: string) => ({ ok: false as const, result: failed(message) });
  switch (config.deploymentStrategy) {
    case '$SIMPLE': {
      const a = resolveOne(config.versionNameA ?? '$LATEST', newest, 'versionNameA', label, config.versionNumberA);
      return a.ok ? { ok: true, plan: { major: a.version } } : unresolved(a.message);
    }
    case '$WEIGHTED': {
      const a = resolveOne(config.versionNameA ?? '', newest, 'versionNameA', label, config.versionNumberA);
      if (!a.ok) return unresolved(a.message);
      const b = resolveOne(config.versionNameB ?? '', newest, 'versionNameB', label, config.versionNumberB);
      if (!b.ok) return unresolved(b.message);
      const percent = numberField(config.trafficPercentA, 'trafficPercentA', label);
      if (!percent.ok) return unresolved(percent.message);
      if (percent.value === undefined || percent.value < 0 || percent.value > 100) return unresolved(`${label}: trafficPercentA is ${String(percent.value)}; set version A's share, 0-100`);
      // Orca's weight on version B (cloud-targets.md §8.3).
      return { ok: true, plan: { major: a.version, minor: b.version, weight: (100 - percent.value) / 100 } };
    }
    case '$BLUEGREEN': {
      const latest = resolveOne('$LATEST', newest, 'the newest version', label);
      return latest.ok ? { ok: true, plan: { major: latest.version } } : unresolved(latest.message);
    }
    default: {
      const unknown: never = config.deploymentStrategy;
      return unresolved(`${label}: unknown deploymentStrategy ${String(unknown)}`);
    }
  }
}

/**
 * What a health-check invocation answered, as Orca reads it (LambdaUtils.getLambdaInvokeResults):
 * the `body` (or `payload`) string of a JSON answer, else the whole answer.
 */
export function answerBody(payload: string): string {
  try {
    const parsed: unknown = JSON.parse(payload);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const fields = parsed as Record<string, unknown>;
      if (typeof fields.body === 'string') return fields.body;
      if (typeof fields.payload === 'string') return fields.payload;
    }
  } catch {
    // Not JSON: compared as it is.
  }
  return payload;
}

/** Orca compares with spaces, tabs and newlines removed. */
function squeezed(text: string): string {
  return text.replace(/[\n\t ]/g, '');
}

async function blueGreenCheck(input: TaskInput<LambdaTrafficRoutingStage>, scope: LambdaScope, config: LambdaTrafficRoutingConfig, plan: Plan, aliasNow: string): Promise<TaskResult | undefined> {
  const label = scope.label;
  const payload = config.payloadArtifact ? artifactText(config.payloadArtifact, 'payloadArtifact') : { ok: false as const, message: 'payloadArtifact is missing' };
  if (!payload.ok) return failed(`${label}: ${payload.message}`);
  const expected = config.outputArtifact ? artifactText(config.outputArtifact, 'outputArtifact') : { ok: false as const, message: 'outputArtifact is missing' };
  if (!expected.ok) return failed(`${label}: ${expected.message}`);
  const invoked = await scope.port.invoke(scope.ref, { qualifier: plan.major, payload: payload.text });
  if (!invoked.ok) return afterConflict(scope, invoked, `invoking version ${plan.major} of '${scope.ref.functionName}' for the $BLUEGREEN health check`, input.poll);
  const outcome = invoked.value;
  const keeps = `alias '${config.aliasName}' still routes to ${aliasNow}`;
  if (outcome.functionError !== undefined) {
    return failed(`${label}: $BLUEGREEN health check failed: version ${plan.major} answered with an error (${outcome.functionError}): ${oneLine(outcome.payload)}; ${keeps}`);
  }
  const actual = squeezed(answerBody(outcome.payload));
  const wanted = squeezed(expected.text);
  if (actual !== wanted) {
    return failed(`${label}: $BLUEGREEN health check failed: version ${plan.major} answered '${oneLine(actual, 120)}', expected '${oneLine(wanted, 120)}'; ${keeps}`);
  }
  return undefined;
}

async function trafficUpdateTask(input: TaskInput<LambdaTrafficRoutingStage>, scope: LambdaScope, config: LambdaTrafficRoutingConfig): Promise<TaskResult> {
  let progress = progressOf(input);
  const what = `alias '${config.aliasName}' of '${scope.ref.functionName}'`;
  const got = await scope.port.getAlias(scope.ref, config.aliasName);
  if (!got.ok) {
    if (got.reason === 'not-found') return missingFunction(scope);
    return failure(got, `reading ${what}`, scope.label);
  }
  const alias = got.value;
  const aliasNow = alias === undefined ? 'nothing (it does not exist yet)' : describeRouting(alias.functionVersion, alias.additionalVersionWeights);
  if (progress.plan === undefined) {
    const planned = await planRouting(input, scope, config);
    if (!planned.ok) return planned.result;
    const intent: Progress = { ...progress, plan: { ...planned.plan, ...(alias !== undefined ? { before: aliasNow } : {}) } };
    const saved = await input.saveRuntime(LAMBDA_PROGRESS_KEY, intent as JsonObject);
    if (!saved.ok) return running(1);
    progress = intent;
  }
  const plan = progress.plan!;
  const spec = specOf(config, plan);
  if (alias !== undefined && sameRouting(alias, spec)) return succeeded(outputsOf(config, plan), { runtime: { [LAMBDA_PROGRESS_KEY]: progress as JsonObject } });
  if (config.deploymentStrategy === '$BLUEGREEN' && progress.checked !== true) {
    const checked = await blueGreenCheck(input, scope, config, plan, aliasNow);
    if (checked !== undefined) return checked;
    progress = { ...progress, checked: true };
    const saved = await input.saveRuntime(LAMBDA_PROGRESS_KEY, progress as JsonObject);
    if (!saved.ok) return running(1);
  }
  const done = alias === undefined ? await scope.port.createAlias(scope.ref, spec) : await scope.port.updateAlias(scope.ref, spec, alias.revisionId !== undefined ? { revisionId: alias.revisionId } : {});
  if (!done.ok) {
    if (done.reason === 'already-exists') return running(1);
    if (done.reason === 'not-found') {
      const read = await readFunction(scope);
      if (read.ok && read.value === undefined) return missingFunction(scope);
    }
    return afterConflict(scope, done, `routing ${what} to ${describeRouting(spec.functionVersion, spec.additionalVersionWeights)}`, input.poll);
  }
  return succeeded(outputsOf(config, plan), { runtime: { [LAMBDA_PROGRESS_KEY]: progress as JsonObject } });
}

/** Orca's outputs of a traffic update (`deployment:*`). */
function outputsOf(config: LambdaTrafficRoutingConfig, plan: Plan): JsonObject {
  return {
    'deployment:majorVersionDeployed': plan.major,
    ...(plan.minor !== undefined ? { 'deployment:minorVersionDeployed': plan.minor } : {}),
    'deployment:aliasDeployed': config.aliasName,
    'deployment:strategyUsed': STRATEGY_USED[config.deploymentStrategy],
  };
}

/** Reads that may disagree before the verification gives up (Lambda's reads are consistent; this covers a racing change). */
const VERIFY_ATTEMPTS = 3;

async function verificationTask(input: TaskInput<LambdaTrafficRoutingStage>, scope: LambdaScope, config: LambdaTrafficRoutingConfig): Promise<TaskResult> {
  const plan = progressOf(input).plan;
  if (plan === undefined) return failed(`${scope.label}: nothing to verify: the traffic update saved no routing`);
  const spec = specOf(config, plan);
  const got = await scope.port.getAlias(scope.ref, config.aliasName);
  if (!got.ok) return failure(got, `reading alias '${config.aliasName}' of '${scope.ref.functionName}'`, scope.label);
  const alias = got.value;
  if (alias !== undefined && sameRouting(alias, spec)) return succeeded({ aliasVerified: true });
  const now = alias === undefined ? 'it does not exist' : `it routes to ${describeRouting(alias.functionVersion, alias.additionalVersionWeights)}`;
  if (input.poll < VERIFY_ATTEMPTS) return running(2, { context: { waitingFor: `alias '${config.aliasName}' to route to ${describeRouting(spec.functionVersion, spec.additionalVersionWeights)}` } });
  return failed(`${scope.label}: alias '${config.aliasName}' does not route as set: ${now}, not ${describeRouting(spec.functionVersion, spec.additionalVersionWeights)}; another change raced this stage`);
}
