/**
 * Canary configs by id (Kayenta's configuration store, as Gate serves it under
 * `/v2/canaryConfig`): a `kayentaCanary` stage or a canary deploy names its config by
 * `canaryConfigId` (or `canaryConfigName`) and reads it here. The config is Kayenta's own JSON,
 * kept as given (unknown fields included), so a team's configs load unchanged.
 *
 * Every save bumps the config's `revision`; a save may name the revision it read
 * (`expectRevision`, 0 for a new config) and is refused when someone saved in between.
 *
 * Pure types: no I/O.
 */

/** One saved canary config. */
export interface StoredCanaryConfig {
  readonly id: string;
  /** The config's `name` (unique per store: saving a second config of the same name under another id is refused). */
  readonly name: string;
  /** Kayenta's canary config JSON, as saved. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The config's `applications`, when it lists them. */
  readonly applications: readonly string[];
  /** 1 for the first save, then one more per save. */
  readonly revision: number;
  /** Epoch ms of the first save. */
  readonly createdTimestamp: number;
  /** Epoch ms of the last save. */
  readonly updatedTimestamp: number;
}

/** What a list shows of each config (Kayenta's `CanaryConfigIndex` fields). */
export interface CanaryConfigSummary {
  readonly id: string;
  readonly name: string;
  readonly updatedTimestamp: number;
  readonly applications: readonly string[];
}

export interface SaveCanaryConfigOptions {
  /** The revision the caller read (0: the config must be new); absent: last save wins. */
  readonly expectRevision?: number;
}

export type SaveCanaryConfigResult =
  | { readonly ok: true; readonly id: string; readonly revision: number }
  /** Another config already has this name. */
  | { readonly ok: false; readonly reason: 'name-taken'; readonly canaryConfigId: string; readonly message: string }
  /** `expectRevision` did not match: someone saved in between. */
  | { readonly ok: false; readonly reason: 'conflict'; readonly revision: number; readonly message: string }
  /** The config is over the store's record budget. */
  | { readonly ok: false; readonly reason: 'too-large'; readonly bytes: number; readonly limit: number; readonly message: string };

export interface CanaryConfigStore {
  /** Saves a config under `id` (replacing what was there). The config must have a non-empty `name`. */
  save(id: string, config: Readonly<Record<string, unknown>>, options?: SaveCanaryConfigOptions): Promise<SaveCanaryConfigResult>;
  get(id: string): Promise<StoredCanaryConfig | undefined>;
  /** The config with this `name` (case-insensitive), if any. */
  findByName(name: string): Promise<StoredCanaryConfig | undefined>;
  /** Every config, by name. */
  list(): Promise<CanaryConfigSummary[]>;
}

/** The `applications` a Kayenta canary config lists (strings only). */
export function canaryConfigApplications(config: Readonly<Record<string, unknown>>): string[] {
  const raw = config.applications;
  return Array.isArray(raw) ? raw.filter((item): item is string => typeof item === 'string') : [];
}
