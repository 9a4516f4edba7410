/**
 * Dangerous powers (DESIGN.md §8): stage fields that make the machine Gennaker runs on do what
 * a pipeline says, beyond deploying through a target.
 *
 * - a `runJob` on the local account runs `command` or `shell` as a process of the server's user;
 * - a `bake` or `deploy` of a `directory` or `git` artifact copies that path into the image store;
 * - a local `runJob`'s `workingDirectory` (without an image) runs the job in that directory.
 *
 * Each needs a power role named in the configuration (`gennaker up --power-role`), or an admin;
 * every path must lie under one of the configured roots (by default the directory `up` was
 * started in), symbolic links followed. A save is refused naming the first field that breaks
 * the rule, and each stage is checked again when it starts, with the expressions evaluated and
 * the policy of that moment (the configuration may have changed since the save).
 * (`propertyFile` must stay inside the job's own directory whoever runs it: the stage type
 * refuses an absolute path or `..`, core/pipeline/stage-types/run-job.ts.)
 */
import type { Caller } from '../execution/execution-service-api.ts';
import type { Pipeline } from '../pipeline/model.ts';

/** Who may use the powers, and where paths may point. */
export interface PowerPolicy {
  /** Roles allowed to use the powers; admins always are. Empty: admins only. */
  readonly roles: readonly string[];
  /** Absolute directories (symbolic links resolved) every artifact and working directory must lie under. */
  readonly roots: readonly string[];
  /**
   * The absolute path the machine would use for `path`: relative paths against the server's
   * directory, symbolic links resolved as far as the path exists. Injected: core does no I/O.
   */
  readonly resolvePath: (path: string) => Promise<string>;
  /** How the configuration is changed, for messages. @default "the server's configuration" */
  readonly configuredBy?: { readonly roles: string; readonly roots: string };
}

/** One use of a power found in a stage: the field (a JSON pointer) and, for paths, the path. */
export interface PowerUse {
  readonly pointer: string;
  readonly what: string;
  readonly path?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const LOCAL_ARTIFACT_TYPES = new Set(['directory', 'git']);

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A value still holding an expression (only at save time): its path can be checked only when it is evaluated. */
function isExpression(value: string): boolean {
  return value.includes('${');
}

function artifactUse(artifact: unknown, pointer: string, what: string): PowerUse[] {
  if (!isObject(artifact)) return [];
  const type = text(artifact.type);
  if (type === undefined || !LOCAL_ARTIFACT_TYPES.has(type)) return [];
  const reference = text(artifact.reference);
  return [{ pointer: `${pointer}/reference`, what: `${what} a ${type} artifact from this machine`, ...(reference !== undefined ? { path: reference } : {}) }];
}

/**
 * The powers a stage uses, read from its fields (the stage as saved, or its context as evaluated
 * at start: both have the stage's own field names). `base` is the stage's JSON pointer.
 */
export function powerUsesOf(type: string, fields: Readonly<Record<string, unknown>>, base: string): PowerUse[] {
  switch (type) {
    case 'runJob': {
      const provider = fields.cloudProvider;
      if (provider !== undefined && provider !== null && provider !== 'local') return [];
      const field = fields.shell !== undefined && fields.shell !== null ? 'shell' : 'command';
      const uses: PowerUse[] = [{ pointer: `${base}/${field}`, what: 'run a local job (a process of the server\'s user)' }];
      const directory = text(fields.workingDirectory);
      if (directory !== undefined && text(fields.image) === undefined) {
        uses.push({ pointer: `${base}/workingDirectory`, what: 'run a local job in a directory of this machine', path: directory });
      }
      return uses;
    }
    case 'bake':
      return artifactUse(fields.artifact, `${base}/artifact`, 'bake');
    case 'deploy': {
      const clusters = Array.isArray(fields.clusters) ? fields.clusters : [];
      return clusters.flatMap((cluster, index) => (isObject(cluster) ? artifactUse(cluster.artifact, `${base}/clusters/${index}/artifact`, 'deploy') : []));
    }
    case 'cloneServerGroup':
      return artifactUse(fields.artifact, `${base}/artifact`, 'deploy');
    default:
      return [];
  }
}

/** Every power a pipeline's stages use, as saved. */
export function pipelinePowerUses(pipeline: Pipeline): PowerUse[] {
  return pipeline.stages.flatMap((stage) => powerUsesOf(stage.type, stage.raw, `/stages/${stage.index}`));
}

function underRoot(path: string, root: string): boolean {
  const base = root.endsWith('/') ? root : `${root}/`;
  return path === root || path.startsWith(base);
}

/**
 * Why the caller may not use these powers (one line naming the field, the value and the fix),
 * or undefined when every use is allowed. `atSave`: paths that are still expressions pass (they
 * are checked when the stage starts).
 */
export async function powerProblem(uses: readonly PowerUse[], caller: Caller, policy: PowerPolicy, options: { readonly atSave?: boolean } = {}): Promise<string | undefined> {
  if (uses.length === 0) return undefined;
  const configured = policy.configuredBy ?? { roles: "the server's configuration", roots: "the server's configuration" };
  if (caller.admin !== true) {
    const mine = new Set(caller.roles.map((role) => role.toLowerCase()));
    if (!policy.roles.some((role) => mine.has(role.toLowerCase()))) {
      const use = uses[0]!;
      const allowed = policy.roles.length === 0 ? `no power role is configured, so only admins may (add one with ${configured.roles})` : `it needs one of the power roles ${policy.roles.join(', ')}`;
      return `${use.pointer}: user '${caller.user}' may not ${use.what}: ${allowed}; '${caller.user}' has ${caller.roles.length === 0 ? 'no roles' : `the roles ${caller.roles.join(', ')}`}`;
    }
  }
  for (const use of uses) {
    if (use.path === undefined) continue;
    if (options.atSave === true && isExpression(use.path)) continue;
    if (use.path.includes('\u0000')) return `${use.pointer}: ${JSON.stringify(use.path)} is not a path; give a directory under ${policy.roots.join(', ') || 'a configured root'}`;
    const resolved = await policy.resolvePath(use.path);
    if (!policy.roots.some((root) => underRoot(resolved, root))) {
      const roots = policy.roots.length === 0 ? 'no root is configured' : `the roots are ${policy.roots.join(', ')}`;
      return `${use.pointer}: '${use.path}' (${resolved}) is outside the directories Gennaker may read (${roots}); use a path under them, or add its directory with ${configured.roots}`;
    }
  }
  return undefined;
}
