/**
 * The DynamoDB tables Gennaker uses, as plain data. The local runtime (dynalite), the tests and
 * the CDK stack all create tables from these definitions, so the three never drift apart.
 * Nothing here imports the SDK: `create-tables.ts` turns a definition into CreateTable input.
 *
 * One table holds everything (single-table design). Keys, per record kind:
 *
 * | record | pk | sk | gsi1 (pk / sk) | gsi2 (pk / sk) |
 * |---|---|---|---|---|
 * | application | `APP#<name lowercased>` | `APP` | `APPS` / `<name lowercased>` | |
 * | pipeline name claim | `APP#<app>` | `PIPENAME#<name lowercased>` | | |
 * | pipeline config version | `PIPE#<id>` | `V#<version, 10 digits>` | | |
 * | pipeline config latest | `PIPE#<id>` | `LATEST` | `PIPES#<app>` / `<name lowercased>#<id>` | |
 * | execution header | `EXEC#<id>` | `HEADER` | `EXECS#<app>` / `<buildTime, 15 digits>#<id>` | `EXECS#<pipelineConfigId>` / same |
 * | stage | `EXEC#<id>` | `STAGE#<stageId>` | | |
 * | concurrency lease | `LEASE#<pipelineConfigId>` | `LEASE` | | |
 * | waiting entry | `LEASE#<pipelineConfigId>` | `WAIT#<executionId>` | | |
 * | idempotency record | `IDEM#<key>` | `IDEM` | | |
 * | notification delivery | `EXEC#<id>` | `NOTIFY#<key>` | | |
 * | watched judgment (reminders) | `REMIND` | `<executionId>#<stageId>` | | |
 * | pipeline template (pipeline-templates.ts) | `PTPL#<id>`, `PTPL#<id>:<tag>`, `PTPL#<id>@sha256:<digest>` | `TEMPLATE` | `PTPLS` / `<id>#<key>` | |
 *
 * One Query on `EXEC#<id>` reads an execution with all its stages; one on `LEASE#<id>` reads a
 * lease with its queue. gsi1 lists an application's executions newest first (and its pipeline
 * configs and the applications); gsi2 lists a pipeline config's executions newest first.
 * Index reads are eventually consistent on AWS: listings may lag a write by a moment, while
 * reads by key (an execution, a stage, a lease, a queue) are strongly consistent.
 */

export type KeyType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyType;
}

export interface GlobalSecondaryIndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /** Every index projects the whole item: listings return full headers. */
  readonly projection: 'ALL';
}

export interface TableDefinition {
  /** The logical name; deployments may prefix it (the physical name is passed to the store). */
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  readonly globalSecondaryIndexes: readonly GlobalSecondaryIndexDefinition[];
  /** On-demand: nothing to pay while idle. */
  readonly billingMode: 'PAY_PER_REQUEST';
  /**
   * Epoch-seconds attribute for DynamoDB TTL (idempotency records). The store never relies on
   * deletion happening (dynalite has no TTL, and AWS deletes lazily): it treats expired
   * records as absent itself.
   */
  readonly timeToLiveAttribute: string;
}

/** Attribute and index names the adapter writes. */
export const KEYS = {
  pk: 'pk',
  sk: 'sk',
  gsi1: { indexName: 'gsi1', pk: 'gsi1pk', sk: 'gsi1sk' },
  gsi2: { indexName: 'gsi2', pk: 'gsi2pk', sk: 'gsi2sk' },
  expiresAt: 'expiresAt',
} as const;

/** The single table of applications, pipeline configs, executions, leases and idempotency records. */
export const STATE_TABLE: TableDefinition = {
  name: 'gennaker-state',
  partitionKey: { name: KEYS.pk, type: 'S' },
  sortKey: { name: KEYS.sk, type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: KEYS.gsi1.indexName,
      partitionKey: { name: KEYS.gsi1.pk, type: 'S' },
      sortKey: { name: KEYS.gsi1.sk, type: 'S' },
      projection: 'ALL',
    },
    {
      indexName: KEYS.gsi2.indexName,
      partitionKey: { name: KEYS.gsi2.pk, type: 'S' },
      sortKey: { name: KEYS.gsi2.sk, type: 'S' },
      projection: 'ALL',
    },
  ],
  billingMode: 'PAY_PER_REQUEST',
  timeToLiveAttribute: KEYS.expiresAt,
};

/** Every table Gennaker needs. */
export const TABLES: readonly TableDefinition[] = [STATE_TABLE];
