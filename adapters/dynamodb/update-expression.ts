/**
 * Builds UpdateExpression / ConditionExpression strings with placeholders for every name and
 * value, so reserved words (`status`, `name`, `context`...) and user-chosen map keys
 * (execution ids in a lease) never end up in an expression's text.
 */

export interface Expression {
  readonly UpdateExpression?: string;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Record<string, unknown>;
}

/** Collects placeholders; `name()` and `value()` return the token to put in an expression. */
export function createExpressionBuilder() {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const byName = new Map<string, string>();
  const sets: string[] = [];
  const removes: string[] = [];
  const adds: string[] = [];
  const conditions: string[] = [];

  /** A path such as `running.<id>`: each segment gets its own placeholder. */
  function name(path: string | readonly string[]): string {
    const segments = typeof path === 'string' ? [path] : path;
    return segments
      .map((segment) => {
        let token = byName.get(segment);
        if (token === undefined) {
          token = `#n${byName.size}`;
          byName.set(segment, token);
          names[token] = segment;
        }
        return token;
      })
      .join('.');
  }

  function value(v: unknown): string {
    const token = `:v${Object.keys(values).length}`;
    values[token] = v;
    return token;
  }

  return {
    name,
    value,
    /** `attr IN (v1, v2...)` */
    in(path: string | readonly string[], list: readonly unknown[]): string {
      return `${name(path)} IN (${list.map(value).join(', ')})`;
    },
    set(path: string | readonly string[], v: unknown): void {
      sets.push(`${name(path)} = ${value(v)}`);
    },
    setRaw(clause: string): void {
      sets.push(clause);
    },
    remove(path: string | readonly string[]): void {
      removes.push(name(path));
    },
    add(path: string | readonly string[], v: unknown): void {
      adds.push(`${name(path)} ${value(v)}`);
    },
    /** Clauses are joined with AND: wrap a clause that uses OR in parentheses yourself. */
    condition(clause: string): void {
      conditions.push(clause);
    },
    build(): Expression {
      const clauses = [
        sets.length > 0 ? `SET ${sets.join(', ')}` : '',
        removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
        adds.length > 0 ? `ADD ${adds.join(', ')}` : '',
      ].filter((clause) => clause !== '');
      return {
        ...(clauses.length > 0 ? { UpdateExpression: clauses.join(' ') } : {}),
        ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
      };
    },
  };
}
