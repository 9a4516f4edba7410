/**
 * Secrets written into a saved pipeline, at rest: the `secret` of a git or webhook trigger (the
 * key deliveries are signed with, or GitLab's token), and literal values of webhook
 * `customHeaders` and `runJob` `env` entries whose names look secret (`Authorization`,
 * `API_TOKEN`...; secrets.ts `isSecretName`). Each is stored sealed, opened only where it is used,
 * and shown as `******`.
 *
 * - Saving seals each plaintext slot with the SecretCipher port: a trigger's secret under the
 *   context `trigger:<application>` with the trigger cipher (so, on AWS, the API may open those
 *   and nothing else), a stage's value under the application, as an execution's sealed values
 *   are: an execution started from the pipeline carries the sealed value, and the stage runner
 *   opens it for the step that sends the header or starts the job (sealing.ts).
 * - A slot saved as `******` (what a read of the pipeline shows) keeps the value saved before in
 *   the same slot (the trigger of the same type and source; the same stage `refId` and name), so
 *   a pipeline read, edited and saved again keeps working; with nothing there before, the save is
 *   refused, naming the field.
 * - A value holding an expression (`${...}`) is left as written: it is evaluated at run time and
 *   what it yields is sealed then.
 * - Reads of pipeline configs show every slot and every sealed value as `******`.
 * - Without a cipher (no key configured), values stay as given.
 */
import type { JsonObject } from '../ports/execution-store.ts';
import type { Pipeline } from '../pipeline/model.ts';
import type { Trigger } from '../pipeline/triggers/index.ts';
import type { SecretCipher } from '../ports/secret-cipher.ts';
import { REDACTED, SEALED_CLOSE, SEALED_OPEN, isSealedValue, isSecretName } from './secrets.ts';

/** The cipher context of an application's trigger secrets: apart from its executions' values. */
export function triggerSecretContext(application: string): string {
  return `trigger:${application.toLowerCase()}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** One place of a config that holds a secret. */
interface Slot {
  /** What the slot is across versions: the trigger's type and source, or the stage's refId and the entry's name. */
  readonly identity: string;
  /** Where it stands: a JSON pointer's segments. */
  readonly path: readonly (string | number)[];
  readonly kind: 'trigger' | 'stage';
  readonly value: string;
}

/** The slots of a config that hold a non-empty string. */
function slotsOf(config: JsonObject | undefined): Slot[] {
  const slots: Slot[] = [];
  const triggers = config?.['triggers'];
  if (Array.isArray(triggers)) {
    triggers.forEach((trigger, index) => {
      if (isObject(trigger) && typeof trigger['secret'] === 'string' && trigger['secret'] !== '') {
        slots.push({ identity: `trigger ${String(trigger['type'])} ${String(trigger['source'] ?? '')}`, path: ['triggers', index, 'secret'], kind: 'trigger', value: trigger['secret'] });
      }
    });
  }
  const stages = config?.['stages'];
  if (Array.isArray(stages)) {
    stages.forEach((stage, index) => {
      if (!isObject(stage)) return;
      const field = stage['type'] === 'webhook' ? 'customHeaders' : stage['type'] === 'runJob' ? 'env' : undefined;
      const entries = field !== undefined ? stage[field] : undefined;
      if (field === undefined || !isObject(entries)) return;
      for (const [name, value] of Object.entries(entries)) {
        if (typeof value === 'string' && value !== '' && isSecretName(name) && !value.includes('${')) {
          slots.push({ identity: `stage ${String(stage['refId'])} ${field} ${name}`, path: ['stages', index, field, name], kind: 'stage', value });
        }
      }
    });
  }
  return slots;
}

/** `value` with the string at `path` replaced (copies along the path, shares the rest). */
function setAt(value: unknown, path: readonly (string | number)[], replacement: string): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((item, index) => (index === head ? setAt(item, rest, replacement) : item));
  if (isObject(value)) return { ...value, [head!]: setAt(value[head as string], rest, replacement) };
  return value;
}

const pointerOf = (path: readonly (string | number)[]) => `/${path.map((segment) => String(segment).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

/**
 * The config with every plaintext secret slot sealed and every `******` replaced by what the same
 * slot held in `previous` (the stored config of the same pipeline), or the first slot that
 * cannot be kept.
 */
export async function sealConfigSecrets(
  config: JsonObject,
  previous: JsonObject | undefined,
  ciphers: { readonly values?: SecretCipher; readonly triggers?: SecretCipher },
  application: string,
): Promise<{ readonly ok: true; readonly config: JsonObject } | { readonly ok: false; readonly pointer: string; readonly message: string }> {
  const slots = slotsOf(config);
  if (slots.length === 0) return { ok: true, config };
  const before = new Map(slotsOf(previous).filter((slot) => slot.value !== REDACTED).map((slot) => [slot.identity, slot.value]));
  const replacements: Array<{ path: readonly (string | number)[]; value: string }> = [];
  const toSeal: Record<Slot['kind'], Slot[]> = { trigger: [], stage: [] };
  for (const slot of slots) {
    if (slot.value === REDACTED) {
      const kept = before.get(slot.identity);
      if (kept === undefined) {
        const what = slot.kind === 'trigger' ? `a ${slot.identity.split(' ')[1]} trigger from '${slot.identity.split(' ').slice(2).join(' ')}'` : `stage ${slot.identity.split(' ')[1]}'s ${slot.path.at(-1)}`;
        return { ok: false, pointer: pointerOf(slot.path), message: `'${REDACTED}' keeps the secret saved before, but this pipeline had none for ${what}; give the secret itself` };
      }
      replacements.push({ path: slot.path, value: kept });
    } else if (!isSealedValue(slot.value)) {
      toSeal[slot.kind].push(slot);
    }
  }
  const sealWith = async (kind: Slot['kind'], cipher: SecretCipher | undefined, context: string) => {
    const plain = toSeal[kind];
    if (!cipher || plain.length === 0) return;
    const sealed = await cipher.encrypt(plain.map((slot) => slot.value), context);
    plain.forEach((slot, index) => replacements.push({ path: slot.path, value: `${SEALED_OPEN}${sealed[index]}${SEALED_CLOSE}` }));
  };
  await sealWith('trigger', ciphers.triggers ?? ciphers.values, triggerSecretContext(application));
  await sealWith('stage', ciphers.values, application);
  let next: unknown = config;
  for (const replacement of replacements) next = setAt(next, replacement.path, replacement.value);
  return { ok: true, config: next as JsonObject };
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

/** The config as a reader sees it: every secret slot (sealed, or plaintext saved before sealing existed) and every other sealed value `******`. */
export function shownPipelineConfig(config: JsonObject): JsonObject {
  let shown: unknown = hideSealedValues(config);
  for (const slot of slotsOf(config)) shown = setAt(shown, slot.path, REDACTED);
  return shown as JsonObject;
}

/** Every whole-string sealed value inside a JSON value, as `******`. */
function hideSealedValues<T>(value: T): T {
  if (isSealedValue(value)) return REDACTED as T;
  if (Array.isArray(value)) return value.map((item: unknown) => hideSealedValues(item)) as T;
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, hideSealedValues(item)])) as T;
  return value;
}
