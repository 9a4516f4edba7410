/**
 * The input of Gate's `evaluateVariables`, parsed at the edge: the variable list of the body and
 * the refIds of the query. Apart from the evaluation, so the API checks a request without
 * loading the expression evaluator.
 */

/**
 * The body of `evaluateVariables`: a list of `{"key": "name", "value": "${...}"}`, each key a
 * non-empty string. One line naming the entry and the fix otherwise.
 */
export function parseVariableList(body: unknown): { ok: true; value: Array<{ key: string; value: unknown }> } | { ok: false; message: string } {
  const example = '[{"key": "region", "value": "${trigger.parameters.region}"}]';
  if (!Array.isArray(body)) return { ok: false, message: `the body is ${describe(body)}; send the variables as a JSON list, e.g. ${example}` };
  const variables: Array<{ key: string; value: unknown }> = [];
  for (const [index, entry] of body.entries()) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return { ok: false, message: `/${index} is ${describe(entry)}; each variable is an object, e.g. ${example}` };
    const { key, value } = entry as { key?: unknown; value?: unknown };
    if (typeof key !== 'string' || key.trim() === '') return { ok: false, message: `/${index}/key is ${describe(key)}; give each variable a name, e.g. "key": "region"` };
    variables.push({ key, value: value ?? null });
  }
  return { ok: true, value: variables };
}

/** `a,b c;d` → the refIds, as Orca splits `requisiteStageRefIds`. */
export function splitRefIds(text: string | undefined): string[] {
  return (text ?? '').split(/[,;\s]/).filter((part) => part !== '');
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}
