/**
 * The local deploy target on the two ports of DESIGN.md §6 (core/ports/server-groups.ts,
 * core/ports/traffic.ts): the same real processes and load balancer as local-deploy-target.ts,
 * answered the way the step executor needs — every operation starts and returns, results say
 * `done` or `already-done`, and owner tokens make a repeated side effect harmless.
 *
 * Decisions:
 * - Provider fields: `env` (scalars, turned into strings), `command` (argv) and `healthCheck`
 *   `{path, intervalMs, timeoutMs, unhealthyThreshold}`, parsed here; other fields are ignored.
 *   The artifact is required (a `directory` or a `git` reference).
 * - A create with `source` (cloneServerGroup) runs the source's baked artifact with its env,
 *   command and health check; the request's artifact and provider fields override them.
 * - Creates of one name are serialized, so two concurrent creates by one owner make one server
 *   group and the second answers `already-done` (the owner is kept in the target's model file).
 * - `disable` returns once the server group (or share) is out of rotation; describe shows
 *   `draining` until the requests in flight are over or the drain timeout passed.
 * - `destroy` returns once the server group is out of rotation; draining and killing go on, and
 *   the server group leaves describe when they are over. A destroy of a missing server group
 *   answers `already-done` only when the model remembers this owner destroying it, so a typo
 *   is `not-found`, never a silent success.
 * - Thrown system errors are results: transient ones (EAGAIN, EBUSY, EMFILE, ENFILE, ETIMEDOUT,
 *   ECONNRESET, EINTR) are `unavailable` and worth retrying; the rest (EADDRINUSE after the
 *   target's own retries, ENOSPC, EACCES...) are `failed`. An error without a system code is a
 *   broken invariant and is thrown.
 */
import type {
  ArtifactReference,
  Capacity,
  ClusterRef,
  CreateServerGroupRequest,
  DescribeResult,
  HealthCheckSettings,
  OperationResult,
  PortFailure,
  ServerGroupPort,
  ServerGroupRef,
} from '../../../core/ports/server-groups.ts';
import type { Target } from '../../../core/ports/target.ts';
import type { DisableOptions, TrafficPort, TrafficWeights, VerifyWeightsResult } from '../../../core/ports/traffic.ts';
import type { LocalDeployTarget } from './local-deploy-target.ts';

/** The local target on the new ports, and a way to wait for what it still does in the background. */
export interface LocalTargetPorts extends Target {
  /** Resolves when every destroy started here has finished (for shutdown and tests). */
  idle(): Promise<void>;
}

/** The provider fields the local target reads. */
export interface LocalProviderSettings {
  readonly env?: Readonly<Record<string, string>>;
  readonly command?: readonly string[];
  readonly healthCheck?: HealthCheckSettings;
}

const DONE: OperationResult = { ok: true, outcome: 'done' };
const ALREADY_DONE: OperationResult = { ok: true, outcome: 'already-done' };

/** System error codes that say "not now": the same call may succeed later. */
const TRANSIENT_CODES = new Set(['EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'ETIMEDOUT', 'ECONNRESET', 'EINTR']);

function failure(reason: PortFailure['reason'], message: string, cause?: unknown): PortFailure {
  return { ok: false, reason, message, ...(cause !== undefined ? { cause } : {}) };
}

/**
 * A thrown infrastructure fault as a result: `unavailable` when transient, else `failed`. An
 * error without a system `code` is a bug, not a fault of the machine, and is thrown again.
 */
export function localFault(error: unknown, what: string): PortFailure {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== 'string') throw error;
  if (TRANSIENT_CODES.has(code)) return failure('unavailable', `${what} could not finish (${code}, a passing shortage of this machine); try again`, error);
  return failure('failed', `${what} failed (${code})`, error);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function positiveNumber(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(number) && number > 0 ? number : undefined;
}

/** Reads `env`, `command` and `healthCheck` from the provider fields; a bad one is named with its value and a fix. */
export function parseLocalProvider(provider: Readonly<Record<string, unknown>> | undefined): { ok: true; settings: LocalProviderSettings } | { ok: false; message: string } {
  const given = provider ?? {};
  const bad = (field: string, value: unknown, fix: string) => ({ ok: false as const, message: `provider field ${field} is ${JSON.stringify(value)}; ${fix}` });
  const settings: { env?: Record<string, string>; command?: string[]; healthCheck?: HealthCheckSettings } = {};
  if (given.env !== undefined) {
    if (!isObject(given.env)) return bad('env', given.env, 'set an object of environment variables, e.g. {"LOG_LEVEL": "info"}');
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(given.env)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return bad(`env.${key}`, value, 'environment variables are strings');
      env[key] = String(value);
    }
    settings.env = env;
  }
  if (given.command !== undefined) {
    if (!Array.isArray(given.command) || given.command.length === 0 || !given.command.every((part) => typeof part === 'string')) {
      return bad('command', given.command, 'set an argv list, e.g. ["node", "server.js"]');
    }
    settings.command = [...(given.command as string[])];
  }
  if (given.healthCheck !== undefined) {
    const check = given.healthCheck;
    if (!isObject(check)) return bad('healthCheck', check, 'set e.g. {"path": "/health"}');
    const healthCheck: { path?: string; intervalMs?: number; timeoutMs?: number; unhealthyThreshold?: number } = {};
    if (check.path !== undefined) {
      if (typeof check.path !== 'string' || !check.path.startsWith('/')) return bad('healthCheck.path', check.path, 'set a path such as "/health"');
      healthCheck.path = check.path;
    }
    for (const field of ['intervalMs', 'timeoutMs', 'unhealthyThreshold'] as const) {
      if (check[field] === undefined) continue;
      const value = positiveNumber(check[field]);
      if (value === undefined) return bad(`healthCheck.${field}`, check[field], 'set a positive number');
      healthCheck[field] = value;
    }
    settings.healthCheck = healthCheck;
  }
  return { ok: true, settings };
}

const sameCapacity = (a: Capacity, b: Capacity) => a.min === b.min && a.max === b.max && a.desired === b.desired;

/** Weights without zero entries, sorted: equal when two weight maps route alike. */
function normalized(weights: TrafficWeights | undefined): string {
  return JSON.stringify(
    Object.entries(weights ?? {})
      .filter(([, weight]) => weight !== 0)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

const missingOwner = (owner: unknown): PortFailure | undefined =>
  typeof owner === 'string' && owner.trim() !== '' ? undefined : failure('invalid', `owner is ${JSON.stringify(owner)}; every side effect carries the owner token of the step that asks for it`);

/** Puts an existing local deploy target on the server-group and traffic ports. */
export function createLocalTargetPorts(local: LocalDeployTarget): LocalTargetPorts {
  /** Creates under way, by `account/location/name`: one at a time per name. */
  const creating = new Map<string, Promise<OperationResult>>();
  /** Destroys under way (draining, killing), by `account/location/name`. */
  const destroying = new Map<string, Promise<void>>();
  const keyOf = (ref: ServerGroupRef) => `${ref.account}/${ref.location}/${ref.serverGroup}`;

  const notFound = (ref: ServerGroupRef) => failure('not-found', `server group ${ref.serverGroup} does not exist in ${ref.account}/${ref.location}`);
  const beingDestroyed = (ref: ServerGroupRef) => failure('not-found', `server group ${ref.serverGroup} in ${ref.account}/${ref.location} is being destroyed`);

  /** Turns a thrown system error into a result; anything else is rethrown. */
  async function guarded<R>(what: string, act: () => Promise<R>): Promise<R | PortFailure> {
    try {
      return await act();
    } catch (error) {
      return localFault(error, what);
    }
  }

  function existingAnswer(request: CreateServerGroupRequest): OperationResult | undefined {
    const existing = local.describeServerGroup({ account: request.account, location: request.location, serverGroup: request.name });
    if (!existing) return undefined;
    if (existing.owner === request.owner) return ALREADY_DONE;
    const whose = existing.owner === undefined ? 'was made elsewhere (no owner)' : `belongs to ${existing.owner}`;
    return failure('already-exists', `server group ${request.name} already exists in ${request.account}/${request.location} and ${whose}; server groups are immutable, create the next version`);
  }

  /**
   * What a clone runs (cloneServerGroup): the source's baked artifact, env, command and health
   * check, each field the stage sets replacing the copied one (env and healthCheck key by key).
   * A new artifact drops a command that was derived from the source's.
   */
  function cloneSettings(request: CreateServerGroupRequest, source: ServerGroupRef, given: LocalProviderSettings): ({ artifact: ArtifactReference } & LocalProviderSettings) | PortFailure {
    if (source.account !== request.account) return failure('invalid', `source account '${source.account}' is not '${request.account}'; a clone is made in its source's account`);
    const copied = local.launchSettings(source);
    if (!copied) return failure('not-found', `source server group ${source.serverGroup} does not exist in ${source.account}/${source.location}; clone an existing server group`);
    const command = given.command ?? (request.artifact ? undefined : copied.command);
    return {
      // The baked directory itself: same name and version, so the bake finds it and the clone runs the same files.
      artifact: request.artifact ?? { type: 'directory', reference: copied.directory, name: copied.artifact.name ?? request.cluster, ...(copied.artifact.version !== undefined ? { version: copied.artifact.version } : {}) },
      env: { ...copied.env, ...given.env },
      ...(command ? { command } : {}),
      healthCheck: { ...copied.healthCheck, ...given.healthCheck },
    };
  }

  async function createOnce(request: CreateServerGroupRequest): Promise<OperationResult> {
    const existing = existingAnswer(request);
    if (existing) return existing;
    const provider = parseLocalProvider(request.provider);
    if (!provider.ok) return failure('invalid', provider.message);
    const settings = request.source ? cloneSettings(request, request.source, provider.settings) : { ...provider.settings, ...(request.artifact ? { artifact: request.artifact } : {}) };
    if ('ok' in settings) return settings;
    if (!('artifact' in settings) || !settings.artifact) {
      return failure('invalid', `artifact is missing for ${request.name}; the local target runs a directory or a git artifact, e.g. {"type": "directory", "reference": "./service"}`);
    }
    const { env, command, healthCheck } = settings;
    const created = await local.createServerGroup({
      account: request.account,
      location: request.location,
      cluster: request.cluster,
      name: request.name,
      owner: request.owner,
      capacity: request.capacity,
      artifact: settings.artifact,
      ...(request.disabled !== undefined ? { disabled: request.disabled } : {}),
      ...(env ? { env } : {}),
      ...(command ? { command } : {}),
      ...(healthCheck ? { healthCheck } : {}),
    });
    if (created.ok) return DONE;
    // Taken meanwhile (by a create through the other port): answer by its owner.
    if (created.reason === 'already-exists') return existingAnswer(request) ?? failure('already-exists', created.message);
    return failure(created.reason, created.message);
  }

  const serverGroups: ServerGroupPort = {
    capabilities: { resize: local.capabilities.resize, artifactTypes: [...local.capabilities.artifactTypes], clone: true },

    async create(request) {
      const problem = missingOwner(request.owner);
      if (problem) return problem;
      const key = keyOf({ account: request.account, location: request.location, serverGroup: request.name });
      // One create per name at a time: the second finds the first's server group.
      while (creating.has(key)) await creating.get(key);
      const attempt = guarded(`creating ${request.name}`, () => createOnce(request));
      creating.set(key, attempt);
      try {
        return await attempt;
      } finally {
        if (creating.get(key) === attempt) creating.delete(key);
      }
    },

    resize: (ref, capacity, sideEffect) =>
      guarded(`resizing ${ref.serverGroup}`, async () => {
        const problem = missingOwner(sideEffect.owner);
        if (problem) return problem;
        if (destroying.has(keyOf(ref))) return beingDestroyed(ref);
        const group = local.describeServerGroup(ref);
        if (!group) return notFound(ref);
        if (sameCapacity(group.capacity, capacity) && group.instances.length === capacity.desired) return ALREADY_DONE;
        const resized = await local.resizeServerGroup(ref, capacity);
        return resized.ok ? DONE : failure(resized.reason, resized.message);
      }),

    destroy: (ref, sideEffect) =>
      guarded(`destroying ${ref.serverGroup}`, async () => {
        const problem = missingOwner(sideEffect.owner);
        if (problem) return problem;
        const key = keyOf(ref);
        if (destroying.has(key)) return ALREADY_DONE;
        if (!local.describeServerGroup(ref)) return local.destroyedBy(ref) === sideEffect.owner ? ALREADY_DONE : notFound(ref);
        // The target takes it out of rotation before its first await; draining and killing go on.
        const destroy = local.destroyServerGroup(ref, { owner: sideEffect.owner }).then(
          () => undefined,
          // It stays in describe, so the caller sees the destroy did not finish and asks again.
          () => undefined,
        );
        destroying.set(key, destroy);
        void destroy.finally(() => destroying.delete(key));
        return DONE;
      }),

    awaitChange: (_ref, withinMs) => local.awaitChange(withinMs),

    describeCluster: (ref: ClusterRef): Promise<DescribeResult> =>
      guarded(`describing ${ref.cluster}`, async () => {
        const described = await local.describeCluster(ref);
        return {
          ok: true as const,
          cluster: { account: described.account, location: described.location, cluster: described.cluster, serverGroups: described.serverGroups, ...(described.endpoint ? { endpoint: described.endpoint } : {}) },
        };
      }),
  };

  const traffic: TrafficPort = {
    capabilities: {
      weights: local.capabilities.trafficWeights,
      // The local load balancer weighs every server group of a cluster.
      maxWeightedServerGroups: local.capabilities.trafficWeights ? Number.MAX_SAFE_INTEGER : 0,
      partialDisable: local.capabilities.partialDisable ?? false,
      drains: local.capabilities.drainOnDisable,
    },

    enable: (ref, sideEffect) =>
      guarded(`enabling ${ref.serverGroup}`, async () => {
        const problem = missingOwner(sideEffect.owner);
        if (problem) return problem;
        if (destroying.has(keyOf(ref))) return beingDestroyed(ref);
        const group = local.describeServerGroup(ref);
        if (!group) return notFound(ref);
        if (!group.disabled && !group.instances.some((instance) => instance.outOfService)) return ALREADY_DONE;
        const enabled = await local.enableServerGroup(ref);
        return enabled.ok ? DONE : failure(enabled.reason, enabled.message);
      }),

    disable: (ref, options: DisableOptions) =>
      guarded(`disabling ${ref.serverGroup}`, async () => {
        const problem = missingOwner(options.owner);
        if (problem) return problem;
        const percentage = options.desiredPercentage;
        if (percentage !== undefined && !(Number.isFinite(percentage) && percentage >= 0 && percentage <= 100)) {
          return failure('invalid', `desiredPercentage ${percentage} must be between 0 and 100`);
        }
        if (destroying.has(keyOf(ref))) return beingDestroyed(ref);
        const group = local.describeServerGroup(ref);
        if (!group) return notFound(ref);
        if (group.disabled) return ALREADY_DONE;
        if (percentage !== undefined && percentage < 100) {
          // The same rounding as the target's: the share is already out when enough instances are.
          const wanted = Math.ceil((group.instances.length * percentage) / 100);
          if (wanted <= group.instances.filter((instance) => instance.outOfService).length) return ALREADY_DONE;
        }
        const disabled = await local.disableServerGroup(ref, { ...(percentage !== undefined ? { desiredPercentage: percentage } : {}), wait: false });
        return disabled.ok ? DONE : failure(disabled.reason, disabled.message);
      }),

    setWeights: (ref, weights, sideEffect) =>
      guarded(`weighing ${ref.cluster}`, async () => {
        const problem = missingOwner(sideEffect.owner);
        if (problem) return problem;
        for (const [name, weight] of Object.entries(weights)) {
          if (!(Number.isInteger(weight) && weight >= 0 && weight <= 100)) return failure('invalid', `traffic weight ${weight} for ${name} must be a whole percentage between 0 and 100`);
        }
        const current = await local.describeCluster(ref);
        const known = new Set(current.serverGroups.map((group) => group.name));
        const stranger = Object.keys(weights).find((name) => !known.has(name));
        if (stranger !== undefined) return failure('not-found', `server group ${stranger} is not in cluster ${ref.cluster} (${ref.account}/${ref.location})`);
        if (normalized(current.trafficWeights) === normalized(weights)) return ALREADY_DONE;
        const set = await local.setTrafficWeights(ref, weights);
        return set.ok ? DONE : failure(set.reason, set.message);
      }),

    verifyWeights: (ref, weights): Promise<VerifyWeightsResult> =>
      guarded(`reading the weights of ${ref.cluster}`, async () => {
        // The load balancer reads its routing from the target's model on every request: that model is what it holds.
        const actual = { ...(await local.describeCluster(ref)).trafficWeights };
        return { ok: true as const, matches: normalized(actual) === normalized(weights), actual };
      }),
  };

  return {
    cloudProvider: 'local',
    serverGroups,
    traffic,
    async idle() {
      await Promise.all([...destroying.values()]);
    },
  };
}
