/**
 * What the deploy-stage tests share: dynalite, an execution store on a ticking clock, the local
 * deploy target (test/support/local-target.ts) as the account `local`, and a LocalRun whose
 * engine waits sleep 50 ms while virtual time moves by what the runner asked (a poll budget of
 * 100 covers 5 s of real process start-up). `dispose` returns the pids still alive (none).
 */
import { createDynamoDbExecutionStore } from '../../adapters/dynamodb/dynamodb-execution-store.ts';
import type { ExecutionStore } from '../../core/ports/execution-store.ts';
import { startDynalite, type Dynalite } from './dynalite.ts';
import { createLocalRun, type LocalRun } from './local-run.ts';
import { startTestLocalTarget, type TestLocalTarget } from './local-target.ts';
import { createLocalTargetPorts } from '../../adapters/targets/local/local-ports.ts';

export interface DeployRig {
  readonly dynalite: Dynalite;
  readonly store: ExecutionStore;
  readonly local: TestLocalTarget;
  readonly run: LocalRun;
  dispose(): Promise<number[]>;
}

export async function startDeployRig(options: { readonly deliverTwice?: boolean } = {}): Promise<DeployRig> {
  const dynalite = await startDynalite();
  let now = 0;
  const store = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock: { now: () => (now += 1) } });
  const local = await startTestLocalTarget();
  const ports = createLocalTargetPorts(local.target);
  const run = createLocalRun({ store, targets: ({ account }) => (account === 'local' ? ports : undefined), waitOverrideMs: 50, ...options });
  return {
    dynalite,
    store,
    local,
    run,
    async dispose() {
      const alive = await local.dispose();
      await dynalite.stop();
      return alive;
    },
  };
}
