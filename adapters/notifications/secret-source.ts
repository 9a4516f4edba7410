/**
 * Where a sender's credential comes from (a Slack default webhook, a GitHub token, an SMTP
 * password): read when a notification is sent, for that notification's application, and never
 * written anywhere. Locally it is a named secret of the state directory (`gennaker secret set`).
 */
import type { SecretLookup, SecretStore } from '../../core/ports/secret-store.ts';

/** Reads the credential for a notification of `application`. */
export type SecretSource = (application: string) => Promise<SecretLookup>;

/** The named secret `name` of `store`, as a notification of the application reads it. */
export function namedSecret(store: SecretStore | undefined, name: string, what: string): SecretSource {
  return async (application) => {
    if (!store) return { ok: false, message: `${what} is the secret '${name}', but no secret store is configured here` };
    const read = await store.read(name, application);
    if (read.ok) return read;
    return { ok: false, message: `${what} could not be read: ${read.message}` };
  };
}

/** A credential given directly (configuration the deployment holds, never the pipeline). */
export function fixedSecret(value: string): SecretSource {
  return async () => ({ ok: true, value });
}
