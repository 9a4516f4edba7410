/**
 * An embedded DynamoDB (dynalite) for local mode and the tests, in memory or on disk (LevelDB),
 * with the tables of `adapters/dynamodb/tables.ts` created.
 *
 * It opens no socket: the SDK's request handler hands each request to dynalite's validations
 * and actions inside this process. A listener on 127.0.0.1 would let any local process (or a web
 * page, through dynalite's `Access-Control-Allow-Origin: *`) read and rewrite saved pipelines —
 * a `runJob` command among them — without the API's token. With no listener there is nothing
 * to reach; the only way to the data is through this process, and on disk through the state
 * directory, which is private (local/private-files.ts).
 */
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../adapters/dynamodb/create-tables.ts';
import { STATE_TABLE, type TableDefinition } from '../adapters/dynamodb/tables.ts';

/** The endpoint the SDK builds requests for; never resolved or connected to (the handler answers). */
const IN_PROCESS_ENDPOINT = 'http://dynalite.in-process.invalid';

/** dynalite ships no types: the parts of its modules used here. */
interface DynaliteStore {
  readonly lifecycleManager?: { gracefulClose(callback: (error?: Error | null) => void): void };
  readonly db: { close(callback: (error?: Error | null) => void): void };
}
interface DynaliteDb {
  create(options: { readonly path?: string; readonly createTableMs?: number; readonly deleteTableMs?: number; readonly updateTableMs?: number }): DynaliteStore;
}
interface DynaliteValidations {
  toLowerFirst(text: string): string;
  checkTypes(data: unknown, types: unknown): unknown;
  checkValidations(data: unknown, types: unknown, custom: unknown, store: DynaliteStore): void;
}
interface DynaliteActionValidation {
  readonly types: unknown;
  readonly custom?: unknown;
}
type DynaliteAction = (store: DynaliteStore, data: unknown, callback: (error: { statusCode?: number; body?: unknown } | null | undefined, data?: unknown) => void) => void;

/** The operations dynalite implements (its `validOperations`). */
const OPERATIONS = [
  'BatchGetItem', 'BatchWriteItem', 'CreateTable', 'DeleteItem', 'DeleteTable', 'DescribeTable', 'DescribeTimeToLive', 'GetItem',
  'ListTables', 'PutItem', 'Query', 'Scan', 'TagResource', 'UntagResource', 'ListTagsOfResource', 'UpdateItem', 'UpdateTable',
] as const;
const API_VERSIONS = new Set(['DynamoDB_20111205', 'DynamoDB_20120810']);

/** The request the SDK hands a request handler (smithy's HttpRequest, the fields read here). */
interface SdkHttpRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** What a smithy request handler answers: a status, headers and a body the deserializer collects. */
interface SdkHttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

export interface Dynalite {
  /** A client for this store (dummy credentials, one attempt per call). */
  readonly client: DynamoDBClient;
  /** The physical name of the state table. */
  readonly tableName: string;
  /** A fresh client for the same store, e.g. with other retry settings. */
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

/** Starts dynalite in this process and creates the tables (idempotent on an existing directory). */
export async function startDynalite(options: StartDynaliteOptions = {}): Promise<Dynalite> {
  // dynalite is CommonJS; loaded only when local mode starts, so AWS bundles never pull it in.
  const require = createRequire(import.meta.url);
  const db = require('dynalite/db') as DynaliteDb;
  const validations = require('dynalite/validations') as DynaliteValidations;
  const store = db.create({
    ...(options.path === undefined ? {} : { path: options.path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const operations = new Map<string, { action: DynaliteAction; validation: DynaliteActionValidation }>();
  for (const operation of OPERATIONS) {
    const name = validations.toLowerFirst(operation);
    operations.set(operation, {
      action: require(`dynalite/actions/${name}`) as DynaliteAction,
      validation: require(`dynalite/validations/${name}`) as DynaliteActionValidation,
    });
  }

  let stopped = false;
  const execute = (target: string, body: string): Promise<SdkHttpResponse> => {
    if (stopped) return Promise.reject(Object.assign(new Error('the embedded DynamoDB is stopped'), { name: 'ECONNREFUSED' }));
    const [api, operationName] = target.split('.');
    const operation = operationName === undefined ? undefined : operations.get(operationName);
    if (api === undefined || !API_VERSIONS.has(api) || operation === undefined) {
      return Promise.resolve(answer(400, { __type: 'com.amazon.coral.service#UnknownOperationException' }));
    }
    let data: unknown;
    try {
      data = JSON.parse(body);
      data = validations.checkTypes(data, operation.validation.types);
      validations.checkValidations(data, operation.validation.types, operation.validation.custom, store);
    } catch (error) {
      const failure = error as { statusCode?: number; body?: unknown };
      if (typeof failure.statusCode === 'number') return Promise.resolve(answer(failure.statusCode, failure.body));
      if (error instanceof SyntaxError) return Promise.resolve(answer(400, { __type: 'com.amazon.coral.service#SerializationException' }));
      return Promise.resolve(internalError(error));
    }
    return new Promise<SdkHttpResponse>((resolve) => {
      try {
        operation.action(store, data, (error, result) => {
          if (error && typeof error.statusCode === 'number') resolve(answer(error.statusCode, error.body));
          else if (error) resolve(internalError(error));
          else resolve(answer(200, result));
        });
      } catch (error) {
        resolve(internalError(error));
      }
    });
  };

  // A smithy request handler: what the SDK's node-http-handler would send over a socket goes to `execute` instead.
  const requestHandler = {
    async handle(request: SdkHttpRequest): Promise<{ response: SdkHttpResponse }> {
      const target = headerValue(request.headers, 'x-amz-target') ?? '';
      return { response: await execute(target, bodyText(request.body)) };
    },
    updateHttpClientConfig(): void {},
    httpHandlerConfigs(): Record<string, never> {
      return {};
    },
  };

  const clients: DynamoDBClient[] = [];
  const createClient = (clientOptions: { readonly maxAttempts?: number } = {}): DynamoDBClient => {
    const client = new DynamoDBClient({
      endpoint: IN_PROCESS_ENDPOINT,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: clientOptions.maxAttempts ?? options.maxAttempts ?? 1,
      requestHandler,
    });
    clients.push(client);
    return client;
  };
  const client = createClient();
  const close = () =>
    new Promise<void>((resolve, reject) => {
      // The lifecycle manager waits for pending writes before closing LevelDB, releasing the directory's lock for the next runtime.
      const done = (error?: Error | null) => (error ? reject(error) : resolve());
      if (store.lifecycleManager) store.lifecycleManager.gracefulClose(done);
      else store.db.close(done);
    });
  try {
    for (const table of options.tables ?? [STATE_TABLE]) await ensureTable(client, table);
  } catch (error) {
    stopped = true;
    await close().catch(() => undefined);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    client,
    tableName: STATE_TABLE.name,
    createClient,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        for (const c of clients) c.destroy();
        await close();
      })();
      return stopping;
    },
  };
}

function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return '';
}

function answer(statusCode: number, data: unknown): SdkHttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomBytes(18).toString('hex') },
    body: Buffer.from(JSON.stringify(data ?? {}), 'utf8'),
  };
}

/** A fault inside dynalite: a 500 the SDK treats as a transient server error (and retries). */
function internalError(error: unknown): SdkHttpResponse {
  return answer(500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: error instanceof Error ? error.message : String(error) });
}
