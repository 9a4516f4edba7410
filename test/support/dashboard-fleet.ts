/**
 * A large application for the dashboard's speed checks: `pipelines` pipelines with
 * `executionsPerPipeline` finished executions each, their statuses spread deterministically and
 * their build times a minute apart back from `now`. Written in two parts, so that the slow one
 * can overlap other set-up:
 *
 * - `seedFleetExecutions`, before `gennaker up` (startLocalServer) opens the state directory:
 *   the application, and the executions as header records only (no stages: a list of runs reads
 *   nothing else), as the store's createExecution writes them, put 25 to a request: 1,000 take
 *   about half a second where 1,000 createExecution calls take five.
 * - `seedFleetPipelines`, through the running server's store: the pipelines they belong to.
 */
import { join } from 'node:path';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbExecutionStore, createStoreContext } from '../../adapters/dynamodb/dynamodb-execution-store.ts';
import { headerItem } from '../../adapters/dynamodb/executions.ts';
import type { ExecutionStatus } from '../../core/execution/status.ts';
import type { ExecutionStore } from '../../core/ports/execution-store.ts';
import { startDynalite } from '../../local/dynalite.ts';

/** What was written: the application and its pipelines (by name), and how many executions. */
export interface Fleet {
  readonly application: string;
  readonly pipelines: readonly { readonly id: string; readonly name: string }[];
  readonly executions: number;
}

export interface FleetOptions {
  readonly application: string;
  readonly pipelines: number;
  readonly executionsPerPipeline: number;
  /** The newest build time. */
  readonly now: number;
}

/** DynamoDB's most puts in one BatchWriteItem. */
const BATCH = 25;
/** Requests at once (dynalite runs in this process; more only queue). */
const CONCURRENCY = 4;

const STATUSES: readonly ExecutionStatus[] = ['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'TERMINAL', 'SUCCEEDED', 'CANCELED', 'SUCCEEDED'];

/** The pipelines of the fleet: ids and names, in the order of their names. */
function fleetPipelines(options: FleetOptions): Fleet['pipelines'] {
  return Array.from({ length: options.pipelines }, (_, index) => {
    const number = String(index).padStart(3, '0');
    return { id: `${options.application}-pipeline-${number}`, name: `Service ${number}` };
  });
}

/** Writes the application and its executions into `<stateDir>/data` (no server may have it open); throws with the store's answer on a refused write. */
export async function seedFleetExecutions(stateDir: string, options: FleetOptions): Promise<Fleet> {
  const { application, now } = options;
  const pipelines = fleetPipelines(options);
  const dynalite = await startDynalite({ path: join(stateDir, 'data') });
  try {
    const deps = { client: dynalite.client, tableName: dynalite.tableName, clock: { now: () => now } };
    const saved = await createDynamoDbExecutionStore(deps).saveApplication({ name: application, accounts: [], trafficGuards: [], permissions: {}, raw: { name: application } });
    if (!saved.ok) throw new Error(`saving application ${application}: ${JSON.stringify(saved)}`);
    const headers = pipelines.flatMap((pipeline, p) =>
      Array.from({ length: options.executionsPerPipeline }, (_, e) =>
        headerItem(
          {
            id: `${pipeline.id}-run-${String(e).padStart(3, '0')}`,
            application,
            pipelineConfigId: pipeline.id,
            pipelineVersion: 1,
            name: pipeline.name,
            status: STATUSES[(p + e) % STATUSES.length]!,
            buildTime: now - (options.executionsPerPipeline - e) * 60_000 - p * 1_000,
            trigger: { type: 'manual', user: 'seed' },
            parameters: {},
            limitConcurrent: false,
            keepWaitingPipelines: false,
            maxConcurrentExecutions: 0,
            stages: [],
          },
          now,
        ),
      ),
    );
    const batches = Array.from({ length: Math.ceil(headers.length / BATCH) }, (_, index) => headers.slice(index * BATCH, (index + 1) * BATCH));
    const { doc } = createStoreContext(deps);
    await inParallel(batches, async (batch) => {
      const answer = await doc.send(new BatchWriteCommand({ RequestItems: { [dynalite.tableName]: batch.map((Item) => ({ PutRequest: { Item } })) } }));
      const left = answer.UnprocessedItems?.[dynalite.tableName]?.length ?? 0;
      if (left > 0) throw new Error(`the store left ${left} of ${batch.length} executions unwritten`);
    });
    return { application, pipelines, executions: headers.length };
  } finally {
    await dynalite.stop();
  }
}

/** Saves the fleet's pipelines (two wait stages each) through `store`, a running server's. */
export async function seedFleetPipelines(store: ExecutionStore, fleet: Fleet): Promise<void> {
  const { application } = fleet;
  const stages = [
    { refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Bake', waitTime: 1 },
    { refId: '2', requisiteStageRefIds: ['1'], type: 'wait', name: 'Deploy', waitTime: 1 },
  ];
  await inParallel(fleet.pipelines, async (pipeline) => {
    const written = await store.savePipelineConfig({ id: pipeline.id, application, name: pipeline.name, config: { application, name: pipeline.name, stages } });
    if (!written.ok) throw new Error(`saving ${pipeline.name}: ${JSON.stringify(written)}`);
  });
}

async function inParallel<T>(items: readonly T[], write: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await write(items[next++]!);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}
