/**
 * Splits a string into literal text and `${ ... }` templates the way SpEL's template parser
 * does: a template ends at the first `}` that closes it, skipping brackets `( [ {` and quoted
 * strings, so `${ {1,2} }` and `${ 'a}b' }` work. No nesting and no escape for `${`.
 * A broken template (unclosed, empty, mismatched brackets) ends the scan: the rest of the
 * string is kept as one broken part, since where it was meant to end cannot be known.
 */
import type { ExpressionSyntaxError } from './syntax-error.ts';

/** A piece of a string: literal text, one template, or the broken rest. */
export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  /** `source` is the text between `${` and `}`, starting at absolute `offset`; `raw` is the whole `${...}`. */
  | { readonly kind: 'expression'; readonly source: string; readonly offset: number; readonly raw: string }
  | { readonly kind: 'broken'; readonly raw: string; readonly error: ExpressionSyntaxError };

const CLOSERS: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };

/** True when the string holds `${` at all; such a string is evaluated (and reported if broken). */
export function containsTemplate(text: string): boolean {
  return text.includes('${');
}

/** The parts of a string; a string without `${` is one text part. */
export function scanTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let index = 0;
  for (;;) {
    const start = text.indexOf('${', index);
    if (start < 0) break;
    if (start > index) parts.push({ kind: 'text', text: text.slice(index, start) });
    const end = findTemplateEnd(text, start);
    if (typeof end !== 'number') {
      parts.push({ kind: 'broken', raw: text.slice(start), error: end });
      return parts;
    }
    const source = text.slice(start + 2, end);
    const raw = text.slice(start, end + 1);
    if (source.trim() === '') {
      parts.push({ kind: 'broken', raw, error: { offset: start, message: `empty template '${raw}': put an expression between \${ and }` } });
    } else {
      parts.push({ kind: 'expression', source, offset: start + 2, raw });
    }
    index = end + 1;
  }
  if (index < text.length || parts.length === 0) parts.push({ kind: 'text', text: text.slice(index) });
  return parts;
}

/** Index of the `}` closing the template that starts at `start`, or the error. */
function findTemplateEnd(text: string, start: number): number | ExpressionSyntaxError {
  const stack: Array<{ readonly closer: string; readonly offset: number }> = [];
  for (let i = start + 2; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1);
      if (close < 0) return { offset: i, message: `string literal is not closed: add the missing ${c}` };
      i = close;
      continue;
    }
    const closer = Object.hasOwn(CLOSERS, c) ? CLOSERS[c] : undefined;
    if (closer !== undefined) {
      stack.push({ closer, offset: i });
      continue;
    }
    if (c === ')' || c === ']' || c === '}') {
      const open = stack.pop();
      if (open === undefined) {
        if (c === '}') return i;
        return { offset: i, message: `unbalanced '${c}': nothing opened it` };
      }
      if (open.closer !== c) return { offset: i, message: `'${c}' does not match the '${text[open.offset] ?? ''}' opened at offset ${open.offset}` };
    }
  }
  const open = stack[stack.length - 1];
  if (open !== undefined) {
    return { offset: open.offset, message: `'${text[open.offset] ?? ''}' is not closed before the end of the text` };
  }
  return { offset: start, message: `template is not closed: add '}' after the expression started by \${` };
}
