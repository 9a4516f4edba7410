/**
 * The tasks of `Aws.LambdaInvokeStage` (core/pipeline/stage-types/lambda-invoke.ts):
 *
 * 1. lambdaInvokeTask: `Invoke` through the alias (or `$LATEST`) `executionCount` times. Each answer
 *    is saved as soon as it arrives, so a task run again continues with the invocations still to
 *    make and never repeats one that answered. A function still Pending or updating (409) is
 *    waited out.
 * 2. lambdaInvokeVerificationTask: the answers become `invokeResultsList` (Orca's shape: `body`,
 *    `response`, `errors`, `logs`); the stage fails when an invocation failed.
 */
import { z } from 'zod';
import type { JsonObject } from '../ports/execution-store.ts';
import { artifactText, type LambdaInvokeStage } from '../pipeline/stage-types/index.ts';
import { LAMBDA_PROGRESS_KEY, afterConflict, evaluatedConfig, lambdaScope, numberField, oneLine, type LambdaTaskDeps } from './lambda-common.ts';
import { answerBody } from './lambda-traffic-routing.ts';
import { failed, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** An answer is kept up to this many characters: the stage record must stay small. */
export const MAX_KEPT_ANSWER = 4096;

const invocationSchema = z.object({
  statusCode: z.number(),
  executedVersion: z.string().optional(),
  functionError: z.string().optional(),
  payload: z.string(),
  logTail: z.string().optional(),
});

const progressSchema = z.looseObject({ invocations: z.array(invocationSchema).optional() });

type Invocation = z.output<typeof invocationSchema>;

function invocationsOf(input: TaskInput): Invocation[] {
  const parsed = progressSchema.safeParse(input.record.runtime[LAMBDA_PROGRESS_KEY] ?? {});
  return parsed.success ? [...(parsed.data.invocations ?? [])] : [];
}

/** Runs one task of an `Aws.LambdaInvokeStage`. */
export async function runLambdaInvokeTask(input: TaskInput<LambdaInvokeStage>, deps: LambdaTaskDeps): Promise<TaskResult> {
  const scoped = lambdaScope(input, deps);
  if (!scoped.ok) return failed(scoped.message);
  const scope = scoped.scope;
  const evaluated = evaluatedConfig(input);
  if (!evaluated.ok) return failed(evaluated.message);
  const config = evaluated.config;
  if (input.task === 'lambdaInvokeVerificationTask') return verify(input, scope.label, scope.ref.functionName);
  if (input.task !== 'lambdaInvokeTask') return failed(`${scope.label}: ${input.stage.type} has no task '${input.task}'`);

  const count = numberField(config.executionCount, 'executionCount', scope.label);
  if (!count.ok) return failed(count.message);
  const payload = config.payloadArtifact ? artifactText(config.payloadArtifact, 'payloadArtifact') : { ok: true as const, text: config.payload ?? '{}' };
  if (!payload.ok) return failed(`${scope.label}: ${payload.message}`);
  const qualifier = config.aliasName !== undefined && config.aliasName.trim() !== '' ? config.aliasName.trim() : undefined;
  const invocations = invocationsOf(input);
  while (invocations.length < (count.value ?? 1)) {
    const invoked = await scope.port.invoke(scope.ref, { ...(qualifier !== undefined ? { qualifier } : {}), payload: payload.text });
    if (!invoked.ok) {
      if (invoked.reason === 'not-found') return failed(`${scope.label}: function '${scope.ref.functionName}'${qualifier !== undefined ? ` or its alias '${qualifier}'` : ''} does not exist: ${invoked.message}`);
      return afterConflict(scope, invoked, `invoking '${scope.ref.functionName}'${qualifier !== undefined ? ` through alias '${qualifier}'` : ''}`, input.poll);
    }
    const outcome = invoked.value;
    invocations.push({
      statusCode: outcome.statusCode,
      payload: outcome.payload.length > MAX_KEPT_ANSWER ? `${outcome.payload.slice(0, MAX_KEPT_ANSWER)}…` : outcome.payload,
      ...(outcome.executedVersion !== undefined ? { executedVersion: outcome.executedVersion } : {}),
      ...(outcome.functionError !== undefined ? { functionError: outcome.functionError } : {}),
      ...(outcome.logTail !== undefined ? { logTail: outcome.logTail.slice(-MAX_KEPT_ANSWER) } : {}),
    });
    const saved = await input.saveRuntime(LAMBDA_PROGRESS_KEY, { invocations } as unknown as JsonObject);
    // A twin delivery saved its own answers meanwhile: continue from what it saved, next call.
    if (!saved.ok) return running(0);
  }
  return succeeded({ invocations: invocations.length });
}

/** The error an answer carries: a function error, or an `errorMessage` in its JSON (Orca's check). */
function errorOf(invocation: Invocation): string | undefined {
  let message: string | undefined;
  try {
    const parsed: unknown = JSON.parse(invocation.payload);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { errorMessage?: unknown }).errorMessage === 'string') message = (parsed as { errorMessage: string }).errorMessage;
  } catch {
    // Not JSON: no errorMessage in it.
  }
  if (invocation.functionError !== undefined) return `${invocation.functionError}${message !== undefined ? `: ${message}` : ''}`;
  return message;
}

function verify(input: TaskInput<LambdaInvokeStage>, label: string, functionName: string): TaskResult {
  const invocations = invocationsOf(input);
  const results = invocations.map((invocation) => {
    const error = errorOf(invocation);
    return {
      body: answerBody(invocation.payload),
      response: invocation.payload,
      statusCode: invocation.statusCode,
      ...(invocation.executedVersion !== undefined ? { executedVersion: invocation.executedVersion } : {}),
      ...(error !== undefined ? { errors: error } : {}),
      ...(invocation.logTail !== undefined ? { logs: invocation.logTail } : {}),
    };
  });
  const failures = results.filter((result) => result.errors !== undefined);
  const outputs = { invokeResultsList: results } as unknown as JsonObject;
  if (failures.length > 0) {
    return failed(`${label}: ${failures.length} of ${results.length} invocations of '${functionName}' failed: ${oneLine(failures[0]!.errors!)}`, { context: outputs });
  }
  return succeeded(outputs);
}
