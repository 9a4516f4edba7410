/**
 * An embedded DynamoDB (dynalite) for local mode and the tests: on a random 127.0.0.1 port, in
 * memory or on disk (LevelDB), with the tables of `adapters/dynamodb/tables.ts` created.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../adapters/dynamodb/create-tables.ts';
import { STATE_TABLE, type TableDefinition } from '../adapters/dynamodb/tables.ts';

/** dynalite ships no types: the part of its API used here. */
type DynaliteFactory = (options: {
  readonly path?: string;
  readonly createTableMs?: number;
  readonly deleteTableMs?: number;
  readonly updateTableMs?: number;
}) => Server;

export interface Dynalite {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** A client for this server (dummy credentials, one attempt per call). */
  readonly client: DynamoDBClient;
  /** The physical name of the state table. */
  readonly tableName: string;
  /** A fresh client for the same server, e.g. with other retry settings. */
  createClient(options?: { readonly maxAttempts?: number }): DynamoDBClient;
  stop(): Promise<void>;
}

export interface StartDynaliteOptions {
  /** A LevelDB directory; in memory when absent. */
  readonly path?: string;
  /** @default [STATE_TABLE] */
  readonly tables?: readonly TableDefinition[];
  /** Attempts per SDK call of `client`. @default 1 */
  readonly maxAttempts?: number;
}

/** Starts dynalite and creates the tables (idempotent on an existing directory). */
export async function startDynalite(options: StartDynaliteOptions = {}): Promise<Dynalite> {
  // dynalite is CommonJS; loaded only when local mode starts, so AWS bundles never pull it in.
  const dynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory;
  const server = dynalite({
    ...(options.path === undefined ? {} : { path: options.path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: DynamoDBClient[] = [];
  const createClient = (clientOptions: { readonly maxAttempts?: number } = {}): DynamoDBClient => {
    const client = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: clientOptions.maxAttempts ?? options.maxAttempts ?? 1,
    });
    clients.push(client);
    return client;
  };
  const client = createClient();
  for (const table of options.tables ?? [STATE_TABLE]) await ensureTable(client, table);

  return {
    endpoint,
    client,
    tableName: STATE_TABLE.name,
    createClient,
    async stop() {
      for (const c of clients) c.destroy();
      server.closeAllConnections();
      // dynalite's close also closes its LevelDB, releasing the directory's lock for the next runtime.
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
