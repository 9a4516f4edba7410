/**
 * What every part of the DynamoDB store shares: the document client, the table, the clock,
 * and the helpers that turn SDK outcomes into the port's values (conditions into results,
 * failures into catalog errors, documents into JSON strings, keys into cursors).
 */
import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { GennakerError } from '../../core/errors.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { JsonObject, PageRequest } from '../../core/ports/execution-store.ts';
import { isConditionFailed, toStoreError } from './store-errors.ts';

/** An item as the document client reads and writes it. */
export type Item = Record<string, unknown>;

/** The dependencies every module of the store receives from the factory. */
export interface StoreContext {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: Clock;
}

/** Runs one SDK call; any failure becomes a catalog error. */
export async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toStoreError(operation, error);
  }
}

/** Runs one conditional write: a failed condition is a value (`undefined`), anything else throws. */
export async function conditional<T>(operation: string, run: () => Promise<T>): Promise<{ readonly output: T } | undefined> {
  try {
    return { output: await run() };
  } catch (error) {
    if (isConditionFailed(error)) return undefined;
    throw toStoreError(operation, error);
  }
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;

/** The page size asked for, within bounds. */
export function pageLimit(page: PageRequest | undefined): number {
  const limit = page?.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new GennakerError('Gennaker.InvariantViolated', `page limit must be a positive integer, got ${String(limit)}`);
  }
  return Math.min(limit, MAX_PAGE);
}

/** An opaque cursor for a LastEvaluatedKey. */
export function encodeCursor(key: Item | undefined): string | undefined {
  return key === undefined ? undefined : Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The ExclusiveStartKey of a cursor this store issued. */
export function decodeCursor(cursor: string | undefined): Item | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const valid =
    typeof parsed === 'object' &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    Object.values(parsed).every((value) => typeof value === 'string');
  if (!valid) {
    throw new GennakerError('Gennaker.InvariantViolated', 'the page cursor was not issued by this store; list again without a cursor');
  }
  return parsed as Item;
}

/**
 * One query, page by page, until `limit` items are collected. DynamoDB applies `Limit` before
 * the filter, so each request asks for no more than is still missing: the cursor then always
 * ends at a whole page and never skips an item.
 */
export async function queryPage(
  ctx: StoreContext,
  operation: string,
  input: Omit<QueryCommandInput, 'TableName' | 'Limit' | 'ExclusiveStartKey'>,
  page: PageRequest | undefined,
): Promise<{ readonly items: readonly Item[]; readonly cursor?: string }> {
  const limit = pageLimit(page);
  const items: Item[] = [];
  let startKey = decodeCursor(page?.cursor);
  do {
    const output = await call(operation, () =>
      ctx.doc.send(
        new QueryCommand({ ...input, TableName: ctx.tableName, Limit: limit - items.length, ExclusiveStartKey: startKey }),
      ),
    );
    items.push(...((output.Items ?? []) as Item[]));
    startKey = output.LastEvaluatedKey as Item | undefined;
  } while (startKey !== undefined && items.length < limit);
  const cursor = encodeCursor(startKey);
  return cursor === undefined ? { items } : { items, cursor };
}

/** Every item of a query (for small, bounded sets: one execution, one queue). */
export async function queryAll(
  ctx: StoreContext,
  operation: string,
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const output = await call(operation, () =>
      ctx.doc.send(new QueryCommand({ ...input, TableName: ctx.tableName, ExclusiveStartKey: startKey })),
    );
    items.push(...((output.Items ?? []) as Item[]));
    startKey = output.LastEvaluatedKey as Item | undefined;
  } while (startKey !== undefined);
  return items;
}

/**
 * A document as stored: a JSON string. DynamoDB maps cannot hold empty sets, nest deeper
 * than 32 levels or keep big integers exactly; a string keeps any JSON as given, and its
 * size is known before the write.
 */
export function toJson(what: string, value: JsonObject): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new GennakerError('Gennaker.InvariantViolated', `${what} is not JSON (cycles or BigInt values cannot be stored)`, { cause: error });
  }
  if (text === undefined || !text.startsWith('{')) {
    throw new GennakerError('Gennaker.InvariantViolated', `${what} must be a JSON object`);
  }
  return text;
}

/** A stored document back as an object. */
export function fromJson(what: string, text: unknown): JsonObject {
  if (text === undefined) return {};
  if (typeof text !== 'string') throw corrupt(what);
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(what);
    return value as JsonObject;
  } catch (error) {
    if (error instanceof GennakerError) throw error;
    throw corrupt(what, error);
  }
}

function corrupt(what: string, cause?: unknown): GennakerError {
  return new GennakerError('Gennaker.InvariantViolated', `stored ${what} is not a JSON object: the record is corrupt`, { cause });
}

/** Reads a required string attribute of a stored item. */
export function str(item: Item, name: string): string {
  const value = item[name];
  if (typeof value !== 'string') {
    throw new GennakerError('Gennaker.InvariantViolated', `stored record ${String(item['pk'])}/${String(item['sk'])} lacks '${name}'`);
  }
  return value;
}

/** Reads a required number attribute of a stored item. */
export function num(item: Item, name: string): number {
  const value = item[name];
  if (typeof value !== 'number') {
    throw new GennakerError('Gennaker.InvariantViolated', `stored record ${String(item['pk'])}/${String(item['sk'])} lacks '${name}'`);
  }
  return value;
}

/** Reads an optional string attribute. */
export function optStr(item: Item, name: string): string | undefined {
  const value = item[name];
  return typeof value === 'string' ? value : undefined;
}

/** Reads an optional number attribute. */
export function optNum(item: Item, name: string): number | undefined {
  const value = item[name];
  return typeof value === 'number' ? value : undefined;
}
