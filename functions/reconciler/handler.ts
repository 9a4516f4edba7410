/**
 * The execution-status reconciler (DESIGN.md §5): EventBridge delivers Step Functions'
 * "Execution Status Change" events of Gennaker's state machines here. A run that ended — also one
 * that failed, timed out or was stopped from the console — is handed to the service's
 * `handleRunEnded`, which records the Spinnaker status, closes the stages, releases the
 * concurrency lease, starts the next queued execution and emits `Pipeline Execution Completed`.
 * Idempotent: a redelivered event finds the execution already closed.
 */
import { z } from 'zod';
import type { ExecutionService } from '../../core/execution/execution-service-api.ts';
import type { EngineRunEnded } from '../../core/ports/state-machine-engine.ts';
import { cloudRuntimeForColdStart } from '../wiring.ts';

export const statusChangeEventSchema = z.object({
  id: z.string(),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  source: z.literal('aws.states'),
  detail: z.object({
    executionArn: z.string(),
    stateMachineArn: z.string(),
    name: z.string().min(1),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});

export type ReconcileResult = { readonly reconciled: true; readonly executionId: string; readonly outcome: EngineRunEnded['outcome'] } | { readonly reconciled: false; readonly reason: string };

/** The run-ended report an event stands for, or why it is not one Gennaker acts on. */
export function parseStatusChange(event: unknown, namePrefix: string): EngineRunEnded | { readonly ignored: string } {
  const parsed = statusChangeEventSchema.safeParse(event);
  if (!parsed.success) {
    return { ignored: `not a Step Functions status change: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}` };
  }
  const { detail } = parsed.data;
  const machine = detail.stateMachineArn.slice(detail.stateMachineArn.indexOf(':stateMachine:') + ':stateMachine:'.length).split(':')[0] ?? '';
  if (!machine.startsWith(`${namePrefix}-`)) return { ignored: `state machine '${machine}' is not one of Gennaker's (prefix '${namePrefix}-')` };
  switch (detail.status) {
    case 'RUNNING':
    case 'PENDING_REDRIVE':
      return { ignored: `status ${detail.status} is not an end` };
    case 'FAILED':
      return { executionId: detail.name, outcome: 'FAILED', error: detail.error ?? 'States.Runtime', cause: detail.cause ?? '' };
    case 'SUCCEEDED':
    case 'TIMED_OUT':
    case 'ABORTED':
      return { executionId: detail.name, outcome: detail.status };
    default: {
      const unreachable: never = detail.status;
      return { ignored: `unknown status ${String(unreachable)}` };
    }
  }
}

/** The handler around a service (tests pass one wired to dynalite and the Step Functions fake). */
export function createReconcilerHandler(deps: { readonly service: Pick<ExecutionService, 'handleRunEnded'>; readonly namePrefix: string }): (event: unknown) => Promise<ReconcileResult> {
  return async (event) => {
    const ended = parseStatusChange(event, deps.namePrefix);
    if ('ignored' in ended) return { reconciled: false, reason: ended.ignored };
    await deps.service.handleRunEnded(ended);
    return { reconciled: true, executionId: ended.executionId, outcome: ended.outcome };
  };
}

export async function handler(event: unknown): Promise<ReconcileResult> {
  const runtime = cloudRuntimeForColdStart();
  return createReconcilerHandler({ service: runtime.service, namePrefix: runtime.env.namePrefix })(event);
}
