/**
 * Key values of every record kind (the table in `tables.ts`). Names that users choose are
 * lowercased where Spinnaker compares them case-insensitively (applications, pipeline names).
 */
import { createHash } from 'node:crypto';

/** Application names are case-insensitive (Front50 stores them in one case). */
export function applicationKey(name: string): string {
  return name.toLowerCase();
}

/** Key attributes (and key prefixes) of every record kind. */
export const keys = {
  application: (name: string) => ({ pk: `APP#${applicationKey(name)}`, sk: 'APP' }),
  applicationsIndex: 'APPS',

  pipelineName: (application: string, name: string) => ({
    pk: `APP#${applicationKey(application)}`,
    sk: `PIPENAME#${name.toLowerCase()}`,
  }),
  pipelineVersion: (id: string, version: number) => ({ pk: `PIPE#${id}`, sk: `V#${String(version).padStart(10, '0')}` }),
  pipelineVersionPrefix: 'V#',
  pipelinePartition: (id: string) => `PIPE#${id}`,
  pipelineLatest: (id: string) => ({ pk: `PIPE#${id}`, sk: 'LATEST' }),
  pipelinesOfApplication: (application: string) => `PIPES#${applicationKey(application)}`,

  execution: (id: string) => ({ pk: `EXEC#${id}`, sk: 'HEADER' }),
  executionPartition: (id: string) => `EXEC#${id}`,
  stage: (executionId: string, stageId: string) => ({ pk: `EXEC#${executionId}`, sk: `STAGE#${stageId}` }),
  stagePrefix: 'STAGE#',
  executionsOfApplication: (application: string) => `EXECS#${applicationKey(application)}`,
  executionsOfPipeline: (pipelineConfigId: string) => `EXECS#${pipelineConfigId}`,
  /** Newest first when read backwards: build time, then id to break ties. */
  executionOrder: (buildTime: number, id: string) => `${String(Math.max(0, Math.trunc(buildTime))).padStart(15, '0')}#${id}`,

  lease: (pipelineConfigId: string) => ({ pk: `LEASE#${pipelineConfigId}`, sk: 'LEASE' }),
  leasePartition: (pipelineConfigId: string) => `LEASE#${pipelineConfigId}`,
  waiting: (pipelineConfigId: string, executionId: string) => ({ pk: `LEASE#${pipelineConfigId}`, sk: `WAIT#${executionId}` }),
  waitingPrefix: 'WAIT#',

  /** Canary configs (Kayenta's config store): one item per id, a claim per name (names are case-insensitive). */
  canaryConfig: (id: string) => ({ pk: `CANARY#${id}`, sk: 'CONFIG' }),
  canaryConfigName: (name: string) => ({ pk: `CANARYNAME#${name.toLowerCase()}`, sk: 'CANARYNAME' }),
  canaryConfigsIndex: 'CANARYCONFIGS',

  /** Long keys (whole event ids, URLs) are hashed: a partition key holds at most 2048 bytes. */
  idempotency: (key: string) => ({
    pk: key.length <= 512 ? `IDEM#${key}` : `IDEMH#${createHash('sha256').update(key).digest('hex')}`,
    sk: 'IDEM',
  }),
} as const;
