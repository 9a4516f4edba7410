/**
 * The controllers of the simulated cluster, run at every instant the clock or a request changes
 * something: the kubelet's view of pods (Pending → Running → Ready after the image's scripted
 * delay, or never; run-to-completion pods finish with the image's exit code), the ReplicaSet
 * controller (reference/cloud-targets.md §6.3), the garbage collector (ownerReferences,
 * Foreground and Background propagation) and the namespace controller.
 */
import { Cluster, controllerRef, finalizersOf, labelsOf, meta, ownerRefs, terminating, workloadSelector } from './cluster.ts';
import { clone, deepEqual, isMap, type JsonMap } from './patch.ts';
import { nameSuffix, type Random } from './random.ts';
import type { ResourceType } from './resources.ts';
import { matches, selectorFromMap, type Labels } from './selectors.ts';
import { StatusError } from './status.ts';

/** How a container image behaves in the simulated cluster (the side door's `setImageBehaviour`). */
export interface ImageBehaviour {
  /** Ms of simulated time from container start to Ready (default: the simulator's `podReadyAfterMs`). */
  readonly readyAfterMs?: number;
  /** Ms from pod creation to the container running (default 0). */
  readonly startAfterMs?: number;
  /** The container runs but never becomes Ready (a broken release). */
  readonly neverReady?: boolean;
  /** Exit code when a run-to-completion pod (restartPolicy Never/OnFailure) finishes (default 0). */
  readonly exitCode?: number;
  /** What the container writes to its log (the `/log` subresource). */
  readonly log?: string;
  /** Ms a run-to-completion pod runs before it exits (default 1000). */
  readonly runsForMs?: number;
  /** Ms a deleted pod takes to stop, within its grace period (default 0: it exits on SIGTERM). */
  readonly stopsAfterMs?: number;
  /** Requests each Ready pod serves a second, for the simulated request metrics (default 10). */
  readonly requestsPerSecond?: number;
  /** Fraction of requests that fail, for the simulated request metrics (default 0). */
  readonly errorRate?: number;
  /** Mean request latency in ms, for the simulated request metrics (default 50). */
  readonly latencyMs?: number;
  /**
   * The name of an environment variable holding the percentage of requests the container answers
   * successfully, as Spinnaker's codelab sample app reads `SUCCESS_RATE`: when the pod's first
   * container resolves it to a number (from `env[].value` or `valueFrom.configMapKeyRef`, as the
   * kubelet resolved it when the pod was created), it sets the error rate to `1 - value/100`,
   * over `errorRate`. A release's quality then comes from its configuration, not its image.
   */
  readonly successRateFromEnv?: string;
}

/** What the controllers need from the simulator. */
export interface ControllerContext {
  now(): number;
  readonly random: Random;
  readonly cluster: Cluster;
  /** The behaviour of an image (merged from every matching glob). */
  behaviourOf(image: string): ImageBehaviour;
  readonly podReadyAfterMs: number;
}

/** The ms timestamps a pod's life is scripted by. */
export interface PodTimes {
  readonly startAt: number;
  /** When the pod turns Ready; undefined when it never does. */
  readonly readyAt?: number;
  /** When a run-to-completion pod exits; undefined for long-running pods. */
  readonly endAt?: number;
  readonly exitCode: number;
  /** When a terminating pod is gone. */
  readonly removeAt?: number;
}

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function containersOf(pod: JsonMap): JsonMap[] {
  const spec = isMap(pod['spec']) ? (pod['spec'] as JsonMap) : {};
  return Array.isArray(spec['containers']) ? spec['containers'].filter(isMap) : [];
}

/**
 * What keeps a pod's containers from starting, as the kubelet reports it: a ConfigMap or Secret
 * its containers' `env`/`envFrom` name is missing (`CreateContainerConfigError`, "configmap
 * \"x\" not found"), or one its volumes name is (stuck in `ContainerCreating`). References marked
 * `optional: true` never block. Undefined when everything it names exists.
 */
function missingConfig(ctx: ControllerContext, pod: JsonMap): { readonly reason: string; readonly message: string } | undefined {
  const namespace = String(meta(pod)['namespace']);
  const spec = isMap(pod['spec']) ? (pod['spec'] as JsonMap) : {};
  const exists = (kind: 'configmap' | 'secret', name: unknown) => typeof name === 'string' && ctx.cluster.get('', kind === 'configmap' ? 'configmaps' : 'secrets', namespace, name) !== undefined;
  const required = (ref: unknown): ref is JsonMap => isMap(ref) && (ref as JsonMap)['optional'] !== true;
  for (const container of containersOf(pod)) {
    const refs: Array<['configmap' | 'secret', unknown]> = [];
    for (const source of Array.isArray(container['envFrom']) ? container['envFrom'].filter(isMap) : []) {
      if (required(source['configMapRef'])) refs.push(['configmap', (source['configMapRef'] as JsonMap)['name']]);
      if (required(source['secretRef'])) refs.push(['secret', (source['secretRef'] as JsonMap)['name']]);
    }
    for (const variable of Array.isArray(container['env']) ? container['env'].filter(isMap) : []) {
      const from = isMap(variable['valueFrom']) ? (variable['valueFrom'] as JsonMap) : {};
      if (required(from['configMapKeyRef'])) refs.push(['configmap', (from['configMapKeyRef'] as JsonMap)['name']]);
      if (required(from['secretKeyRef'])) refs.push(['secret', (from['secretKeyRef'] as JsonMap)['name']]);
    }
    const missing = refs.find(([kind, name]) => !exists(kind, name));
    if (missing) return { reason: 'CreateContainerConfigError', message: `${missing[0]} "${String(missing[1])}" not found` };
  }
  for (const volume of Array.isArray(spec['volumes']) ? spec['volumes'].filter(isMap) : []) {
    if (required(volume['configMap']) && !exists('configmap', (volume['configMap'] as JsonMap)['name'])) {
      return { reason: 'ContainerCreating', message: `MountVolume.SetUp failed for volume "${String(volume['name'])}" : configmap "${String((volume['configMap'] as JsonMap)['name'])}" not found` };
    }
    if (required(volume['secret']) && !exists('secret', (volume['secret'] as JsonMap)['secretName'])) {
      return { reason: 'ContainerCreating', message: `MountVolume.SetUp failed for volume "${String(volume['name'])}" : secret "${String((volume['secret'] as JsonMap)['secretName'])}" not found` };
    }
  }
  return undefined;
}

/** The pod's scripted timeline, from its containers' image behaviours. */
export function podTimes(ctx: ControllerContext, pod: JsonMap): PodTimes {
  const m = meta(pod);
  const uid = String(m['uid']);
  const created = ctx.cluster.createdAt.get(uid) ?? Date.parse(String(m['creationTimestamp']));
  const behaviours = containersOf(pod).map((c) => ctx.behaviourOf(String(c['image'] ?? '')));
  const startAt = created + Math.max(0, ...behaviours.map((b) => b.startAfterMs ?? 0));
  const neverReady = behaviours.some((b) => b.neverReady === true);
  const readyAt = neverReady ? undefined : startAt + Math.max(0, ...behaviours.map((b) => b.readyAfterMs ?? ctx.podReadyAfterMs));
  const spec = isMap(pod['spec']) ? (pod['spec'] as JsonMap) : {};
  const runToCompletion = spec['restartPolicy'] === 'Never' || spec['restartPolicy'] === 'OnFailure';
  const endAt = runToCompletion ? startAt + Math.max(0, ...behaviours.map((b) => b.runsForMs ?? 1000)) : undefined;
  const exitCode = behaviours.map((b) => b.exitCode ?? 0).find((c) => c !== 0) ?? 0;
  let removeAt: number | undefined;
  const requested = ctx.cluster.deletionRequestedAt.get(uid);
  if (requested !== undefined) {
    const grace = typeof m['deletionGracePeriodSeconds'] === 'number' ? m['deletionGracePeriodSeconds'] * 1000 : 30_000;
    removeAt = Math.min(requested + grace, requested + Math.max(0, ...behaviours.map((b) => b.stopsAfterMs ?? 0)));
  }
  return { startAt, ...(readyAt !== undefined ? { readyAt } : {}), ...(endAt !== undefined ? { endAt } : {}), exitCode, ...(removeAt !== undefined ? { removeAt } : {}) };
}

/** Whether a pod's Ready condition is True. */
export function podReady(pod: JsonMap): boolean {
  const status = isMap(pod['status']) ? (pod['status'] as JsonMap) : {};
  const conditions = Array.isArray(status['conditions']) ? status['conditions'].filter(isMap) : [];
  return conditions.some((c) => c['type'] === 'Ready' && c['status'] === 'True');
}

/** The pod's phase. */
export function podPhase(pod: JsonMap): string {
  const status = isMap(pod['status']) ? (pod['status'] as JsonMap) : {};
  return typeof status['phase'] === 'string' ? status['phase'] : 'Pending';
}

function condition(previous: JsonMap[], type: string, value: boolean, now: number, reason?: string): JsonMap {
  const old = previous.find((c) => c['type'] === type);
  const status = value ? 'True' : 'False';
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: old && old['status'] === status ? (old['lastTransitionTime'] ?? isoSeconds(now)) : isoSeconds(now),
    ...(reason ? { reason } : {}),
  };
}

/** The pod's IP, stable per pod (derived from its uid). */
function podIp(uid: string): string {
  let h = 0;
  for (const ch of uid) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return `10.244.${(h >>> 8) % 250}.${(h % 250) + 2}`;
}

/** The kubelet: moves each pod along its scripted timeline and removes pods whose termination ended. */
function runPods(ctx: ControllerContext, podType: ResourceType): number | undefined {
  const now = ctx.now();
  let next: number | undefined;
  const due = (at: number | undefined) => {
    if (at !== undefined && at > now && (next === undefined || at < next)) next = at;
  };
  for (const pod of ctx.cluster.list('', 'pods')) {
    const m = meta(pod);
    const uid = String(m['uid']);
    const times = podTimes(ctx, pod);
    const ns = String(m['namespace']);
    const name = String(m['name']);
    if (times.removeAt !== undefined) {
      if (now >= times.removeAt && finalizersOf(pod).length === 0) {
        ctx.cluster.erase(podType, ns, name);
        continue;
      }
      due(times.removeAt);
    }
    const status = isMap(pod['status']) ? (pod['status'] as JsonMap) : {};
    const previous = Array.isArray(status['conditions']) ? status['conditions'].filter(isMap) : [];
    const phase = podPhase(pod);
    const containers = containersOf(pod);
    let desired: JsonMap;
    if (phase === 'Succeeded' || phase === 'Failed') {
      // Finished pods keep their final status.
      continue;
    } else if (now < times.startAt || missingConfig(ctx, pod) !== undefined) {
      // Not started yet, or held by a ConfigMap or Secret it names that does not exist.
      const held = now < times.startAt ? undefined : missingConfig(ctx, pod);
      desired = {
        phase: 'Pending',
        conditions: [condition(previous, 'PodScheduled', true, now)],
        qosClass: 'BestEffort',
        containerStatuses: containers.map((c) => ({ name: c['name'] ?? '', image: c['image'] ?? '', imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: held ? { ...held } : { reason: 'ContainerCreating' } } })),
      };
      if (!held) due(times.startAt);
    } else if (times.endAt !== undefined && now >= times.endAt && !terminating(pod)) {
      const failed = times.exitCode !== 0;
      desired = {
        phase: failed ? 'Failed' : 'Succeeded',
        conditions: [
          condition(previous, 'Initialized', true, now, 'PodCompleted'),
          condition(previous, 'Ready', false, now, 'PodCompleted'),
          condition(previous, 'ContainersReady', false, now, 'PodCompleted'),
          condition(previous, 'PodScheduled', true, now),
        ],
        hostIP: '10.0.0.1',
        podIP: podIp(uid),
        podIPs: [{ ip: podIp(uid) }],
        startTime: isoSeconds(times.startAt),
        qosClass: 'BestEffort',
        containerStatuses: startedContainers(containers, uid, {
          ready: false,
          started: false,
          state: { terminated: { exitCode: times.exitCode, reason: failed ? 'Error' : 'Completed', startedAt: isoSeconds(times.startAt), finishedAt: isoSeconds(times.endAt!), containerID: containerId(uid) } },
        }),
      };
    } else {
      const ready = !terminating(pod) && times.readyAt !== undefined && now >= times.readyAt;
      if (!ready && !terminating(pod)) due(times.readyAt);
      due(times.endAt);
      desired = {
        phase: 'Running',
        conditions: [
          condition(previous, 'PodReadyToStartContainers', true, now),
          condition(previous, 'Initialized', true, now),
          condition(previous, 'Ready', ready, now, ready ? undefined : 'ContainersNotReady'),
          condition(previous, 'ContainersReady', ready, now, ready ? undefined : 'ContainersNotReady'),
          condition(previous, 'PodScheduled', true, now),
        ],
        hostIP: '10.0.0.1',
        hostIPs: [{ ip: '10.0.0.1' }],
        podIP: podIp(uid),
        podIPs: [{ ip: podIp(uid) }],
        startTime: isoSeconds(times.startAt),
        qosClass: 'BestEffort',
        containerStatuses: startedContainers(containers, uid, { ready, started: true, state: { running: { startedAt: isoSeconds(times.startAt) } } }),
      };
    }
    // Conditions without a reason drop the key; keep the shape stable for equality.
    for (const c of desired['conditions'] as JsonMap[]) if (c['reason'] === undefined) delete c['reason'];
    if (deepEqual(pod['status'], desired)) continue;
    const updated = clone(pod);
    updated['status'] = desired;
    ctx.cluster.write(podType, updated);
  }
  return next;
}

/** The container id the kubelet reports for a pod's containers. */
function containerId(uid: string): string {
  return `containerd://${uid.replace(/-/g, '')}`;
}

/** `status.containerStatuses` of a pod whose containers have started: each container's identity, and the state given. */
function startedContainers(containers: readonly JsonMap[], uid: string, status: { readonly ready: boolean; readonly started: boolean; readonly state: JsonMap }): JsonMap[] {
  return containers.map((c) => ({
    name: c['name'] ?? '',
    image: c['image'] ?? '',
    imageID: `docker-pullable://${String(c['image'] ?? '')}`,
    containerID: containerId(uid),
    ready: status.ready,
    restartCount: 0,
    started: status.started,
    state: status.state,
  }));
}

/** When each pod turned Ready, in simulated ms (for availability and scale-down ranking). */
export function readySince(pod: JsonMap, ctx: ControllerContext): number | undefined {
  if (!podReady(pod)) return undefined;
  const times = podTimes(ctx, pod);
  return times.readyAt;
}

function replicasOf(object: JsonMap): number {
  const spec = isMap(object['spec']) ? (object['spec'] as JsonMap) : {};
  return typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
}

function templateOf(object: JsonMap): JsonMap {
  const spec = isMap(object['spec']) ? (object['spec'] as JsonMap) : {};
  return isMap(spec['template']) ? (spec['template'] as JsonMap) : {};
}

/** Pods a controller counts: not being deleted and not finished. */
export function activePod(pod: JsonMap): boolean {
  const phase = podPhase(pod);
  return !terminating(pod) && phase !== 'Succeeded' && phase !== 'Failed';
}

/** A new pod from a workload's template, owned by it. */
export function podFromTemplate(ctx: ControllerContext, owner: JsonMap, ownerApiVersion: string, ownerKind: string, podName: string): JsonMap {
  const template = templateOf(owner);
  const tm = isMap(template['metadata']) ? (template['metadata'] as JsonMap) : {};
  const om = meta(owner);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName,
      generateName: `${String(om['name'])}-`,
      namespace: String(om['namespace']),
      ...(isMap(tm['labels']) ? { labels: clone(tm['labels']) } : {}),
      ...(isMap(tm['annotations']) ? { annotations: clone(tm['annotations']) } : {}),
      ownerReferences: [{ apiVersion: ownerApiVersion, kind: ownerKind, name: String(om['name']), uid: String(om['uid']), controller: true, blockOwnerDeletion: true }],
    },
    spec: clone(isMap(template['spec']) ? template['spec'] : {}),
  };
}

/**
 * Kubernetes' order for scale-down (`ActivePodsWithRanks`): not yet running before running,
 * not Ready before Ready, Ready for less time before longer, newer before older.
 */
function deletionRank(ctx: ControllerContext, a: JsonMap, b: JsonMap): number {
  const phaseRank = (p: JsonMap) => (podPhase(p) === 'Pending' ? 0 : podPhase(p) === 'Running' ? 2 : 1);
  if (phaseRank(a) !== phaseRank(b)) return phaseRank(a) - phaseRank(b);
  const ra = podReady(a) ? 1 : 0;
  const rb = podReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  const sa = readySince(a, ctx) ?? 0;
  const sb = readySince(b, ctx) ?? 0;
  if (sa !== sb) return sb - sa;
  const ca = ctx.cluster.createdAt.get(String(meta(a)['uid'])) ?? 0;
  const cb = ctx.cluster.createdAt.get(String(meta(b)['uid'])) ?? 0;
  if (ca !== cb) return cb - ca;
  return String(meta(b)['name']) < String(meta(a)['name']) ? -1 : 1;
}

/** Releases owned pods the selector no longer picks and adopts orphans it does (the controller ref manager). */
export function claimPods(ctx: ControllerContext, podType: ResourceType, owner: JsonMap, ownerApiVersion: string, ownerKind: string): JsonMap[] {
  const om = meta(owner);
  const uid = String(om['uid']);
  const selector = workloadSelector(owner) ?? [];
  const owned: JsonMap[] = [];
  for (const pod of ctx.cluster.list('', 'pods', String(om['namespace']))) {
    const ref = controllerRef(pod);
    const selected = selector.length > 0 && matches(selector, labelsOf(pod));
    if (ref && ref['uid'] === uid) {
      if (selected) owned.push(pod);
      else {
        // A pod whose labels no longer match is orphaned: the controller lets go and makes another.
        const released = clone(pod);
        const refs = ownerRefs(released).filter((r) => r['uid'] !== uid);
        if (refs.length > 0) meta(released)['ownerReferences'] = refs;
        else delete meta(released)['ownerReferences'];
        ctx.cluster.write(podType, released);
      }
    } else if (!ref && selected && !terminating(owner) && activePod(pod)) {
      const adopted = clone(pod);
      meta(adopted)['ownerReferences'] = [...ownerRefs(adopted), { apiVersion: ownerApiVersion, kind: ownerKind, name: String(om['name']), uid, controller: true, blockOwnerDeletion: true }];
      owned.push(ctx.cluster.write(podType, adopted));
    }
  }
  return owned;
}

/** The ReplicaSet controller: keeps `spec.replicas` active pods and maintains `status`. */
function runReplicaSets(ctx: ControllerContext, rsType: ResourceType, podType: ResourceType): number | undefined {
  const now = ctx.now();
  let next: number | undefined;
  for (const rs of ctx.cluster.list('apps', 'replicasets')) {
    guarded(() => {
      const m = meta(rs);
      const owned = claimPods(ctx, podType, rs, 'apps/v1', 'ReplicaSet');
      const active = owned.filter(activePod);
      const want = replicasOf(rs);
      if (!terminating(rs)) {
        if (active.length < want) {
          for (let i = active.length; i < want; i += 1) {
            let name = '';
            for (let attempt = 0; attempt < 10; attempt += 1) {
              name = `${String(m['name'])}-${nameSuffix(ctx.random)}`;
              if (!ctx.cluster.get('', 'pods', String(m['namespace']), name)) break;
            }
            active.push(ctx.cluster.create(podType, 'v1', String(m['namespace']), podFromTemplate(ctx, rs, 'apps/v1', 'ReplicaSet', name)));
          }
        } else if (active.length > want) {
          const victims = [...active].sort((a, b) => deletionRank(ctx, a, b)).slice(0, active.length - want);
          for (const pod of victims) {
            ctx.cluster.remove(podType, String(meta(pod)['namespace']), String(meta(pod)['name']));
            active.splice(active.indexOf(pod), 1);
          }
        }
      }
      const live = ctx.cluster.list('', 'pods', String(m['namespace'])).filter((p) => active.some((a) => meta(a)['uid'] === meta(p)['uid']));
      const templateLabels = (isMap(templateOf(rs)['metadata']) ? ((templateOf(rs)['metadata'] as JsonMap)['labels'] as Labels | undefined) : undefined) ?? {};
      const spec = isMap(rs['spec']) ? (rs['spec'] as JsonMap) : {};
      const minReadyMs = (typeof spec['minReadySeconds'] === 'number' ? spec['minReadySeconds'] : 0) * 1000;
      const ready = live.filter(podReady);
      const available = ready.filter((p) => {
        const since = readySince(p, ctx) ?? now;
        if (now < since + minReadyMs) {
          if (next === undefined || since + minReadyMs < next) next = since + minReadyMs;
          return false;
        }
        return true;
      });
      const fullyLabeled = live.filter((p) => matches(selectorFromMap(templateLabels), labelsOf(p)));
      const status: JsonMap = {
        replicas: live.length,
        ...(fullyLabeled.length > 0 ? { fullyLabeledReplicas: fullyLabeled.length } : {}),
        ...(ready.length > 0 ? { readyReplicas: ready.length } : {}),
        ...(available.length > 0 ? { availableReplicas: available.length } : {}),
        observedGeneration: m['generation'] ?? 1,
      };
      const current = ctx.cluster.get('apps', 'replicasets', String(m['namespace']), String(m['name']));
      if (current) {
        const next = { ...(isMap(current['status']) && Array.isArray((current['status'] as JsonMap)['conditions']) ? { conditions: (current['status'] as JsonMap)['conditions']! } : {}), ...status };
        if (!deepEqual(current['status'], next)) {
          const updated = clone(current);
          updated['status'] = next;
          ctx.cluster.write(rsType, updated);
        }
      }
    });
  }
  return next;
}

/**
 * The garbage collector: deletes objects whose owners are all gone (Background), deletes the
 * dependents of an owner in foreground deletion, and lets that owner go once they are gone.
 */
function collectGarbage(ctx: ControllerContext): void {
  const live = new Map<string, JsonMap>();
  for (const { object } of ctx.cluster.entries()) live.set(String(meta(object)['uid']), object);
  for (const { type, object } of ctx.cluster.entries()) {
    const refs = ownerRefs(object);
    if (refs.length === 0 || terminating(object)) continue;
    const m = meta(object);
    const owners = refs.map((r) => live.get(String(r['uid'])));
    const ns = String(m['namespace'] ?? '');
    if (owners.every((o) => o === undefined)) ctx.cluster.remove(type, ns, String(m['name']), { propagationPolicy: 'Background' });
    else if (owners.some((o) => o !== undefined && terminating(o) && finalizersOf(o).includes('foregroundDeletion'))) ctx.cluster.remove(type, ns, String(m['name']), { propagationPolicy: 'Foreground' });
  }
  for (const { type, object } of ctx.cluster.entries()) {
    if (!terminating(object) || !finalizersOf(object).includes('foregroundDeletion')) continue;
    if (ctx.cluster.dependentsOf(String(meta(object)['uid'])).length > 0) continue;
    const released = clone(object);
    const rest = finalizersOf(released).filter((f) => f !== 'foregroundDeletion');
    if (rest.length > 0) meta(released)['finalizers'] = rest;
    else delete meta(released)['finalizers'];
    ctx.cluster.write(type, released);
  }
}

/** The namespace controller: empties a terminating namespace, then lets it go. */
function runNamespaces(ctx: ControllerContext, nsType: ResourceType): void {
  for (const ns of ctx.cluster.list('', 'namespaces')) {
    if (!terminating(ns)) continue;
    const name = String(meta(ns)['name']);
    let remaining = 0;
    for (const { type, object } of ctx.cluster.entries()) {
      if (!type.namespaced || meta(object)['namespace'] !== name) continue;
      remaining += 1;
      if (!terminating(object)) ctx.cluster.remove(type, name, String(meta(object)['name']), { propagationPolicy: 'Background' });
    }
    if (remaining === 0) ctx.cluster.erase(nsType, '', name);
  }
}

/**
 * Runs one object's reconciliation; a refusal from the store (a name taken, a namespace being
 * deleted) skips the object until the next pass, as a real controller requeues it.
 */
export function guarded(work: () => void): void {
  try {
    work();
  } catch (error) {
    if (!(error instanceof StatusError)) throw error;
  }
}

/** One controller pass over the whole cluster; answers the next instant something is due on its own. */
export function reconcile(ctx: ControllerContext, extra: readonly ((ctx: ControllerContext) => number | undefined)[] = []): number | undefined {
  const cluster = ctx.cluster;
  const podType = cluster.type('', 'pods')!;
  const rsType = cluster.type('apps', 'replicasets')!;
  const nsType = cluster.type('', 'namespaces')!;
  const times: (number | undefined)[] = [];
  runNamespaces(ctx, nsType);
  collectGarbage(ctx);
  for (const controller of extra) times.push(controller(ctx));
  times.push(runReplicaSets(ctx, rsType, podType));
  times.push(runPods(ctx, podType));
  const now = ctx.now();
  return times.filter((t): t is number => t !== undefined && t > now).reduce<number | undefined>((a, b) => (a === undefined || b < a ? b : a), undefined);
}
