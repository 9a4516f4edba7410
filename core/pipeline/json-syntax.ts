/**
 * Where a JSON text first goes wrong. `JSON.parse` names the problem but not always the place
 * (V8 often quotes the text instead of giving a position), and a pipeline author needs the line
 * and column. A scan, not a parser: it builds nothing and keeps its own stack, so deep nesting
 * cannot overflow.
 */

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = '"\\/bfnrt';

/** Offset of the first syntax error, or undefined when the text is valid JSON. */
export function jsonErrorOffset(text: string): number | undefined {
  const n = text.length;
  const stack: Array<'{' | '['> = [];
  let state: 'value' | 'key' | 'after' = 'value';
  let first = false; // right after '{' or '[': the container may close at once
  let i = 0;
  const skipSpace = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const scanString = (): boolean => {
    i++; // opening quote
    while (i < n) {
      const ch = text.charCodeAt(i);
      if (ch === 0x22) {
        i++;
        return true;
      }
      if (ch < 0x20) return false;
      if (ch === 0x5c) {
        const next = text[i + 1];
        if (next !== undefined && ESCAPES.includes(next)) i += 2;
        else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else return false;
        continue;
      }
      i++;
    }
    return false;
  };
  for (;;) {
    skipSpace();
    if (i >= n) return state === 'after' && stack.length === 0 ? undefined : n;
    const c = text[i];
    if (state === 'value') {
      if (c === ']' && first && stack[stack.length - 1] === '[') {
        stack.pop();
        i++;
        state = 'after';
      } else if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        state = c === '{' ? 'key' : 'value';
        first = true;
        continue;
      } else if (c === '"') {
        if (!scanString()) return i;
        state = 'after';
      } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
        i += 4;
        state = 'after';
      } else if (text.startsWith('false', i)) {
        i += 5;
        state = 'after';
      } else {
        NUMBER.lastIndex = i;
        if (!NUMBER.test(text)) return i;
        i = NUMBER.lastIndex;
        state = 'after';
      }
    } else if (state === 'key') {
      if (c === '}' && first) {
        stack.pop();
        i++;
        state = 'after';
      } else {
        if (c !== '"' || !scanString()) return i;
        skipSpace();
        if (text[i] !== ':') return i;
        i++;
        state = 'value';
      }
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined) return i;
      if (c === ',') {
        i++;
        state = top === '{' ? 'key' : 'value';
      } else if ((top === '{' && c === '}') || (top === '[' && c === ']')) {
        stack.pop();
        i++;
      } else {
        return i;
      }
    }
    first = false;
  }
}
