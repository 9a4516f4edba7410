/**
 * Named secrets that expressions read with `${#secret('name')}`: a 0600 file in the state
 * directory locally (local/secrets-file.ts), AWS Secrets Manager in the cloud
 * (adapters/secrets/secrets-manager-store.ts). The stage runner reads them when a stage runs
 * and never stores the values: what it writes is redacted by value (core/execution/stage-secrets.ts).
 */

/** A secret's value, or why it cannot be read (one line: the name, the reason, the fix). */
export type SecretLookup = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly message: string };

/** Reads named secrets for the executions of an application. */
export interface SecretStore {
  /** The secret `name` for an execution of `application`; refused when the secret is not shared with it. */
  read(name: string, application: string): Promise<SecretLookup>;
}
