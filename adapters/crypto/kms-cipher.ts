/**
 * The SecretCipher port (core/ports/secret-cipher.ts) on AWS KMS, by envelope encryption: KMS
 * makes a data key (`GenerateDataKey`, AES-256) and returns it twice, in plaintext and sealed
 * under the KMS key; each value is sealed locally with the plaintext data key (AES-256-GCM, the
 * execution's context as authenticated data, as the local cipher does), and the sealed data key
 * travels inside every ciphertext, so any function holding `kms:Decrypt` on the key can open it
 * and nothing else can.
 *
 * Decisions:
 * - One data key serves many values for a while (15 minutes or 10,000 values by default), so a
 *   start that seals ten values makes one KMS call, not ten; a fresh one follows, so no key
 *   seals without bound.
 * - Opened data keys are cached by their sealed form (64 by default): a stage that reads the
 *   execution's secrets calls `Decrypt` once per data key, not once per value and step.
 * - The data key's KMS encryption context names its purpose (`gennaker:purpose=secret-values`, or
 *   `trigger-secrets` for the secrets triggers are signed with), so an IAM policy can let a
 *   function open one kind and not the other (`kms:EncryptionContext:gennaker:purpose`): the API
 *   opens trigger secrets to check signatures, never execution values.
 * - A ciphertext that is not ours (another KMS key, another context, altered) is undefined, as
 *   the port says; KMS not answering (throttled, unreachable, the key disabled or denied) throws
 *   the retryable `Gennaker.StoreUnavailable` naming the key, so the step is tried again rather
 *   than running without its secrets.
 *
 * A ciphertext reads `k1.<base64url of: sealed data key length (2 bytes) | sealed data key | IV | ciphertext | tag>`.
 */
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { GennakerError } from '../../core/errors.ts';
import type { SecretCipher } from '../../core/ports/secret-cipher.ts';
import { AES_GCM_IV_BYTES, AES_GCM_OVERHEAD, AES_KEY_BYTES, openAesGcm, sealAesGcm } from './aes-gcm-cipher.ts';

const VERSION = 'k1.';
/** KMS answers that mean "this ciphertext is not one this key opens", not "KMS is unavailable". */
const NOT_OURS = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

export interface KmsCipherOptions {
  /** A KMS client in the key's Region (only `send` is used). */
  readonly client: Pick<KMSClient, 'send'>;
  /** The key: its ARN, id, or `alias/<name>`. */
  readonly keyId: string;
  /** Random bytes for IVs. */
  readonly random: (bytes: number) => Uint8Array;
  /** @default Date.now */
  readonly now?: () => number;
  /** How long one data key seals values. @default 900_000 (15 minutes) */
  readonly dataKeyMaxAgeMs?: number;
  /** How many values one data key seals. @default 10_000 */
  readonly dataKeyMaxUses?: number;
  /** How many opened data keys are kept. @default 64 */
  readonly openedKeysCached?: number;
  /** What the values are, in the data keys' KMS encryption context (`gennaker:purpose`). @default 'secret-values' */
  readonly purpose?: KmsSecretPurpose;
}

/** The kinds of values sealed, each with data keys of its own. */
export type KmsSecretPurpose = 'secret-values' | 'trigger-secrets';

/** The KMS encryption context key naming a data key's purpose (for IAM conditions). */
export const PURPOSE_CONTEXT_KEY = 'gennaker:purpose';

interface DataKey {
  readonly plaintext: Uint8Array;
  readonly sealed: Buffer;
  readonly made: number;
  uses: number;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

/** Creates the KMS-backed cipher. */
export function createKmsCipher(options: KmsCipherOptions): SecretCipher {
  const now = options.now ?? Date.now;
  const maxAge = options.dataKeyMaxAgeMs ?? 900_000;
  const maxUses = options.dataKeyMaxUses ?? 10_000;
  const cacheSize = options.openedKeysCached ?? 64;
  const opened = new Map<string, Uint8Array>();
  const purpose = { [PURPOSE_CONTEXT_KEY]: options.purpose ?? 'secret-values' };
  let current: Promise<DataKey> | undefined;

  const unavailable = (call: string, error: unknown): GennakerError =>
    new GennakerError('Gennaker.StoreUnavailable', `KMS ${call} with key ${options.keyId} failed (${errorName(error)}: ${error instanceof Error ? error.message : String(error)}); secret values cannot be ${call === 'Decrypt' ? 'opened' : 'sealed'} until the key answers: check that it exists, is enabled and that this function may use it`, { cause: error });

  const remember = (sealed: string, key: Uint8Array) => {
    opened.delete(sealed);
    opened.set(sealed, key);
    while (opened.size > cacheSize) opened.delete(opened.keys().next().value!);
  };

  const freshDataKey = async (): Promise<DataKey> => {
    let answer;
    try {
      answer = await options.client.send(new GenerateDataKeyCommand({ KeyId: options.keyId, KeySpec: 'AES_256', EncryptionContext: purpose }));
    } catch (error) {
      throw unavailable('GenerateDataKey', error);
    }
    if (!answer.Plaintext || answer.Plaintext.length !== AES_KEY_BYTES || !answer.CiphertextBlob) throw unavailable('GenerateDataKey', new Error('the answer holds no 32-byte data key'));
    const sealed = Buffer.from(answer.CiphertextBlob);
    if (sealed.length > 0xffff) throw unavailable('GenerateDataKey', new Error(`the sealed data key has ${sealed.length} bytes`));
    remember(sealed.toString('base64'), answer.Plaintext);
    return { plaintext: answer.Plaintext, sealed, made: now(), uses: 0 };
  };

  /** The data key to seal `count` more values with: the current one while it is young and not worn out. */
  const dataKeyFor = async (count: number): Promise<DataKey> => {
    const key = current ? await current.catch(() => undefined) : undefined;
    if (key && now() - key.made < maxAge && key.uses + count <= maxUses) {
      key.uses += count;
      return key;
    }
    const next = freshDataKey();
    current = next;
    const made = await next;
    made.uses += count;
    return made;
  };

  const openDataKey = async (sealed: Buffer): Promise<Uint8Array | undefined> => {
    const cacheKey = sealed.toString('base64');
    const cached = opened.get(cacheKey);
    if (cached) {
      remember(cacheKey, cached);
      return cached;
    }
    let answer;
    try {
      answer = await options.client.send(new DecryptCommand({ CiphertextBlob: sealed, KeyId: options.keyId, EncryptionContext: purpose }));
    } catch (error) {
      if (NOT_OURS.has(errorName(error))) return undefined;
      throw unavailable('Decrypt', error);
    }
    if (!answer.Plaintext || answer.Plaintext.length !== AES_KEY_BYTES) return undefined;
    remember(cacheKey, answer.Plaintext);
    return answer.Plaintext;
  };

  /** The sealed data key and the sealed value of a ciphertext, or undefined when it is not one of ours. */
  const parse = (ciphertext: string): { sealedKey: Buffer; body: Buffer } | undefined => {
    if (!ciphertext.startsWith(VERSION)) return undefined;
    const bytes = Buffer.from(ciphertext.slice(VERSION.length), 'base64url');
    if (bytes.length < 2) return undefined;
    const keyLength = bytes.readUInt16BE(0);
    if (keyLength === 0 || bytes.length < 2 + keyLength + AES_GCM_OVERHEAD) return undefined;
    return { sealedKey: bytes.subarray(2, 2 + keyLength), body: bytes.subarray(2 + keyLength) };
  };

  return {
    async encrypt(values, context) {
      if (values.length === 0) return [];
      const key = await dataKeyFor(values.length);
      const length = Buffer.alloc(2);
      length.writeUInt16BE(key.sealed.length, 0);
      return values.map((value) => VERSION + Buffer.concat([length, key.sealed, sealAesGcm(key.plaintext, options.random(AES_GCM_IV_BYTES), value, context)]).toString('base64url'));
    },

    async decrypt(ciphertexts, context) {
      const results: (string | undefined)[] = [];
      for (const ciphertext of ciphertexts) {
        const parts = parse(ciphertext);
        const key = parts ? await openDataKey(parts.sealedKey) : undefined;
        results.push(parts && key ? openAesGcm(key, parts.body, context) : undefined);
      }
      return results;
    },
  };
}
