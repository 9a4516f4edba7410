/**
 * SpEL's lexical grammar: literals, identifiers, and the punctuation that makes its operators
 * (`?.`, `?:`, `?[`, `^[`, `$[`, `![`...). Offsets are absolute (into the caller's string) so
 * every syntax error points at the right character of the original field.
 */
import type { ExpressionSyntaxError } from './syntax-error.ts';

/** Lexical classes. */
export type TokenKind = 'number' | 'string' | 'identifier' | 'punct' | 'end';

/** One token with its absolute offset. */
export interface Token {
  readonly kind: TokenKind;
  /** Source text of the token (for punctuation, the operator itself). */
  readonly text: string;
  /** Absolute offset of the first character. */
  readonly offset: number;
  /** For strings: the unescaped value. For numbers: the numeric value. */
  readonly value?: string | number;
  /** For numbers: a double literal (`1.5`, `2.0`, `1e3`, `2d`) rather than an int. */
  readonly isDouble?: boolean;
}

/** The tokens, or the first lexical error. */
export type TokenizeResult = { readonly ok: true; readonly tokens: readonly Token[] } | { readonly ok: false; readonly error: ExpressionSyntaxError };

const TWO_CHAR: readonly string[] = ['?.', '?:', '?[', '^[', '$[', '![', '!=', '==', '<=', '>=', '&&', '||', '++', '--'];
const ONE_CHAR = '()[]{},:.?#@&+-*/%^!=<>;|';

/** Splits an expression into tokens; `base` is the absolute offset of `source[0]`. */
export function tokenize(source: string, base: number): TokenizeResult {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (at: number, message: string): TokenizeResult => ({ ok: false, error: { offset: base + at, message } });

  while (i < source.length) {
    const c = source.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      i++;
      continue;
    }
    const ch = source[i] as string;

    if (ch === "'" || ch === '"') {
      const start = i;
      let value = '';
      i++;
      let closed = false;
      while (i < source.length) {
        const d = source[i] as string;
        if (d === ch) {
          if (source[i + 1] === ch) {
            value += ch;
            i += 2;
            continue;
          }
          i++;
          closed = true;
          break;
        }
        value += d;
        i++;
      }
      if (!closed) return fail(start, `string literal is not closed: add the missing ${ch}`);
      tokens.push({ kind: 'string', text: source.slice(start, i), offset: base + start, value });
      continue;
    }

    if (isDigit(c)) {
      const scanned = scanNumber(source, i);
      if ('error' in scanned) return fail(i, scanned.error);
      tokens.push({ kind: 'number', text: source.slice(i, scanned.end), offset: base + i, value: scanned.value, isDouble: scanned.isDouble });
      i = scanned.end;
      continue;
    }

    if (ch === '$' && source[i + 1] === '{') {
      return fail(i, 'templates cannot be nested: write the inner expression without ${ }');
    }
    if (ch === '$' && source[i + 1] === '[') {
      tokens.push({ kind: 'punct', text: '$[', offset: base + i });
      i += 2;
      continue;
    }

    if (isIdentifierStart(ch)) {
      const start = i;
      i++;
      while (i < source.length && isIdentifierPart(source[i] as string)) i++;
      tokens.push({ kind: 'identifier', text: source.slice(start, i), offset: base + start });
      continue;
    }

    const two = source.slice(i, i + 2);
    if (TWO_CHAR.includes(two)) {
      tokens.push({ kind: 'punct', text: two, offset: base + i });
      i += 2;
      continue;
    }
    if (ONE_CHAR.includes(ch)) {
      if (ch === '|') return fail(i, `unexpected '|': the or operator is '||' or 'or'`);
      tokens.push({ kind: 'punct', text: ch, offset: base + i });
      i++;
      continue;
    }
    return fail(i, `unexpected character ${JSON.stringify(ch)}`);
  }
  tokens.push({ kind: 'end', text: '', offset: base + source.length });
  return { ok: true, tokens };
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isIdentifierStart(ch: string): boolean {
  return /^[A-Za-z_$]$/.test(ch) || (ch.charCodeAt(0) > 0x7f && /^\p{L}$/u.test(ch));
}

function isIdentifierPart(ch: string): boolean {
  return /^[A-Za-z0-9_$]$/.test(ch) || (ch.charCodeAt(0) > 0x7f && /^[\p{L}\p{N}]$/u.test(ch));
}

/** Java/SpEL number literals: `42`, `42L`, `0x2A`, `1.5`, `1e3`, `1.5E-3`, `2f`, `2d`. */
function scanNumber(source: string, start: number): { end: number; value: number; isDouble: boolean } | { error: string } {
  let i = start;
  if (source[i] === '0' && (source[i + 1] === 'x' || source[i + 1] === 'X')) {
    i += 2;
    const digitsStart = i;
    while (i < source.length && /^[0-9a-fA-F]$/.test(source[i] as string)) i++;
    if (i === digitsStart) return { error: `hexadecimal number '${source.slice(start, i)}' has no digits` };
    const value = Number.parseInt(source.slice(digitsStart, i), 16);
    if (source[i] === 'l' || source[i] === 'L') i++;
    if (i < source.length && isIdentifierPart(source[i] as string)) return { error: `malformed number '${source.slice(start, i + 1)}'` };
    return { end: i, value, isDouble: false };
  }
  while (i < source.length && isDigit(source.charCodeAt(i))) i++;
  let isDouble = false;
  if (source[i] === '.' && i + 1 < source.length && isDigit(source.charCodeAt(i + 1))) {
    isDouble = true;
    i++;
    while (i < source.length && isDigit(source.charCodeAt(i))) i++;
  }
  if (source[i] === 'e' || source[i] === 'E') {
    let j = i + 1;
    if (source[j] === '+' || source[j] === '-') j++;
    if (j < source.length && isDigit(source.charCodeAt(j))) {
      isDouble = true;
      i = j;
      while (i < source.length && isDigit(source.charCodeAt(i))) i++;
    } else {
      return { error: `malformed number '${source.slice(start, j)}': the exponent has no digits` };
    }
  }
  const text = source.slice(start, i);
  const suffix = source[i];
  if (suffix === 'l' || suffix === 'L') {
    if (isDouble) return { error: `malformed number '${text}${suffix}': a decimal cannot be long` };
    i++;
  } else if (suffix === 'f' || suffix === 'F' || suffix === 'd' || suffix === 'D') {
    isDouble = true;
    i++;
  }
  if (i < source.length && isIdentifierPart(source[i] as string)) return { error: `malformed number '${source.slice(start, i + 1)}'` };
  return { end: i, value: Number(text), isDouble };
}
