/**
 * Item sizes as DynamoDB counts them (attribute names included), so the store can refuse a
 * write with a clear message long before DynamoDB's own 400 KB limit refuses it with none.
 */

import { STORE_LIMITS, type TooLarge } from '../../core/ports/execution-store.ts';

/** UTF-8 length of a string: what DynamoDB counts for string values and attribute names (counted, never encoded). */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Estimated stored size of an item written through the document client: strings by their
 * UTF-8 length, numbers by their digits, lists and maps with DynamoDB's per-element overhead.
 * Errs on the large side.
 */
export function itemBytes(item: Readonly<Record<string, unknown>>): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    total += utf8Bytes(name) + valueBytes(value);
  }
  return total;
}

function valueBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return utf8Bytes(value);
    case 'number':
      return Math.ceil(String(value).replace(/[^0-9]/g, '').length / 2) + 1;
    case 'boolean':
      return 1;
    case 'object': {
      if (value === null) return 1;
      if (Array.isArray(value)) return 3 + value.reduce((sum: number, element) => sum + 1 + valueBytes(element), 0);
      let size = 3;
      for (const [name, member] of Object.entries(value)) {
        if (member === undefined) continue;
        size += 1 + utf8Bytes(name) + valueBytes(member);
      }
      return size;
    }
    default:
      return 0;
  }
}

/** A size for messages: `412,345 bytes (402.7 KiB)`. */
export function formatBytes(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} bytes (${(bytes / 1024).toFixed(1)} KiB)`;
}

/**
 * The refusal of an item over the store's record limit, or undefined when it fits: `describe`
 * gets its size and the limit, formatted, and returns the one-line message.
 */
export function oversized(item: Readonly<Record<string, unknown>>, describe: (size: string, limit: string) => string, extraBytes = 0): TooLarge | undefined {
  const bytes = itemBytes(item) + extraBytes;
  if (bytes <= STORE_LIMITS.maxRecordBytes) return undefined;
  return { ok: false, reason: 'too-large', bytes, limit: STORE_LIMITS.maxRecordBytes, message: describe(formatBytes(bytes), formatBytes(STORE_LIMITS.maxRecordBytes)) };
}
