/**
 * The secrets of one stage call (sealing.ts): which values the stage runner must keep out of
 * storage when it writes the stage, and the named secrets `${#secret('name')}` reads.
 *
 * - Sealed: the execution's secret parameters and every value opened from storage, plus what the
 *   stage's evaluated context reveals: the values of webhook headers with secret-looking names
 *   (and the credential of an `Authorization: Bearer ...`), and `runJob` environment values with
 *   secret-looking names. URL credentials are sealed by position wherever they appear.
 * - Redacted for good: the values `#secret` read. A context field whose text calls `#secret` is
 *   evaluated again, from the stage as written, whenever a task of the stage runs, so the value
 *   is read at task time and never stored.
 */
import type { SecretLookup } from '../ports/secret-store.ts';
import { secretNamesIn } from '../expressions/secret-calls.ts';
import { headerSecretValues, isSecretName } from './secrets.ts';

/** The names of the secrets a stage as written reads (core/expressions/secret-calls.ts). */
export { secretNamesIn };

/** Whether a top-level field of a stage as written calls `#secret` (then it is evaluated at task time). */
export function readsSecrets(value: unknown): boolean {
  return secretNamesIn(value).length > 0;
}

/**
 * The secret values a stage's evaluated context reveals by their names: webhook headers and
 * `runJob` environment entries whose names look secret.
 */
export function revealedSecrets(stageType: string, context: Readonly<Record<string, unknown>>): string[] {
  const found: string[] = [];
  const collect = (entries: unknown, split: boolean) => {
    if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) return;
    for (const [name, value] of Object.entries(entries)) {
      if (!isSecretName(name)) continue;
      const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
      if (text === undefined || text === '') continue;
      found.push(...(split ? headerSecretValues(text) : [text]));
    }
  };
  if (stageType === 'webhook') collect(context.customHeaders, true);
  if (stageType === 'runJob') collect(context.env, false);
  return found;
}

/** A lookup of the secrets read before an evaluation, for `EvaluationContext.secrets`. */
export function secretLookup(read: ReadonlyMap<string, SecretLookup>): (name: string) => SecretLookup {
  return (name) => read.get(name) ?? { ok: false, message: `secret '${name}' was not read before the evaluation; name it as a quoted literal, e.g. #secret('${name}')` };
}
