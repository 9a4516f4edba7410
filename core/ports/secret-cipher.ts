/**
 * Encryption of secret values at rest. An execution keeps the values of its secret parameters
 * only as ciphertext (core/execution/sealed-parameters.ts); the stage runner decrypts them when
 * a stage needs them, and nothing shown (the API, the CLI) ever decrypts. Locally the key is a
 * 0600 file in the state directory (AES-256-GCM); on AWS a KMS key, by envelope encryption
 * (adapters/crypto/kms-cipher.ts).
 *
 * Each ciphertext is bound to a context (the application of the execution), so a value copied
 * into another application's execution does not decrypt there.
 */

/** Encrypts and decrypts secret values. */
export interface SecretCipher {
  /**
   * Encrypts each value under `context`. A result is printable text of the characters
   * `[A-Za-z0-9_.-]` only, so it can stand inside other text and be found again.
   */
  encrypt(values: readonly string[], context: string): Promise<readonly string[]>;
  /**
   * Decrypts each ciphertext under `context`; one that does not decrypt (another key, another
   * context, altered) is undefined in the result, never an exception.
   */
  decrypt(ciphertexts: readonly string[], context: string): Promise<readonly (string | undefined)[]>;
}
