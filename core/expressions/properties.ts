/**
 * Java `.properties` text, for `#propertiesFromUrl`: `key=value`, `key: value` or `key value`
 * lines, `#`/`!` comments, backslash line continuations and `\t \n \r \f \uXXXX` escapes.
 */

/** Parses properties text into ordered key/value pairs (later keys win, as in Java). */
export function parseProperties(text: string): Array<readonly [string, string]> {
  const pairs = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? '').replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (endsWithOddBackslashes(line) && i + 1 < lines.length) {
      i++;
      line = line.slice(0, -1) + (lines[i] ?? '').replace(/^[ \t\f]+/, '');
    }
    let k = 0;
    let key = '';
    while (k < line.length) {
      const c = line[k] as string;
      if (c === '\\' && k + 1 < line.length) {
        key += c + (line[k + 1] as string);
        k += 2;
        continue;
      }
      if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
      key += c;
      k++;
    }
    while (k < line.length && /[ \t\f]/.test(line[k] as string)) k++;
    if (line[k] === '=' || line[k] === ':') k++;
    while (k < line.length && /[ \t\f]/.test(line[k] as string)) k++;
    pairs.set(unescape(key), unescape(line.slice(k)));
  }
  return [...pairs.entries()];
}

function endsWithOddBackslashes(line: string): boolean {
  let count = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) count++;
  return count % 2 === 1;
}

function unescape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, escaped: string) => {
    if (escaped.length === 5) return String.fromCharCode(Number.parseInt(escaped.slice(1), 16));
    switch (escaped) {
      case 't':
        return '\t';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 'f':
        return '\f';
      default:
        return escaped;
    }
  });
}
