/**
 * Bounds on what a request may bring, checked before anything is parsed (DESIGN.md §8: bodies
 * are capped before they are read). A body is refused by its `Content-Length` before a byte is
 * read, and counted while it streams when it declares none (or declares less than it sends), so
 * memory never holds more than the limit. JSON is scanned for nesting depth and key length
 * before `JSON.parse` builds anything, so a 100,000-level document costs one linear pass and a
 * 400, not a stack overflow further in. Path parameters end up in store keys, whose sizes
 * DynamoDB bounds, so they are bounded here with a message instead of a store error.
 */

/** Byte limits of request bodies; the defaults suit real payloads with room to spare. */
export interface BodyLimits {
  /** Webhook deliveries (`/webhooks/...`). @default 1 MiB (GitHub caps its payloads at 25 MB but pushes are a few KB) */
  readonly webhookBytes: number;
  /** Every other body: pipeline configs, applications, canary configs, starts. @default 512 KiB */
  readonly configBytes: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { webhookBytes: 1024 * 1024, configBytes: 512 * 1024 };

/** Deeper than any real pipeline, canary config or webhook payload, and far inside every later walk's stack. */
export const MAX_JSON_DEPTH = 128;

/** Longer than any real field name; a longer key is someone probing. */
export const MAX_JSON_KEY_CHARS = 1024;

/** Names and ids in a path: store keys hold at most 1,024 bytes (sort keys), with room for a prefix. */
export const MAX_PATH_PARAMETER_CHARS = 256;
export const MAX_PATH_PARAMETER_BYTES = 768;

export type Bounded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** `1 MiB`, `512 KiB`, `1,500 bytes`. */
export function formatLimit(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes.toLocaleString('en-US')} bytes`;
}

/**
 * The body as text, or a message when it is larger than `limit` bytes. `what` names the body
 * and `setting` the knob that raises the limit, for the message.
 */
export async function readBoundedText(request: Request, limit: number, what: string, setting: string): Promise<Bounded<string>> {
  const tooLarge = (size: string): Bounded<never> => ({
    ok: false,
    message: `${what} is ${size}, over the limit of ${formatLimit(limit)}; send a smaller body (the server's operator can raise the limit with ${setting})`,
  });
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\s*\d+\s*$/.test(declared) && Number(declared) > limit) return tooLarge(`${Number(declared).toLocaleString('en-US')} bytes`);
  if (request.body === null) return { ok: true, value: '' };
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let total = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      // Stop reading: the rest is never buffered. Releasing the lock lets the server discard it.
      reader.releaseLock();
      return tooLarge(`more than ${formatLimit(limit)}`);
    }
    text += decoder.decode(value, { stream: true });
  }
  return { ok: true, value: text + decoder.decode() };
}

/**
 * Scans JSON text for nesting deeper than `maxDepth` and object keys longer than `maxKeyChars`
 * (counted as written, escapes included), without parsing it. Says nothing about syntax: a
 * document that passes is parsed next, and JSON.parse names syntax errors.
 */
export function jsonShapeProblem(text: string, maxDepth = MAX_JSON_DEPTH, maxKeyChars = MAX_JSON_KEY_CHARS): string | undefined {
  let depth = 0;
  let index = 0;
  const length = text.length;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (code === 0x7b || code === 0x5b) {
      // { [
      depth += 1;
      if (depth > maxDepth) return `the request body nests more than ${maxDepth} levels deep (at character ${index}); flatten the document`;
      index += 1;
    } else if (code === 0x7d || code === 0x5d) {
      depth -= 1;
      index += 1;
    } else if (code === 0x22) {
      // A string: find its end, skipping escaped characters.
      const start = index;
      index += 1;
      while (index < length) {
        const inner = text.charCodeAt(index);
        if (inner === 0x5c) index += 2;
        else if (inner === 0x22) break;
        else index += 1;
      }
      const end = index;
      index += 1;
      // A key is a string followed by ':' (after white space).
      let next = index;
      while (next < length && (text.charCodeAt(next) === 0x20 || text.charCodeAt(next) === 0x0a || text.charCodeAt(next) === 0x0d || text.charCodeAt(next) === 0x09)) next += 1;
      if (next < length && text.charCodeAt(next) === 0x3a && end - start - 1 > maxKeyChars) {
        return `the request body has a key of ${end - start - 1} characters (at character ${start}: "${text.slice(start + 1, start + 41)}…"); keys may have at most ${maxKeyChars} characters`;
      }
    } else {
      index += 1;
    }
  }
  return undefined;
}

/** A path parameter too long for a name or an id, with the message that says so. */
export function pathParameterProblem(name: string, value: string): string | undefined {
  const bytes = new TextEncoder().encode(value).length;
  if (value.length <= MAX_PATH_PARAMETER_CHARS && bytes <= MAX_PATH_PARAMETER_BYTES) return undefined;
  return `path parameter '${name}' is ${value.length} characters (${bytes} bytes) long; names and ids have at most ${MAX_PATH_PARAMETER_CHARS} characters (${MAX_PATH_PARAMETER_BYTES} bytes in UTF-8)`;
}
