/**
 * Canary configs by id (Kayenta's configuration store, as Gate serves it under
 * `/v2/canaryConfig`): a `kayentaCanary` stage or a canary deploy names its config by
 * `canaryConfigId` (or `canaryConfigName`) and reads it here. The config is Kayenta's own JSON,
 * kept as given (unknown fields included), so a team's configs load unchanged.
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

export type SaveCanaryConfigResult = { readonly ok: true; readonly id: string } | { readonly ok: false; readonly reason: 'name-taken'; readonly message: string };

export interface CanaryConfigStore {
  /** Saves a config under `id` (replacing what was there). */
  save(id: string, config: Readonly<Record<string, unknown>>): Promise<SaveCanaryConfigResult>;
  get(id: string): Promise<StoredCanaryConfig | undefined>;
  /** The config with this `name`, if any. */
  findByName(name: string): Promise<StoredCanaryConfig | undefined>;
  /** Every config, by name. */
  list(): Promise<CanaryConfigSummary[]>;
}
