/**
 * `gennaker run pipeline.json`: runs one pipeline to completion on an in-process local runtime
 * (in-memory store), showing live stage progress, answering manual judgments from `--judge` or
 * a prompt, and exiting 0 only when the execution SUCCEEDED.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Caller } from '../../core/execution/execution-service-api.ts';
import { executionFailureReason } from '../../core/execution/failure-reason.ts';
import { toOrcaExecution } from '../../core/execution/orca-shape.ts';
import { stepsOfPipeline } from '../../core/execution/orca-steps.ts';
import { redactExecution } from '../../core/execution/secrets.ts';
import { syntheticStagesOf } from '../../core/execution/synthetic-stages.ts';
import { RUNNABLE_STAGE_TYPES } from '../../core/execution/stage-runner.ts';
import type { StageType } from '../../core/pipeline/index.ts';
import { isComplete, type ExecutionStatus } from '../../core/execution/status.ts';
import type { IoHost } from '../../core/io-host.ts';
import { formatIssue } from '../../core/issues.ts';
import { runnableConfigOf, type Execution, type JsonObject, type StageRecord } from '../../core/ports/execution-store.ts';
import type { LocalRuntime, LocalRuntimeOptions } from '../../local/wiring.ts';
import type { DeployedAlias, DeployedCluster, DeployedWorkload, Sandbox } from '../../local/sandbox/sandbox.ts';
import type { SandboxS3Object } from '../../local/sandbox/sandbox-s3.ts';
import type { RuntimeSeeds } from '../../local/sandbox/runtime-seeds.ts';
import { describeCapacity, startCapacityWatch, type CapacityWatch } from '../../local/sandbox/capacity-watch.ts';
import { SANDBOX_STEP_MS } from '../../local/sandbox/sandbox-clock.ts';
import { clusterName } from '../../core/deploy/names.ts';
import type { LoadedDocument } from '../pipeline-files.ts';
import { EXIT, UsageError } from '../usage.ts';
import { pickPipeline } from './compile.ts';
import { parseParams, progressOf, withReason } from './progress.ts';

export interface RunCommandOptions {
  readonly file: string | undefined;
  readonly pipeline: string | undefined;
  /** `k=v` pairs. */
  readonly params: readonly string[];
  /** `<refId>=continue|stop[:input]`. */
  readonly judges: readonly string[];
  readonly json: boolean;
  /** Serve every account the pipeline names from the simulated clouds, seeded with what it assumes. */
  readonly sandbox?: boolean;
  /** `--artifact`: an artifact object, a list of them, or `@file` holding either (repeatable). */
  readonly artifacts?: readonly string[];
  /** `--trigger-type <type>[:<index>]`: start as that trigger of the pipeline (its expectedArtifactIds bind). @default manual */
  readonly triggerType?: string;
  /** `--s3-object s3://<bucket>/<key>=<file>` (with `--sandbox`): objects the simulated S3 holds (repeatable). */
  readonly s3Objects?: readonly string[];
}

/** An answer to a judgment, given on the command line or typed at the prompt. */
export interface JudgmentAnswer {
  readonly judgmentStatus: 'continue' | 'stop';
  readonly judgmentInput?: string;
}

export interface RunCommandDeps {
  readonly load: (path: string) => Promise<LoadedDocument>;
  readonly createRuntime: (options: LocalRuntimeOptions) => Promise<LocalRuntime>;
  /**
   * Where the `local` deploy target keeps its state (`.gennaker/targets/local`), for pipelines
   * that deploy; the instances it starts keep running after `run` ends (`gennaker up` adopts them).
   */
  readonly targetStateDir?: string;
  readonly caller: Caller;
  /** Asks a person at the terminal; absent when no one can answer (stdin is not a TTY). */
  readonly prompt?: (stage: { readonly name: string; readonly refId: string; readonly choices: readonly string[] }) => Promise<JudgmentAnswer>;
  /** Resolves when the user interrupts (Ctrl-C): the execution is canceled. */
  readonly interrupted?: Promise<void>;
  /** How often the store is read for progress. @default 100 */
  readonly pollMs?: number;
  readonly now?: () => number;
  /** Starts the simulated clouds for `--sandbox`. */
  readonly startSandbox?: () => Promise<RunSandbox>;
  /** Reads `--artifact @file`. */
  readonly readText?: (path: string) => Promise<string>;
}

/** The simulated clouds a sandboxed run deploys to: the part of local/sandbox's Sandbox `run` uses. */
export type RunSandbox = Pick<Sandbox, 'serve' | 'targets' | 'describeDeployed' | 'describeWorkloads' | 'callCounts' | 'artifactContent' | 'close'> & Partial<Pick<Sandbox, 'speed' | 'now' | 'servingCapacity' | 'describeAliases' | 'putS3Objects'>>;

/** Reads the files of `--s3-object s3://<bucket>/<key>=<file>` values; a bad value or an unreadable file is a usage error naming it. */
async function s3ObjectsOf(values: readonly string[]): Promise<SandboxS3Object[]> {
  const { readS3ObjectFlags } = await import('../../local/sandbox/sandbox-s3.ts');
  try {
    return await readS3ObjectFlags(values);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}


/** Parses `--judge <refId>=continue|stop[:input]`. */
export function parseJudges(specs: readonly string[]): Map<string, JudgmentAnswer> {
  const answers = new Map<string, JudgmentAnswer>();
  for (const spec of specs) {
    const match = /^([^=]+)=(continue|stop)(?::(.*))?$/s.exec(spec);
    if (!match) throw new UsageError(`--judge takes <refId>=continue|stop[:input], got '${spec}' (e.g. --judge 4=continue)`);
    const [, refId, status, input] = match;
    answers.set(refId!, { judgmentStatus: status as 'continue' | 'stop', ...(input !== undefined ? { judgmentInput: input } : {}) });
  }
  return answers;
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses `--artifact` values as `spin pipeline execute -t` reads its file: one artifact object, a
 * list of them, or `{"artifacts": [...]}`; `@path` reads the JSON from a file. Every artifact
 * needs a `type`.
 */
export async function parseArtifactArgs(values: readonly string[], readText: ((path: string) => Promise<string>) | undefined): Promise<JsonObject[]> {
  const artifacts: JsonObject[] = [];
  for (const [position, value] of values.entries()) {
    const which = values.length > 1 ? `--artifact #${position + 1}` : '--artifact';
    let source = value;
    if (value.startsWith('@')) {
      const path = value.slice(1);
      if (!readText) throw new UsageError(`${which}: files cannot be read here; pass the artifact's JSON itself`);
      try {
        source = await readText(path);
      } catch (error) {
        throw new UsageError(`${which}: cannot read '${path}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path after '@'`);
      }
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(source);
    } catch {
      throw new UsageError(`${which} is not JSON: '${source.length > 80 ? `${source.slice(0, 77)}...` : source}'; pass an artifact such as '{"type": "docker/image", "name": "gcr.io/p/app", "reference": "gcr.io/p/app:v1"}', a list of them, or @file`);
    }
    const list = Array.isArray(parsed) ? parsed : isObject(parsed) && parsed['type'] === undefined && Array.isArray(parsed['artifacts']) ? parsed['artifacts'] : [parsed];
    for (const [index, artifact] of list.entries()) {
      const at = list.length > 1 || Array.isArray(parsed) ? `${which} item ${index}` : which;
      if (!isObject(artifact)) throw new UsageError(`${at} is ${JSON.stringify(artifact)}, not an artifact object; write e.g. {"type": "docker/image", "reference": "gcr.io/p/app:v1"}`);
      if (typeof artifact['type'] !== 'string' || artifact['type'].trim() === '') {
        throw new UsageError(`${at} has no type; add one, e.g. "type": "docker/image" (kinds: docker/image, embedded/base64, http/file, github/file, gcs/object, s3/object, kubernetes/*)`);
      }
      artifacts.push(artifact);
    }
  }
  return artifacts;
}

/** Fields of a trigger that are configuration or secrets, not what an execution's trigger records. */
const NOT_COPIED_TRIGGER_FIELDS = new Set(['enabled', 'secret', 'runAsUser']);

/**
 * The trigger `--trigger-type <type>[:<index>]` starts the run as: the pipeline's trigger of that
 * type (at `triggers[index]` when several have it), as its own event would, so the expected
 * artifacts it names (`expectedArtifactIds`) bind. `manual` needs no trigger of the pipeline.
 */
export function triggerFromType(spec: string | undefined, input: unknown, pipelineName: string): JsonObject & { readonly type: string } {
  if (spec === undefined || spec === 'manual') return { type: 'manual' };
  const match = /^([A-Za-z][\w-]*)(?::(\d+))?$/.exec(spec);
  if (!match) throw new UsageError(`--trigger-type is '${spec}'; pass a trigger type, e.g. --trigger-type pubsub, or type:index for one of several, e.g. pubsub:1`);
  const [, type, index] = match;
  const raw = isObject(input) && Array.isArray(input['triggers']) ? (input['triggers'] as unknown[]) : [];
  const candidates = raw.map((trigger, position) => ({ trigger, position })).filter((entry): entry is { trigger: JsonObject; position: number } => isObject(entry.trigger) && entry.trigger['type'] === type);
  const listed = raw.map((trigger, position) => (isObject(trigger) ? `${String(trigger['type'])}:${position}` : undefined)).filter((entry): entry is string => entry !== undefined);
  const known = listed.length > 0 ? listed.join(', ') : 'none';
  let chosen: JsonObject | undefined;
  if (index !== undefined) {
    chosen = candidates.find((entry) => entry.position === Number(index))?.trigger;
    if (!chosen) throw new UsageError(`--trigger-type ${spec}: triggers[${index}] of pipeline '${pipelineName}' is not a ${type} trigger (its triggers: ${known}); pass one of those, or manual`);
  } else if (candidates.length === 1) {
    chosen = candidates[0]!.trigger;
  } else if (candidates.length === 0) {
    throw new UsageError(`--trigger-type ${type}: pipeline '${pipelineName}' has no ${type} trigger (its triggers: ${known}); pass one of those, or manual`);
  } else {
    throw new UsageError(`--trigger-type ${type}: pipeline '${pipelineName}' has ${candidates.length} ${type} triggers; pick one with ${candidates.map((entry) => `--trigger-type ${type}:${entry.position}`).join(' or ')}`);
  }
  return { ...Object.fromEntries(Object.entries(chosen).filter(([key]) => !NOT_COPIED_TRIGGER_FIELDS.has(key))), type: type! };
}

/** The `type` of every stage of a pipeline document, as written. */
function stageTypesOf(input: unknown): string[] {
  const stages = (input as { stages?: unknown } | undefined)?.stages;
  return Array.isArray(stages) ? stages.map((stage) => (stage as { type?: unknown } | null)?.type).filter((type): type is string => typeof type === 'string') : [];
}

/** Whether a checkPreconditions stage counts a cluster's server groups (`clusterSize`): it reads the deploy target. */
function countsClusters(input: unknown): boolean {
  const stages = (input as { stages?: unknown } | undefined)?.stages;
  if (!Array.isArray(stages)) return false;
  return stages.some((stage) => {
    const preconditions = (stage as { type?: unknown; preconditions?: unknown } | null)?.preconditions;
    return (stage as { type?: unknown }).type === 'checkPreconditions' && Array.isArray(preconditions) && preconditions.some((p) => (p as { type?: unknown } | null)?.type === 'clusterSize');
  });
}

export async function runRun(options: RunCommandOptions, io: IoHost, deps: RunCommandDeps): Promise<number> {
  if (options.file === undefined) throw new UsageError('run needs a file: gennaker run pipeline.json --param env=staging');
  const parameters = parseParams(options.params);
  const judges = parseJudges(options.judges);
  const given = await parseArtifactArgs(options.artifacts ?? [], deps.readText);
  const document = await deps.load(options.file);
  for (const issue of document.issues) io.emit({ kind: 'validation-issue', source: document.source, issue });
  if (document.issues.some((issue) => issue.severity === 'error')) return EXIT.failed;
  const picked = pickPipeline(document, options.pipeline);
  const pipelineName = isObject(picked.input) && typeof picked.input['name'] === 'string' ? picked.input['name'] : options.file;
  const asTrigger = triggerFromType(options.triggerType, picked.input, pipelineName);

  const deploys = deps.targetStateDir !== undefined && (stageTypesOf(picked.input).some((type) => !RUNNABLE_STAGE_TYPES.includes(type as StageType)) || countsClusters(picked.input));
  let sandbox: RunSandbox | undefined;
  let cloud: Pick<LocalRuntimeOptions, 'accounts' | 'cloudTargets' | 'artifactAccounts' | 'metricsAccounts' | 'clock' | 'timeScale'> = {};
  let triggerArtifacts: readonly JsonObject[] = [];
  let runtimeSeeds: RuntimeSeeds | undefined;
  if ((options.s3Objects ?? []).length > 0 && !options.sandbox) {
    throw new UsageError('--s3-object gives the simulated S3 an object, for --sandbox runs; add --sandbox, or configure an s3 artifact account (see "Artifacts" in the README)');
  }
  if (options.sandbox) {
    if (!deps.startSandbox) throw new UsageError('--sandbox is not available here');
    const s3Objects = await s3ObjectsOf(options.s3Objects ?? []);
    sandbox = await deps.startSandbox();
    let served: Awaited<ReturnType<RunSandbox['serve']>>;
    let putObjects: Awaited<ReturnType<NonNullable<RunSandbox['putS3Objects']>>> = [];
    try {
      served = await sandbox.serve([picked.input], parameters);
      if (s3Objects.length > 0) {
        if (!sandbox.putS3Objects) throw new UsageError('--s3-object is not available here');
        putObjects = await sandbox.putS3Objects(s3Objects);
      }
    } catch (error) {
      await sandbox.close();
      io.emit({ kind: 'error', message: (error as Error).message });
      return EXIT.failed;
    }
    reportSandbox(served, io);
    for (const object of putObjects) io.emit({ kind: 'info', message: `sandbox: put ${object.kind} ${object.id} (${object.detail})` });
    const simulated = sandbox;
    cloud = {
      accounts: served.accounts,
      cloudTargets: sandbox.targets,
      artifactAccounts: (own) => simulated.artifactContent(own),
      ...(served.metricsAccounts && served.metricsAccounts.length > 0 ? { metricsAccounts: served.metricsAccounts } : {}),
      // The run keeps the simulated clock, so a stage that waits (a canary's intervals) waits simulated time.
      ...(simulated.now && simulated.speed !== undefined ? { clock: { now: simulated.now }, timeScale: simulated.speed } : {}),
    };
    triggerArtifacts = served.triggerArtifacts ?? [];
    runtimeSeeds = served.runtimeSeeds;
  }
  // A sandboxed run's local deploys go to a scratch target whose instances stop when the run ends.
  const scratch = sandbox && deploys ? await mkdtemp(join(tmpdir(), 'gennaker-sandbox-local-')) : undefined;
  let runtime: LocalRuntime;
  try {
    runtime = await deps.createRuntime({ io, ...cloud, ...(deploys ? { localTarget: { stateDir: scratch ?? deps.targetStateDir! } } : {}) });
  } catch (error) {
    await sandbox?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
    throw error;
  }
  try {
    if (runtimeSeeds && (runtimeSeeds.canaryConfigs.length > 0 || runtimeSeeds.standIns.length > 0)) {
      const { seedRuntime } = await import('../../local/sandbox/runtime-seeds.ts');
      const seeded = await seedRuntime(runtime, runtimeSeeds, deps.caller);
      for (const resource of seeded) io.emit({ kind: 'info', message: `sandbox: seeded ${resource.kind} ${resource.id} (${resource.detail})` });
    }
    const saved = await runtime.service.savePipeline({ config: picked.input }, deps.caller);
    if (!saved.ok) {
      if (saved.reason === 'invalid') {
        for (const issue of saved.issues) io.emit({ kind: 'validation-issue', source: document.source, issue });
        io.emit({ kind: 'error', message: `${document.source}: not run; fix the issues above and run again` });
      } else {
        io.emit({ kind: 'error', message: saved.message });
      }
      return EXIT.failed;
    }
    for (const warning of saved.warnings) io.emit({ kind: 'validation-issue', source: document.source, issue: warning });
    if (sandbox) {
      // After the save: the entry's artifact has passed its checks (a directory under the read roots).
      const { assumedLocalServing, seedLocalServing } = await import('../../local/sandbox/local-seeds.ts');
      const assumed = assumedLocalServing([picked.input], parameters);
      for (const resource of assumed.length > 0 ? await seedLocalServing(runtime.targets, assumed) : []) io.emit({ kind: 'info', message: `sandbox: seeded ${resource.kind} ${resource.id} (${resource.detail})` });
    }
    const started = await runtime.service.startPipeline(
      {
        application: saved.saved.application,
        pipeline: saved.saved.id,
        trigger: { ...asTrigger, user: deps.caller.user, parameters, ...(given.length + triggerArtifacts.length > 0 ? { artifacts: [...given, ...triggerArtifacts] } : {}) },
      },
      deps.caller,
    );
    if (!started.ok) {
      for (const issue of started.issues ?? []) io.emit({ kind: 'error', message: `${document.source}#${formatIssue(issue)}` });
      io.emit({ kind: 'error', message: started.message });
      return EXIT.failed;
    }
    const watch = sandbox ? watchCapacity(sandbox, runtime, picked.input) : undefined;
    let final: Execution;
    try {
      final = await follow(runtime, started.executionId, saved.saved.name, judges, io, deps);
      await runtime.idle();
    } finally {
      for (const record of (await watch?.stop()) ?? []) io.emit({ kind: 'info', message: describeCapacity(record) });
    }
    // Shown, never stored, redacted: the terminal is an execution's history too.
    const execution = redactExecution((await runtime.store.getExecution(started.executionId)) ?? final);
    if (options.json) io.emit({ kind: 'data', text: JSON.stringify(toOrcaExecution(execution, { stepsOf: stepsOfPipeline(runnableConfigOf(saved.saved)) }), null, 2) });
    if (execution.status !== 'SUCCEEDED') {
      const why = executionFailureReason(execution);
      const reason = why !== undefined ? `: ${why}` : '';
      io.emit({ kind: 'error', message: `pipeline '${execution.name}' ended ${execution.status}${reason}` });
      return EXIT.failed;
    }
    if (!options.json) io.emit({ kind: 'info', message: `pipeline '${execution.name}' SUCCEEDED` });
    return EXIT.ok;
  } finally {
    if (scratch) {
      // What the run left on the local target, before its instances stop with the run.
      reportDeployed(await describeLocal(runtime, picked.input), io);
      await runtime.target?.destroyAll();
    }
    await runtime.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
    if (sandbox) {
      // Counted before the clusters are described for the report: those reads are not the run's.
      const calls = sandbox.callCounts();
      try {
        reportDeployed(await sandbox.describeDeployed(), io);
        reportAliases(sandbox.describeAliases?.() ?? [], io);
        reportWorkloads(sandbox.describeWorkloads(), io);
        reportCloudCalls(calls, io);
      } finally {
        await sandbox.close();
      }
    }
  }
}

/**
 * Samples, while the run goes, the healthy capacity in traffic of every cluster it deploys to:
 * the simulated clouds' from their own state, the local target's from its load balancer.
 */
function watchCapacity(sandbox: RunSandbox, runtime: LocalRuntime, pipeline: unknown): CapacityWatch | undefined {
  const local = localClusters(pipeline);
  if (!sandbox.servingCapacity && local.length === 0) return undefined;
  const read = async () => {
    const samples = [...(sandbox.servingCapacity?.() ?? [])];
    for (const cluster of local) {
      const described = await runtime.targets?.({ account: cluster.account, cloudProvider: 'local' })?.serverGroups.describeCluster({ account: cluster.account, location: 'local', cluster: cluster.name });
      if (!described?.ok) continue;
      const healthy = described.cluster.serverGroups
        .filter((group) => !group.disabled)
        .flatMap((group) => group.instances)
        .filter((instance) => instance.health === 'Up' && instance.outOfService !== true && instance.draining !== true).length;
      samples.push({ cluster: `${cluster.name} (${cluster.account}, local)`, healthy });
    }
    return samples;
  };
  // As often as the simulated clouds' clocks move.
  return startCapacityWatch(read, { everyMs: SANDBOX_STEP_MS, now: sandbox.now ?? Date.now });
}

/** The local clusters the pipeline deploys to, as the local target describes them now. */
async function describeLocal(runtime: LocalRuntime, pipeline: unknown): Promise<DeployedCluster[]> {
  const found: DeployedCluster[] = [];
  for (const cluster of localClusters(pipeline)) {
    const described = await runtime.targets?.({ account: cluster.account, cloudProvider: 'local' })?.serverGroups.describeCluster({ account: cluster.account, location: 'local', cluster: cluster.name });
    if (!described) continue;
    if (!described.ok) {
      found.push({ account: cluster.account, region: 'local', cluster: cluster.name, problem: described.message, serverGroups: [] });
      continue;
    }
    found.push({
      account: cluster.account,
      region: 'local',
      cluster: cluster.name,
      serverGroups: described.cluster.serverGroups.map((group) => ({
        name: group.name,
        disabled: group.disabled,
        draining: group.draining === true,
        up: group.instances.filter((instance) => instance.health === 'Up').length,
        instances: group.instances.length,
        capacity: group.capacity,
        ...(group.artifact?.version !== undefined ? { images: [`${group.artifact.name ?? group.artifact.reference}@${group.artifact.version}`] } : {}),
      })),
    });
  }
  return found;
}

/** The clusters a pipeline's deploy stages make on the local target (cloudProvider `local`). */
function localClusters(pipeline: unknown): Array<{ readonly account: string; readonly name: string }> {
  const stages = isObject(pipeline) && Array.isArray(pipeline['stages']) ? pipeline['stages'].filter(isObject) : [];
  const found = new Map<string, { account: string; name: string }>();
  for (const stage of stages) {
    for (const entry of Array.isArray(stage['clusters']) ? stage['clusters'].filter(isObject) : []) {
      const provider = entry['cloudProvider'] ?? entry['provider'];
      const account = typeof entry['account'] === 'string' ? entry['account'] : undefined;
      const application = typeof entry['application'] === 'string' ? entry['application'] : undefined;
      if (provider !== 'local' || !account || !application || `${account}${application}`.includes('${')) continue;
      const name = clusterName(application, typeof entry['stack'] === 'string' ? entry['stack'] : undefined, typeof entry['freeFormDetails'] === 'string' ? entry['freeFormDetails'] : undefined);
      found.set(`${account}/${name}`, { account, name });
    }
  }
  return [...found.values()];
}

/** What a sandboxed run is about to deploy to, and what was made to exist for it. */
function reportSandbox(served: Awaited<ReturnType<RunSandbox['serve']>>, io: IoHost): void {
  if (served.accounts.length === 0) {
    io.emit({ kind: 'info', message: 'sandbox: the pipeline names no account on a simulated cloud (aws, ecs, lambda, kubernetes, gce); its local deploys, if any, go to a scratch local target that stops when the run ends' });
    return;
  }
  const accounts = served.accounts.map((account) => `${account.name} (${account.cloudProvider}, ${account.regions.join(', ')})`).join('; ');
  io.emit({ kind: 'info', message: `sandbox: simulated accounts ${accounts}` });
  io.emit({ kind: 'info', message: `sandbox: seeded ${served.seeded.length} resource${served.seeded.length === 1 ? '' : 's'} the pipeline assumes exist${served.seeded.length > 0 ? ':' : ''}` });
  for (const resource of served.seeded) io.emit({ kind: 'info', message: `  ${resource.kind} ${resource.id} (${resource.detail})` });
}

/** Each cluster the run deployed to, as it is now: which server groups serve, with their health and capacity. */
function reportDeployed(clusters: readonly DeployedCluster[], io: IoHost): void {
  for (const cluster of clusters) {
    const where = `sandbox: cluster ${cluster.cluster} (${cluster.account}, ${cluster.region})`;
    if (cluster.problem !== undefined) {
      io.emit({ kind: 'info', message: `${where} could not be described: ${cluster.problem}` });
      continue;
    }
    io.emit({ kind: 'info', message: `${where} after the run:${cluster.serverGroups.length === 0 ? ' no server group' : ''}` });
    const width = Math.max(0, ...cluster.serverGroups.map((group) => group.name.length));
    for (const group of cluster.serverGroups) {
      const traffic = group.disabled ? (group.draining ? 'disabled, draining' : 'disabled') : 'serving';
      const { min, max, desired } = group.capacity;
      const runs = group.images !== undefined && group.images.length > 0 ? `, runs ${group.images.join(', ')}` : '';
      io.emit({ kind: 'info', message: `  ${group.name.padEnd(width)}  ${traffic}, ${group.up}/${group.instances} Up, capacity min ${min} max ${max} desired ${desired}${runs}` });
    }
  }
}

/** Each Lambda alias the run routed, as it is now: `version 1 (90%), version 2 (10%)`. */
function reportAliases(aliases: readonly DeployedAlias[], io: IoHost): void {
  for (const alias of aliases) {
    const routing = alias.routing.length === 0 ? 'does not exist' : `routes ${alias.routing.map((entry) => `version ${entry.version} (${Math.round(entry.share * 1000) / 10}%)`).join(', ')}`;
    io.emit({ kind: 'info', message: `sandbox: alias ${alias.alias} of ${alias.functionName} (${alias.account}, ${alias.region}) after the run ${routing}` });
  }
}

/** Each Kubernetes workload in the namespaces the run used, as it is now: replicas Ready, in traffic or not, what it runs. */
function reportWorkloads(workloads: readonly DeployedWorkload[], io: IoHost): void {
  const byNamespace = new Map<string, DeployedWorkload[]>();
  for (const workload of workloads) {
    const key = `${workload.namespace} (${workload.account})`;
    byNamespace.set(key, [...(byNamespace.get(key) ?? []), workload]);
  }
  for (const [namespace, found] of byNamespace) {
    io.emit({ kind: 'info', message: `sandbox: namespace ${namespace} after the run:` });
    const width = Math.max(0, ...found.map((workload) => `${workload.kind} ${workload.name}`.length));
    for (const workload of found) {
      const runs = workload.images.length > 0 ? `, runs ${workload.images.join(', ')}` : '';
      io.emit({ kind: 'info', message: `  ${`${workload.kind} ${workload.name}`.padEnd(width)}  ${workload.serving ? 'serving' : 'no traffic'}, ${workload.ready}/${workload.replicas} Ready${runs}` });
    }
  }
}

/** The cloud calls a sandboxed run made, counted by API action. */
function reportCloudCalls(counts: ReturnType<RunSandbox['callCounts']>, io: IoHost): void {
  const total = counts.reduce((sum, entry) => sum + entry.count, 0);
  io.emit({ kind: 'info', message: `sandbox: the run made ${total} cloud call${total === 1 ? '' : 's'}${total > 0 ? ', by API action:' : ''}` });
  const width = Math.max(0, ...counts.map((entry) => entry.call.length));
  for (const entry of counts) io.emit({ kind: 'info', message: `  ${entry.call.padEnd(width)}  ${entry.count}` });
}

/**
 * Follows the execution until it is complete: emits progress on every change, answers
 * judgments, cancels on interrupt or when a judgment cannot be answered.
 */
export async function follow(
  runtime: LocalRuntime,
  executionId: string,
  pipelineName: string,
  judges: ReadonlyMap<string, JudgmentAnswer>,
  io: IoHost,
  deps: Pick<RunCommandDeps, 'now' | 'pollMs' | 'interrupted' | 'caller' | 'prompt'>,
): Promise<Execution> {
  const now = deps.now ?? (() => Date.now());
  const pollMs = deps.pollMs ?? 100;
  const answered = new Set<string>();
  let interrupted = false;
  void deps.interrupted?.then(() => {
    interrupted = true;
  });
  let previous: { status: ExecutionStatus; stages: Map<string, string> } | undefined;
  let cancelRequested = false;

  for (;;) {
    const stored = await runtime.store.getExecution(executionId);
    const execution = stored === undefined ? undefined : redactExecution(stored);
    if (!execution) throw new Error(`execution ${executionId} disappeared from the store`);
    const stages = progressOf(execution, now(), syntheticStagesOf);
    const signature = new Map(stages.map((stage) => [stage.id, `${stage.status}/${stage.awaitingJudgment ? 1 : 0}`]));
    const changed = stages.filter((stage) => previous?.stages.get(stage.id) !== signature.get(stage.id) && (previous || stage.status !== 'NOT_STARTED'));
    const statusChanged = previous?.status !== execution.status;
    if (changed.length > 0 || statusChanged || (execution.status === 'RUNNING' && stages.some((stage) => stage.status === 'RUNNING'))) {
      io.emit({
        kind: 'execution-progress',
        executionId,
        pipeline: pipelineName,
        status: execution.status,
        ...(execution.startTime !== undefined ? { durationMs: (execution.endTime ?? now()) - execution.startTime } : {}),
        ...withReason(executionFailureReason(execution)),
        statusChanged,
        stages,
        changed,
        ...(execution.notificationDeliveries !== undefined ? { notifications: execution.notificationDeliveries } : {}),
      });
    }
    previous = { status: execution.status, stages: signature };
    if (isComplete(execution.status)) return execution;

    if (interrupted && !cancelRequested) {
      cancelRequested = true;
      await runtime.service.cancelExecution(executionId, deps.caller, { reason: 'interrupted from the terminal (Ctrl-C)' });
    }
    for (const stage of execution.stages) {
      if (stage.type !== 'manualJudgment' || stage.status !== 'RUNNING' || !stage.awaitingCallback || answered.has(stage.id)) continue;
      answered.add(stage.id);
      const answer = judges.get(stage.refId) ?? judges.get(stage.name);
      if (!cancelRequested && (answer || deps.prompt)) {
        const given = answer ?? (await deps.prompt!({ name: stage.name, refId: stage.refId, choices: choicesOf(stage) }));
        const judged = await runtime.service.judgeStage(executionId, stage.id, given, deps.caller);
        if (!judged.ok) {
          io.emit({ kind: 'error', message: `could not judge stage '${stage.name}': ${judged.message}` });
          cancelRequested = true;
          await runtime.service.cancelExecution(executionId, deps.caller, { reason: `judgment of stage '${stage.name}' failed: ${judged.message}` });
        }
      } else if (!cancelRequested) {
        io.emit({
          kind: 'error',
          message: `stage '${stage.name}' waits for a judgment; pass --judge ${stage.refId}=continue (or ${stage.refId}=stop), or run in a terminal to be asked`,
        });
        cancelRequested = true;
        await runtime.service.cancelExecution(executionId, deps.caller, { reason: `stage '${stage.name}' waited for a judgment that no one could give` });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** The judgment choices the stage offers (`judgmentInputs`). */
function choicesOf(stage: StageRecord): string[] {
  const inputs = stage.context['judgmentInputs'];
  if (!Array.isArray(inputs)) return [];
  return inputs.flatMap((input) => (typeof input === 'object' && input !== null && typeof (input as { value?: unknown }).value === 'string' ? [(input as { value: string }).value] : []));
}
