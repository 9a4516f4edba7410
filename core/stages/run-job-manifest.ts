/**
 * The tasks of Kubernetes' Run Job (`runJobManifest`, and `runJob` with `cloudProvider:
 * kubernetes`; core/pipeline/stage-types/run-job-manifest.ts), as clouddriver's
 * KubernetesRunJobOperation and Orca's WaitOnJobCompletion do it:
 *
 * 1. runJob: the Job from `manifest` (or the stage's artifact), in its own namespace (else
 *    `location`, else the account's default), named `<name>-<suffix>` (or `<generateName><suffix>`)
 *    so each execution runs a Job of its own. The suffix comes from the execution and the stage,
 *    not from chance, so a redelivered runJob names the same Job and finds it instead of starting
 *    a second; the name is saved before the Job is created. Moniker annotations and labels are
 *    written as deployManifest writes them.
 * 2. waitOnJobCompletion: until the Job succeeded (`succeeded` reached `completions`) or failed
 *    (a `Failed` condition); one still running on the step's last poll (or at the stage's timeout)
 *    fails the stage naming the Job and its pods. Outputs: `jobStatus` (clouddriver's KubernetesJobStatus: name,
 *    location, jobState, pods, message, reason, failureDetails), `completionDetails` (exitCode,
 *    signal, message, reason), `logs` (the tail of the newest pod's log, at most
 *    MAX_JOB_LOG_CHARACTERS; the runner seals secret values in everything a task returns), and
 *    with `propertyFile` (a container name) the properties its log prints
 *    (`SPINNAKER_PROPERTY_<KEY>=<value>`, `SPINNAKER_CONFIG_JSON=<object>`), merged into the
 *    outputs and kept under `propertyFileContents` as Orca does. A failed Job fails the stage with
 *    its reason in one line (Orca's "Job: 'x' failed. Reason: ... Details: ...").
 */
import { annotateManifest, labelManifest } from '../deploy/kubernetes/annotations.ts';
import { ownedPods, workloadPodSelector } from '../deploy/kubernetes/traffic.ts';
import { readYamlText } from '../expressions/yaml-reader.ts';
import { jobManifestProblems, type RunJobManifestStage, type RunJobStage } from '../pipeline/stage-types/index.ts';
import { JOB_MAX_POLLS } from '../pipeline/stage-types/run-job-manifest.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import type { KubernetesObject } from '../ports/manifests.ts';
import {
  MANIFEST_PROGRESS_KEY,
  manifestFailure,
  manifestScope,
  oneLine,
  ownerOf,
  reportedObject,
  settleWaitSeconds,
  textAt,
  type ManifestScope,
  type ManifestTaskDeps,
} from './manifest-common.ts';
import { manifestArtifactText, type ArtifactTaskDeps } from './manifest-source.ts';
import { failed, numberFrom, objectAt, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** The characters of a Job's log a stage keeps (its tail): the stage record must stay small. */
export const MAX_JOB_LOG_CHARACTERS = 16_384;

/** What the Run Job tasks need. */
export type JobManifestTaskDeps = ManifestTaskDeps & ArtifactTaskDeps;

type JobStage = RunJobManifestStage | RunJobStage;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The alphabet of Kubernetes' generated name suffixes (no vowels, no look-alikes). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A 5-character suffix from a seed (FNV-1a), in Kubernetes' alphabet. */
export function jobNameSuffix(seed: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < seed.length; index++) {
    hash ^= seed.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  let suffix = '';
  for (let index = 0; index < 5; index++) {
    suffix += SUFFIX_ALPHABET[hash % SUFFIX_ALPHABET.length];
    hash = Math.floor(hash / SUFFIX_ALPHABET.length) ^ Math.imul(hash, 31 + index);
    hash >>>= 0;
  }
  return suffix;
}

/** The Job's name for this execution and stage: `<generateName><suffix>` or `<name>-<suffix>`, at most 63 characters. */
export function jobNameFor(manifest: KubernetesObject, executionId: string, stageId: string): string | undefined {
  const metadata = objectAt(manifest, 'metadata');
  const generateName = typeof metadata['generateName'] === 'string' && metadata['generateName'].trim() !== '' ? metadata['generateName'].trim() : undefined;
  const name = typeof metadata['name'] === 'string' && metadata['name'].trim() !== '' ? metadata['name'].trim() : undefined;
  const base = generateName ?? (name !== undefined ? `${name}-` : undefined);
  if (base === undefined) return undefined;
  return `${base.slice(0, 58)}${jobNameSuffix(`${executionId}/${stageId}`)}`;
}

/** clouddriver's PropertyParser.extractPropertiesFromLog: `SPINNAKER_PROPERTY_<KEY>=<value>` (key lower-cased) and `SPINNAKER_CONFIG_JSON=<object>` lines. */
export function propertiesFromLog(log: string): { ok: true; properties: Record<string, unknown> } | { ok: false; message: string } {
  const properties: Record<string, unknown> = {};
  for (const raw of log.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.includes('SPINNAKER_PROPERTY_')) {
      // Guava's Splitter.on("=").omitEmptyStrings().trimResults(): exactly two parts, or the line is skipped.
      const parts = line.split('=').map((part) => part.trim()).filter((part) => part !== '');
      if (parts.length === 2) properties[parts[0]!.replace('SPINNAKER_PROPERTY_', '').toLowerCase()] = parts[1]!;
    }
    if (/^\s*SPINNAKER_CONFIG_JSON=/.test(line)) {
      const json = line.replace('SPINNAKER_CONFIG_JSON=', '');
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch (error) {
        return { ok: false, message: `its SPINNAKER_CONFIG_JSON line is not JSON (${(error as Error).message})` };
      }
      if (!isObject(parsed)) return { ok: false, message: 'its SPINNAKER_CONFIG_JSON line is not a JSON object' };
      Object.assign(properties, parsed);
    }
  }
  return { ok: true, properties };
}

/** Runs one task of a Kubernetes Run Job stage. */
export function runJobManifestTask(input: TaskInput<JobStage>, deps: JobManifestTaskDeps): Promise<TaskResult> {
  switch (input.task) {
    case 'runJob':
      return startJob(input, deps);
    case 'waitOnJobCompletion':
      return waitOnJob(input, deps);
    default:
      return Promise.resolve(failed(`stage '${input.stage.name}' (${input.stage.type}) has no task '${input.task}'`));
  }
}

/** The Job manifest of the stage, from `manifest` (or `manifests[0]`) or its artifact. */
async function jobManifestOf(input: TaskInput<JobStage>, deps: JobManifestTaskDeps, label: string): Promise<{ ok: true; manifest: KubernetesObject } | { ok: false; result: TaskResult }> {
  const context = input.record.context;
  if (context.source === 'artifact') {
    const read = await manifestArtifactText(input, deps, label, 'Job');
    if (!read.ok) return read;
    const parsed = readYamlText(read.text, true);
    if (!parsed.ok) return { ok: false, result: failed(`${label}: the Job artifact ${read.what} is not YAML or JSON (${parsed.message}); fix its content`) };
    const documents = (parsed.value as unknown[]).filter(isObject);
    if (documents.length !== 1) return { ok: false, result: failed(`${label}: the Job artifact ${read.what} holds ${documents.length} manifests; Run Job only supports manifests with a single Job`) };
    return { ok: true, manifest: documents[0]! };
  }
  const manifest = isObject(context.manifest) ? context.manifest : Array.isArray(context.manifests) && context.manifests.length === 1 && isObject(context.manifests[0]) ? context.manifests[0] : undefined;
  if (manifest === undefined) return { ok: false, result: failed(`${label}: manifest is ${JSON.stringify(context.manifest ?? null)}; give the Job to run as an object with kind Job`) };
  return { ok: true, manifest };
}

/** The namespace of the Job: its own, else the stage's `location`, else the account's default. */
function jobScope(input: TaskInput, deps: ManifestTaskDeps, manifest: KubernetesObject | undefined): ReturnType<typeof manifestScope> {
  const namespace = typeof objectAt(manifest, 'metadata')['namespace'] === 'string' ? String(objectAt(manifest, 'metadata')['namespace']).trim() : '';
  if (namespace === '') return manifestScope(input, deps);
  const withNamespace = { ...input, record: { ...input.record, context: { ...input.record.context, jobNamespace: namespace } } };
  return manifestScope(withNamespace, deps, 'jobNamespace');
}

interface JobProgress {
  readonly name: string;
  readonly namespace: string;
  readonly startedAt: number;
}

function progressOf(input: TaskInput): JobProgress | undefined {
  const progress = input.record.runtime[MANIFEST_PROGRESS_KEY];
  const job = isObject(progress) ? progress['job'] : undefined;
  if (!isObject(job) || typeof job['name'] !== 'string' || typeof job['namespace'] !== 'string') return undefined;
  return { name: job['name'], namespace: job['namespace'], startedAt: numberFrom(job['startedAt']) ?? 0 };
}

async function startJob(input: TaskInput<JobStage>, deps: JobManifestTaskDeps): Promise<TaskResult> {
  const label = `stage '${input.stage.name}'`;
  const read = await jobManifestOf(input, deps, label);
  if (!read.ok) return read.result;
  const problem = jobManifestProblems(read.manifest)[0];
  if (problem !== undefined) return failed(`${label}: ${problem.message}`);
  const scoped = jobScope(input, deps, read.manifest);
  if (!scoped.ok) return failed(scoped.message);
  const scope = scoped.scope;

  let progress = progressOf(input);
  if (progress === undefined) {
    const name = jobNameFor(read.manifest, input.execution.id, input.record.id);
    if (name === undefined) return failed(`${label}: manifest.metadata.name is missing; name the Job (or set metadata.generateName)`);
    progress = { name, namespace: scope.namespace, startedAt: input.now };
    const saved = await input.saveRuntime(MANIFEST_PROGRESS_KEY, { job: { ...progress } });
    if (!saved.ok) return running(1);
  }
  const application = textAt(input.record.context, 'application') ?? input.execution.application;
  const metadata: Record<string, unknown> = { ...objectAt(read.manifest, 'metadata'), name: progress.name, namespace: progress.namespace };
  delete metadata['generateName'];
  const named = { ...read.manifest, metadata } as KubernetesObject;
  const manifest = labelManifest(annotateManifest(named, { moniker: { app: application } }), { app: application });
  const ref = { account: scope.account, namespace: progress.namespace, kind: 'Job', name: progress.name, apiVersion: 'batch/v1' };
  const existing = await scope.port.get(ref);
  if (!existing.ok) return manifestFailure(existing, `reading job ${progress.name}`, scope.label);
  let job = existing.value;
  // The Job this stage named is there already: an earlier delivery created it (a Job is immutable: never applied twice).
  if (job === undefined) {
    const created = await scope.port.apply(scope.account, manifest, { owner: ownerOf(input) });
    if (!created.ok) return manifestFailure(created, `creating job ${progress.name} in namespace '${progress.namespace}'`, scope.label);
    job = created.value;
  }
  const manifestName = `job ${progress.name}`;
  const outputs: JsonObject = {
    'deploy.account.name': scope.account,
    'deploy.jobs': { [progress.namespace]: [manifestName] },
    'outputs.manifestNamesByNamespace': { [progress.namespace]: [manifestName] },
    'outputs.manifests': [reportedObject(job)],
    jobName: progress.name,
  };
  return succeeded(outputs, { context: outputs });
}

/** Succeeded, Failed or Running, as clouddriver's KubernetesJobStatus.getJobState reads a Job. */
export function jobState(job: KubernetesObject): 'Succeeded' | 'Failed' | 'Running' {
  const status = job['status'];
  if (!isObject(status)) return 'Running';
  const completions = numberFrom(objectAt(job, 'spec')['completions']) ?? 1;
  const succeededPods = numberFrom(status['succeeded']) ?? 0;
  if (succeededPods >= completions) return 'Succeeded';
  return failedCondition(job) !== undefined ? 'Failed' : 'Running';
}

function failedCondition(job: KubernetesObject): JsonObject | undefined {
  const conditions = objectAt(job, 'status')['conditions'];
  if (!Array.isArray(conditions)) return undefined;
  return conditions.filter(isObject).find((condition) => String(condition['type']).toLowerCase() === 'failed' && String(condition['status']).toLowerCase() === 'true');
}

/** The first container that ended with a non-zero exit code (else one stuck waiting), as clouddriver's captureFailureDetails finds it. */
function failedContainer(pods: readonly KubernetesObject[]): { pod: string; container: string; exitCode?: number; signal?: number; reason?: string; message?: string } | undefined {
  for (const waiting of [false, true]) {
    for (const pod of pods) {
      const status = objectAt(pod, 'status');
      const containers = [...(Array.isArray(status['initContainerStatuses']) ? status['initContainerStatuses'] : []), ...(Array.isArray(status['containerStatuses']) ? status['containerStatuses'] : [])].filter(isObject);
      for (const container of containers) {
        const state = objectAt(container, 'state');
        const ended = objectAt(state, waiting ? 'waiting' : 'terminated');
        if (Object.keys(ended).length === 0) continue;
        const exitCode = numberFrom(ended['exitCode']);
        if (!waiting && (exitCode === undefined || exitCode === 0)) continue;
        const signal = numberFrom(ended['signal']);
        return {
          pod: String(objectAt(pod, 'metadata')['name'] ?? ''),
          container: String(container['name'] ?? ''),
          ...(exitCode !== undefined ? { exitCode } : {}),
          ...(signal !== undefined ? { signal } : {}),
          ...(typeof ended['reason'] === 'string' ? { reason: ended['reason'] } : {}),
          ...(typeof ended['message'] === 'string' ? { message: ended['message'] } : {}),
        };
      }
    }
  }
  return undefined;
}

/** Pods newest first. */
function newestFirst(pods: readonly KubernetesObject[]): KubernetesObject[] {
  const created = (pod: KubernetesObject) => Date.parse(String(objectAt(pod, 'metadata')['creationTimestamp'] ?? '')) || 0;
  return [...pods].sort((a, b) => created(b) - created(a));
}

async function jobPods(scope: ManifestScope, job: KubernetesObject, namespace: string, name: string): Promise<{ ok: true; pods: KubernetesObject[] } | { ok: false; result: TaskResult }> {
  // The server gives a Job a selector of its own (controller-uid); its pods also carry `job-name`.
  const selector = workloadPodSelector(job) ?? `job-name=${name}`;
  const listed = await scope.port.list({ account: scope.account, namespace, kind: 'Pod', labelSelector: selector });
  if (!listed.ok) return { ok: false, result: manifestFailure(listed, `listing the pods of job ${name}`, scope.label) };
  return { ok: true, pods: newestFirst(ownedPods(job, listed.value)) };
}

async function waitOnJob(input: TaskInput<JobStage>, deps: JobManifestTaskDeps): Promise<TaskResult> {
  const label = `stage '${input.stage.name}'`;
  const progress = progressOf(input);
  if (progress === undefined) return failed(`${label}: waitOnJobCompletion ran before runJob created a job; restart the stage`);
  const withNamespace = { ...input, record: { ...input.record, context: { ...input.record.context, jobNamespace: progress.namespace } } };
  const scoped = manifestScope(withNamespace, deps, 'jobNamespace');
  if (!scoped.ok) return failed(scoped.message);
  const scope = scoped.scope;
  const { name, namespace } = progress;
  const found = await scope.port.get({ account: scope.account, namespace, kind: 'Job', name, apiVersion: 'batch/v1' });
  if (!found.ok) return manifestFailure(found, `reading job ${name}`, scope.label);
  const job = found.value;
  if (job === undefined) return failed(`${label}: job ${name} no longer exists in namespace '${namespace}' (deleted while it ran?); restart the stage`);
  const state = jobState(job);
  const pods = await jobPods(scope, job, namespace, name);
  if (!pods.ok) return pods.result;
  const jobStatus: JsonObject = {
    name,
    account: scope.account,
    location: namespace,
    provider: 'kubernetes',
    jobState: state,
    createdTime: Date.parse(String(objectAt(job, 'metadata')['creationTimestamp'] ?? '')) || null,
    pods: pods.pods.map((pod) => ({ name: String(objectAt(pod, 'metadata')['name'] ?? ''), phase: String(objectAt(pod, 'status')['phase'] ?? 'Unknown') })),
    ...(pods.pods[0] !== undefined ? { mostRecentPodName: String(objectAt(pods.pods[0], 'metadata')['name'] ?? '') } : {}),
  };
  if (state === 'Running') {
    const wait = settleWaitSeconds(input.now - progress.startedAt);
    // Fail naming the Job and its pods while there is a reason to give: on the step's last poll, or
    // before the next poll would pass the stage's own timeout (either would end it without them).
    const stageTimeout = input.stage.stageTimeoutMs;
    const stageStart = input.record.startTime ?? progress.startedAt;
    if (input.poll >= JOB_MAX_POLLS || (stageTimeout !== undefined && input.now + wait * 1000 - stageStart > stageTimeout)) {
      const podList = pods.pods.map((pod) => `${String(objectAt(pod, 'metadata')['name'] ?? '')} ${String(objectAt(pod, 'status')['phase'] ?? 'Unknown')}`).join(', ');
      return failed(
        `${label}: Job '${name}' is still running after ${Math.round((input.now - progress.startedAt) / 1000)} s (pods: ${podList || 'none'}), the longest this stage waits; set the Job's spec.activeDeadlineSeconds, or raise stageTimeoutMs`,
        { context: { jobStatus } },
      );
    }
    return running(wait, { context: { jobStatus } });
  }

  const condition = failedCondition(job);
  const container = failedContainer(pods.pods);
  const reason = typeof condition?.['reason'] === 'string' ? condition['reason'] : undefined;
  const message = typeof condition?.['message'] === 'string' ? condition['message'] : undefined;
  const completionDetails: JsonObject = {
    exitCode: container?.exitCode !== undefined ? String(container.exitCode) : state === 'Succeeded' ? '0' : '',
    signal: container?.signal !== undefined ? String(container.signal) : '',
    message: message ?? '',
    reason: reason ?? '',
  };
  const newest = pods.pods[0];
  const containerName = textAt(input.record.context, 'propertyFile') ?? undefined;
  let log = '';
  if (newest !== undefined) {
    const podName = String(objectAt(newest, 'metadata')['name'] ?? '');
    const logged = await scope.port.logs({ account: scope.account, namespace, pod: podName, ...(containerName !== undefined ? { container: containerName } : {}) });
    if (!logged.ok && logged.reason === 'unavailable') return manifestFailure(logged, `reading the log of pod ${podName}`, scope.label);
    if (logged.ok) log = logged.value;
  }
  const logs = log.length > MAX_JOB_LOG_CHARACTERS ? `…${log.slice(-MAX_JOB_LOG_CHARACTERS)}` : log;
  const failureDetails = container === undefined ? undefined : `Pod: '${container.pod}' had errors. Container: '${container.container}' exited with code: ${container.exitCode ?? 'none'}. Status: ${container.reason ?? 'unknown'}.`;
  const ended: JsonObject = {
    jobStatus: { ...jobStatus, completedTime: input.now, ...(message !== undefined ? { message } : {}), ...(reason !== undefined ? { reason } : {}), ...(failureDetails !== undefined ? { failureDetails } : {}) },
    completionDetails,
    logs,
  };
  if (state === 'Failed') {
    const parts = [`Job: '${name}' failed.`, reason !== undefined ? `Reason: ${reason}.` : '', message !== undefined ? `Details: ${message}.` : '', failureDetails !== undefined ? `Additional Details: ${failureDetails}` : ''];
    return failed(`${label}: ${oneLine(parts.filter((part) => part !== '').join(' '))}`, { context: ended });
  }
  if (containerName === undefined) return succeeded(ended, { context: { completionDetails } });
  const parsed = propertiesFromLog(log);
  if (!parsed.ok || Object.keys(parsed.properties).length === 0) {
    const why = parsed.ok ? 'its log has no SPINNAKER_PROPERTY_<KEY>=<value> or SPINNAKER_CONFIG_JSON=<object> line' : parsed.message;
    return failed(`${label}: expected properties from the log of container '${containerName}' (propertyFile) of job ${name}, but ${why}; print them from that container, or remove propertyFile`, { context: ended });
  }
  // Orca merges the properties over the outputs, then keeps them whole under propertyFileContents.
  return succeeded({ ...ended, ...parsed.properties, propertyFileContents: parsed.properties } as JsonObject, { context: { completionDetails } });
}
