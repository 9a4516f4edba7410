/**
 * The SecretCipher port (core/ports/secret-cipher.ts) with AES-256-GCM from node:crypto: a
 * random 96-bit IV per value, the context (the application) as additional authenticated data,
 * and a 128-bit tag, so a ciphertext moved to another application, or altered, does not
 * decrypt. A ciphertext reads `g1.<key id>.<base64url of IV | ciphertext | tag>`; the key id
 * (the first 8 hex digits of the key's SHA-256) tells a value sealed under another key apart.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import type { SecretCipher } from '../../core/ports/secret-cipher.ts';

const VERSION = 'g1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The bytes a key must have. */
export const AES_KEY_BYTES = 32;

/** The bytes of a fresh IV for each value. */
export const AES_GCM_IV_BYTES = IV_BYTES;

/** What sealing adds to a value: the IV and the tag. */
export const AES_GCM_OVERHEAD = IV_BYTES + TAG_BYTES;

/**
 * Seals `value` under a 32-byte `key` with `iv` (12 bytes) and `aad`: the bytes
 * `IV | ciphertext | tag`. The KMS cipher (kms-cipher.ts) seals with a data key the same way.
 */
export function sealAesGcm(key: Uint8Array, iv: Uint8Array, value: string, aad: string): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/** Opens what sealAesGcm made; undefined when the key, the `aad` or the bytes are not those it was sealed with. */
export function openAesGcm(key: Uint8Array, bytes: Uint8Array, aad: string): string | undefined {
  if (bytes.length < AES_GCM_OVERHEAD) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    // A wrong context or an altered value fails authentication: not ours to open.
    return undefined;
  }
}

/** Creates the cipher over a 32-byte key. */
export function createAesGcmCipher(key: Uint8Array, random: (bytes: number) => Uint8Array): SecretCipher {
  if (key.length !== AES_KEY_BYTES) throw new Error(`an AES-256-GCM key has ${AES_KEY_BYTES} bytes, got ${key.length}`);
  const keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  const prefix = `${VERSION}.${keyId}.`;

  const encryptOne = (value: string, context: string): string => prefix + sealAesGcm(key, random(AES_GCM_IV_BYTES), value, context).toString('base64url');

  const decryptOne = (ciphertext: string, context: string): string | undefined =>
    ciphertext.startsWith(prefix) ? openAesGcm(key, Buffer.from(ciphertext.slice(prefix.length), 'base64url'), context) : undefined;

  return {
    encrypt: async (values, context) => values.map((value) => encryptOne(value, context)),
    decrypt: async (ciphertexts, context) => ciphertexts.map((ciphertext) => decryptOne(ciphertext, context)),
  };
}
