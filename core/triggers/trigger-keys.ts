/**
 * The trigger index (DESIGN.md §8: never a scan of every pipeline per event): each webhook and
 * git trigger of a saved pipeline is filed under a key an event can name — `webhook:<source>`
 * for `POST /webhooks/webhook/{source}`, `git:<source>` (lower-cased, as Echo compares it) for
 * `POST /webhooks/git/{source}` — so a delivery reads only the pipelines that can match it.
 * Keys are read from the raw document, which is all a store sees; anything malformed files
 * nothing (the validator refused it at save).
 */

/** The index key of a generic webhook's source (compared exactly, as the matcher does). */
export function webhookTriggerKey(source: string): string {
  return `webhook:${source}`;
}

/** The index key of a git host (`github`, `gitlab`...), compared ignoring case. */
export function gitTriggerKey(source: string): string {
  return `git:${source.toLowerCase()}`;
}

/** The distinct index keys of a pipeline document's webhook and git triggers. */
export function triggerIndexKeys(config: Readonly<Record<string, unknown>>): string[] {
  const keys = new Set<string>();
  const triggers = Array.isArray(config.triggers) ? (config.triggers as unknown[]) : [];
  for (const trigger of triggers) {
    if (trigger === null || typeof trigger !== 'object' || Array.isArray(trigger)) continue;
    const { type, source } = trigger as { type?: unknown; source?: unknown };
    if (typeof source !== 'string' || source === '') continue;
    if (type === 'webhook') keys.add(webhookTriggerKey(source));
    else if (type === 'git') keys.add(gitTriggerKey(source));
  }
  return [...keys];
}
