/**
 * `#secret('name')` calls in templates: the names a stage reads (so the stage runner can read
 * them before it evaluates, since evaluation is synchronous), and the save-time check that each
 * name is a quoted literal with a valid name.
 */

/** `#secret('name')` with its name as a literal: group 2 is the name. */
const SECRET_CALL = /#secret\s*\(\s*(['"])([^'"]*)\1\s*\)/g;

/** Names a secret may have (AWS Secrets Manager's characters), at most 512 characters. */
export const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** The names of the secrets `#secret('...')` reads anywhere in a value (a stage as written). */
export function secretNamesIn(value: unknown): string[] {
  const names = new Set<string>();
  const visit = (item: unknown): void => {
    if (typeof item === 'string') {
      if (item.includes('#secret')) for (const match of item.matchAll(SECRET_CALL)) names.add(match[2]!);
    } else if (Array.isArray(item)) {
      for (const entry of item) visit(entry);
    } else if (item !== null && typeof item === 'object') {
      for (const entry of Object.values(item)) visit(entry);
    }
  };
  visit(value);
  return [...names];
}

/** Problems with the `#secret` calls of one string: a name that is not a quoted literal, or not a valid name. */
export function secretCallProblems(text: string): string[] {
  if (!text.includes('#secret')) return [];
  const problems: string[] = [];
  const calls = text.match(/#secret\s*\(/g)?.length ?? 0;
  const literal = [...text.matchAll(SECRET_CALL)];
  if (literal.length < calls) problems.push("#secret takes the secret's name as a quoted literal, e.g. ${#secret('db-password')}; a computed name cannot be checked before the stage runs");
  for (const match of literal) {
    const name = match[2]!;
    if (!SECRET_NAME.test(name)) problems.push(`#secret('${name.slice(0, 80)}'): a secret name has 1 to 512 of the characters A-Z a-z 0-9 / _ + = . @ -`);
  }
  return problems;
}

