/**
 * UTF-8 and Base64 in plain TypeScript, for `#toBase64` / `#fromBase64`: Java's
 * `Base64.getEncoder()` / `getDecoder()` over `String.getBytes(UTF_8)`. No Buffer, no atob:
 * core/ runs wherever the code runs and behaves the same everywhere.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** UTF-8 bytes of a string; a lone surrogate becomes '?', as Java's encoder does. */
export function encodeUtf8(text: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      } else code = 0x3f;
    } else if (code >= 0xdc00 && code <= 0xdfff) code = 0x3f;
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  }
  return bytes;
}

/** Decodes UTF-8; each malformed sequence becomes U+FFFD, as Java's decoder does. */
export function decodeUtf8(bytes: readonly number[]): string {
  const units: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i] as number;
    let needed = 0;
    let code = 0;
    let min = 0;
    if (b0 < 0x80) {
      units.push(b0);
      i++;
      continue;
    } else if (b0 >= 0xc2 && b0 <= 0xdf) [needed, code, min] = [1, b0 & 0x1f, 0x80];
    else if (b0 >= 0xe0 && b0 <= 0xef) [needed, code, min] = [2, b0 & 0x0f, 0x800];
    else if (b0 >= 0xf0 && b0 <= 0xf4) [needed, code, min] = [3, b0 & 0x07, 0x10000];
    else {
      units.push(0xfffd);
      i++;
      continue;
    }
    let j = 1;
    for (; j <= needed; j++) {
      const b = bytes[i + j];
      if (b === undefined || (b & 0xc0) !== 0x80) break;
      code = (code << 6) | (b & 0x3f);
    }
    if (j <= needed || code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      units.push(0xfffd);
      i += Math.max(1, j);
      continue;
    }
    i += needed + 1;
    if (code >= 0x10000) {
      const offset = code - 0x10000;
      units.push(0xd800 + (offset >> 10), 0xdc00 + (offset & 0x3ff));
    } else units.push(code);
  }
  let out = '';
  for (let k = 0; k < units.length; k += 4096) out += String.fromCharCode(...units.slice(k, k + 4096));
  return out;
}

/** Standard Base64 with padding. */
export function encodeBase64(bytes: readonly number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] as number;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    out += ALPHABET[b0 >> 2];
    out += ALPHABET[((b0 & 0x03) << 4) | ((b1 ?? 0) >> 4)];
    out += b1 === undefined ? '=' : ALPHABET[((b1 & 0x0f) << 2) | ((b2 ?? 0) >> 6)];
    out += b2 === undefined ? '=' : ALPHABET[b2 & 0x3f];
  }
  return out;
}

/**
 * Standard Base64 decoding with Java's strictness: only alphabet characters, padding optional
 * but correct when present. Returns the problem as a string when the input is not Base64.
 */
export function decodeBase64(text: string): number[] | string {
  let end = text.length;
  let padding = 0;
  while (end > 0 && text[end - 1] === '=' && padding < 2) {
    end--;
    padding++;
  }
  if (padding > 0 && text.length % 4 !== 0) return 'the padding does not complete a 4-character unit';
  if (end % 4 === 1) return 'the last unit has too few characters';
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < end; i++) {
    const value = ALPHABET.indexOf(text[i] as string);
    if (value < 0) return `illegal character ${JSON.stringify(text[i])} at index ${i}`;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return bytes;
}
