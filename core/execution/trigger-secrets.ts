/**
 * Trigger secrets at rest: the `secret` of a git or webhook trigger (the HMAC key a delivery is
 * signed with, or GitLab's token) is stored sealed in the saved pipeline, opened only where a
 * delivery's signature is checked, and shown as `******`.
 *
 * - Saving seals each trigger's plaintext `secret` with the SecretCipher port under the context
 *   `trigger:<application>` (so a sealed secret copied into another application does not open).
 * - A `secret` of `******` (what a read of the pipeline shows) keeps the secret saved before for
 *   the trigger of the same type and source, so a pipeline read, edited and saved again keeps
 *   working; with no such secret before, the save is refused naming the field.
 * - Reads of pipeline configs show every sealed value as `******`: a reader of a pipeline does not
 *   learn the key that signs its deliveries.
 * - Without a cipher (no key configured), secrets stay as given.
 */
import type { JsonObject } from '../ports/execution-store.ts';
import type { Pipeline } from '../pipeline/model.ts';
import type { Trigger } from '../pipeline/triggers/index.ts';
import type { SecretCipher } from '../ports/secret-cipher.ts';
import { REDACTED, SEALED_CLOSE, SEALED_OPEN, isSealedValue } from './secrets.ts';

/** The cipher context of an application's trigger secrets: apart from its executions' values. */
export function triggerSecretContext(application: string): string {
  return `trigger:${application.toLowerCase()}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function triggersOf(config: JsonObject | undefined): readonly unknown[] {
  const triggers = config?.['triggers'];
  return Array.isArray(triggers) ? triggers : [];
}

/** The secret saved before for a trigger like `trigger` (same type and source), if any. */
function previousSecret(previous: JsonObject | undefined, trigger: Record<string, unknown>): string | undefined {
  const same = triggersOf(previous).find(
    (candidate) => isObject(candidate) && candidate['type'] === trigger['type'] && (candidate['source'] ?? '') === (trigger['source'] ?? '') && typeof candidate['secret'] === 'string' && candidate['secret'] !== '' && candidate['secret'] !== REDACTED,
  ) as Record<string, unknown> | undefined;
  return same?.['secret'] as string | undefined;
}

/**
 * The config with each trigger's plaintext `secret` sealed and each `******` replaced by the
 * secret saved before (`previous`: the stored config of the same pipeline), or why not.
 */
export async function sealTriggerSecrets(
  config: JsonObject,
  previous: JsonObject | undefined,
  cipher: SecretCipher | undefined,
  application: string,
): Promise<{ readonly ok: true; readonly config: JsonObject } | { readonly ok: false; readonly index: number; readonly message: string }> {
  const triggers = triggersOf(config);
  if (!triggers.some((trigger) => isObject(trigger) && typeof trigger['secret'] === 'string' && trigger['secret'] !== '')) return { ok: true, config };
  const plaintexts: string[] = [];
  const kept = new Map<number, string>();
  for (const [index, trigger] of triggers.entries()) {
    if (!isObject(trigger) || typeof trigger['secret'] !== 'string' || trigger['secret'] === '') continue;
    const secret = trigger['secret'];
    if (secret === REDACTED) {
      const before = previousSecret(previous, trigger);
      if (before === undefined) {
        return { ok: false, index, message: `'${REDACTED}' keeps the secret saved before, but this pipeline had none for a ${String(trigger['type'])} trigger from '${String(trigger['source'] ?? '')}'; give the secret itself` };
      }
      kept.set(index, before);
    } else if (!isSealedValue(secret) && cipher) {
      plaintexts.push(secret);
    }
  }
  const sealed = cipher && plaintexts.length > 0 ? await cipher.encrypt(plaintexts, triggerSecretContext(application)) : [];
  let next = 0;
  const rewritten = triggers.map((trigger, index) => {
    if (!isObject(trigger) || typeof trigger['secret'] !== 'string' || trigger['secret'] === '') return trigger;
    const before = kept.get(index);
    if (before !== undefined) return { ...trigger, secret: before };
    if (isSealedValue(trigger['secret']) || !cipher) return trigger;
    return { ...trigger, secret: `${SEALED_OPEN}${sealed[next++]}${SEALED_CLOSE}` };
  });
  return { ok: true, config: { ...config, triggers: rewritten } as JsonObject };
}

/**
 * The pipelines with their triggers' sealed secrets opened, for checking a delivery's signature.
 * A trigger whose secret does not open (another key, altered) is left out: it can verify nothing.
 */
export async function openTriggerSecrets(pipelines: readonly Pipeline[], cipher: SecretCipher | undefined): Promise<Pipeline[]> {
  const opened: Pipeline[] = [];
  for (const pipeline of pipelines) {
    const sealed = pipeline.triggers.filter((trigger) => isSealedValue(trigger.raw['secret']));
    if (sealed.length === 0) {
      opened.push(pipeline);
      continue;
    }
    const values = cipher ? await cipher.decrypt(sealed.map((trigger) => (trigger.raw['secret'] as string).slice(SEALED_OPEN.length, -SEALED_CLOSE.length)), triggerSecretContext(pipeline.application)) : [];
    const openedSecrets = new Map<Trigger, string | undefined>(sealed.map((trigger, index) => [trigger, values[index]]));
    const triggers = pipeline.triggers.flatMap((trigger): Trigger[] => {
      if (!openedSecrets.has(trigger)) return [trigger];
      const secret = openedSecrets.get(trigger);
      return secret === undefined ? [] : [{ ...trigger, raw: { ...trigger.raw, secret } } as Trigger];
    });
    opened.push({ ...pipeline, triggers });
  }
  return opened;
}

/** The config as a reader sees it: every trigger's secret (sealed, or plaintext saved before sealing existed) and every other sealed value `******`. */
export function shownPipelineConfig(config: JsonObject): JsonObject {
  const hidden = hideSealedValues(config);
  if (!Array.isArray(hidden['triggers'])) return hidden;
  const triggers = (hidden['triggers'] as unknown[]).map((trigger) => (isObject(trigger) && typeof trigger['secret'] === 'string' && trigger['secret'] !== '' ? { ...trigger, secret: REDACTED } : trigger));
  return { ...hidden, triggers };
}

/** Every whole-string sealed value inside a JSON value, as `******`. */
function hideSealedValues<T>(value: T): T {
  if (isSealedValue(value)) return REDACTED as T;
  if (Array.isArray(value)) return value.map((item: unknown) => hideSealedValues(item)) as T;
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, hideSealedValues(item)])) as T;
  return value;
}
