/**
 * The Deployment and Job controllers of the simulated cluster (reference/cloud-targets.md §6.3).
 *
 * Deployment: one ReplicaSet per pod template, named `<deployment>-<pod-template-hash>`, with the
 * `pod-template-hash` label and the `deployment.kubernetes.io/revision` annotation (a rollback to
 * an old template reuses its ReplicaSet and gives it the next revision); RollingUpdate with
 * maxSurge/maxUnavailable, Recreate, `spec.paused`, the Available and Progressing conditions
 * (ProgressDeadlineExceeded after `progressDeadlineSeconds` without progress), and
 * revisionHistoryLimit pruning.
 *
 * Job: pods until `completions` succeed, a new pod after each failure with the kubelet's back-off
 * (10 s doubling, at most 6 min) until `backoffLimit` failures, `activeDeadlineSeconds`, and the
 * conditions Complete / Failed.
 */
import { claimPods, activePod, guarded, podFromTemplate, podPhase, podReady, type ControllerContext } from './controllers.ts';
import { controllerRef, labelsOf, meta, ownerRefs, terminating, workloadSelector } from './cluster.ts';
import { matches } from './selectors.ts';
import { clone, deepEqual, isMap, type Json, type JsonMap } from './patch.ts';
import { nameSuffix, templateHash } from './random.ts';
import type { ResourceType } from './resources.ts';

const REVISION = 'deployment.kubernetes.io/revision';
const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX = 'deployment.kubernetes.io/max-replicas';
const HASH = 'pod-template-hash';

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** JSON with sorted keys, so equal templates hash equally. */
function canonical(value: Json | undefined): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isMap(value))
    return `{${Object.keys(value)
      .sort()
      .filter((k) => value[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  return JSON.stringify(value ?? null);
}

function specOf(object: JsonMap): JsonMap {
  return isMap(object['spec']) ? (object['spec'] as JsonMap) : {};
}

function statusOf(object: JsonMap): JsonMap {
  return isMap(object['status']) ? (object['status'] as JsonMap) : {};
}

function num(value: Json | undefined, fallback = 0): number {
  return typeof value === 'number' ? value : fallback;
}

function annotationsOf(object: JsonMap): Record<string, string> {
  const a = meta(object)['annotations'];
  return isMap(a) ? (a as Record<string, string>) : {};
}

/** A template without the `pod-template-hash` label: what two ReplicaSets of a Deployment are compared by. */
function bareTemplate(template: Json | undefined): Json {
  const copy = clone(isMap(template) ? template : {});
  const m = isMap(copy['metadata']) ? (copy['metadata'] as JsonMap) : undefined;
  if (m && isMap(m['labels'])) {
    delete (m['labels'] as JsonMap)[HASH];
    if (Object.keys(m['labels'] as JsonMap).length === 0) delete m['labels'];
  }
  return copy;
}

/** `25%` or `1` of `replicas`; percentages round up for surge and down for unavailability, as the controller does. */
function resolve(value: Json | undefined, replicas: number, roundUp: boolean, fallback: string): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(String(v));
  if (!m) return Number(v) || 0;
  const exact = (Number(m[1]) * replicas) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

function condition(previous: JsonMap[], type: string, status: string, reason: string, message: string, now: number, progressed: boolean): JsonMap {
  const old = previous.find((c) => c['type'] === type);
  const same = old && old['status'] === status && old['reason'] === reason;
  return {
    type,
    status,
    lastUpdateTime: same && !progressed ? (old!['lastUpdateTime'] ?? isoSeconds(now)) : isoSeconds(now),
    lastTransitionTime: old && old['status'] === status ? (old['lastTransitionTime'] ?? isoSeconds(now)) : isoSeconds(now),
    reason,
    message,
  };
}

/** State the Deployment controller keeps beside the objects: when each rollout last made progress (ms). */
export interface DeploymentMemory {
  readonly lastProgress: Map<string, number>;
  readonly lastStatus: Map<string, string>;
}

/** The Deployment controller; answers the next instant it has something due (a progress deadline). */
export function runDeployments(ctx: ControllerContext, memory: DeploymentMemory): number | undefined {
  const cluster = ctx.cluster;
  const rsType = cluster.type('apps', 'replicasets')!;
  const deployType = cluster.type('apps', 'deployments')!;
  const now = ctx.now();
  let next: number | undefined;
  for (const deployment of cluster.list('apps', 'deployments')) {
    guarded(() => {
      if (terminating(deployment)) return;
      const dm = meta(deployment);
      const uid = String(dm['uid']);
      const ns = String(dm['namespace']);
      const name = String(dm['name']);
      const spec = specOf(deployment);
      const replicas = num(spec['replicas'], 1);
      const paused = spec['paused'] === true;
      let collisionCount = num(statusOf(deployment)['collisionCount']);
      const strategy = isMap(spec['strategy']) ? (spec['strategy'] as JsonMap) : {};
      const rolling = isMap(strategy['rollingUpdate']) ? (strategy['rollingUpdate'] as JsonMap) : {};
      const recreate = strategy['type'] === 'Recreate';
      let maxSurge = recreate ? 0 : resolve(rolling['maxSurge'], replicas, true, '25%');
      let maxUnavailable = recreate ? replicas : resolve(rolling['maxUnavailable'], replicas, false, '25%');
      if (!recreate && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
      maxSurge = Math.max(0, maxSurge);
      maxUnavailable = Math.min(Math.max(0, maxUnavailable), replicas);

      // Adopt ownerless ReplicaSets the selector picks (left by a Deployment deleted with Orphan), as the controller ref manager does.
      const selector = workloadSelector(deployment) ?? [];
      for (const rs of cluster.list('apps', 'replicasets', ns)) {
        if (controllerRef(rs) || terminating(rs) || selector.length === 0 || !matches(selector, labelsOf(rs))) continue;
        const adopted = clone(rs);
        meta(adopted)['ownerReferences'] = [...ownerRefs(adopted), { apiVersion: 'apps/v1', kind: 'Deployment', name, uid, controller: true, blockOwnerDeletion: true }];
        cluster.write(rsType, adopted);
      }
      const owned = () => cluster.list('apps', 'replicasets', ns).filter((rs) => controllerRef(rs)?.['uid'] === uid && !terminating(rs));
      const revisionOf = (rs: JsonMap) => Number(annotationsOf(rs)[REVISION] ?? 0);
      const template = spec['template'];
      let all = owned();
      let newRS = all.find((rs) => deepEqual(bareTemplate(specOf(rs)['template']), bareTemplate(template)));
      const maxRevision = Math.max(0, ...all.map(revisionOf));
      let progressed = false;
      let created = false;
      const deploymentAnnotations = Object.fromEntries(Object.entries(annotationsOf(deployment)).filter(([k]) => k !== 'kubectl.kubernetes.io/last-applied-configuration' && k !== REVISION && k !== REVISION_HISTORY));

      if (!paused) {
        if (!newRS) {
          // A name taken by a ReplicaSet this Deployment does not own: bump collisionCount and hash again, as the controller does.
          let hash = templateHash(canonical(bareTemplate(template)) + (collisionCount > 0 ? `#${collisionCount}` : ''));
          while (cluster.get('apps', 'replicasets', ns, `${name}-${hash}`) && collisionCount < 100) {
            collisionCount += 1;
            hash = templateHash(`${canonical(bareTemplate(template))}#${collisionCount}`);
          }
          const t = clone(isMap(template) ? (template as JsonMap) : {});
          const tm = isMap(t['metadata']) ? (t['metadata'] as JsonMap) : (t['metadata'] = {});
          tm['labels'] = { ...(isMap(tm['labels']) ? tm['labels'] : {}), [HASH]: hash };
          const selector = clone(isMap(spec['selector']) ? (spec['selector'] as JsonMap) : {});
          selector['matchLabels'] = { ...(isMap(selector['matchLabels']) ? selector['matchLabels'] : {}), [HASH]: hash };
          const rsName = `${name}-${hash}`;
          const body: JsonMap = {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            metadata: {
              name: rsName,
              namespace: ns,
              labels: { ...(isMap(tm['labels']) ? (tm['labels'] as JsonMap) : {}) },
              annotations: { ...deploymentAnnotations, [DESIRED]: String(replicas), [MAX]: String(replicas + maxSurge), [REVISION]: String(maxRevision + 1) },
              ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid, controller: true, blockOwnerDeletion: true }],
            },
            spec: { replicas: 0, minReadySeconds: num(spec['minReadySeconds']), selector, template: t },
          };
          newRS = cluster.create(rsType, 'v1', ns, body);
          created = true;
          progressed = true;
          all = owned();
        } else if (revisionOf(newRS) < maxRevision) {
          // A rollback to an older template: its ReplicaSet becomes the newest revision again.
          const updated = clone(newRS);
          const annotations = { ...annotationsOf(updated) };
          const history = [annotations[REVISION_HISTORY], annotations[REVISION]].filter((x) => x !== undefined && x !== '').join(',');
          annotations[REVISION] = String(maxRevision + 1);
          annotations[REVISION_HISTORY] = history;
          meta(updated)['annotations'] = annotations;
          newRS = cluster.write(rsType, updated);
          progressed = true;
          all = owned();
        }
      }

      const scaleTo = (rs: JsonMap, count: number) => {
        if (num(specOf(rs)['replicas'], 1) === count) return;
        const updated = clone(rs);
        (updated['spec'] as JsonMap)['replicas'] = count;
        const annotations = { ...annotationsOf(updated), [DESIRED]: String(replicas), [MAX]: String(replicas + maxSurge) };
        meta(updated)['annotations'] = annotations;
        cluster.write(rsType, updated);
        progressed = true;
      };

      if (!paused && newRS) {
        const newUid = meta(newRS)['uid'];
        const old = all.filter((rs) => meta(rs)['uid'] !== newUid).sort((a, b) => revisionOf(a) - revisionOf(b));
        const current = () => cluster.get('apps', 'replicasets', ns, String(meta(newRS!)['name']))!;
        if (recreate) {
          for (const rs of old) scaleTo(rs, 0);
          const oldPodsLeft = old.some((rs) => cluster.list('', 'pods', ns).some((p) => controllerRef(p)?.['uid'] === meta(rs)['uid']));
          if (!oldPodsLeft) scaleTo(current(), replicas);
        } else {
          const newSpec = () => num(specOf(current())['replicas'], 1);
          const specTotal = () => newSpec() + old.reduce((n, rs) => n + num(specOf(cluster.get('apps', 'replicasets', ns, String(meta(rs)['name'])) ?? rs)['replicas'], 1), 0);
          // Scale the new ReplicaSet up within maxSurge (or down to the target after a scale-down).
          if (newSpec() > replicas) scaleTo(current(), replicas);
          else if (newSpec() < replicas) {
            const room = replicas + maxSurge - specTotal();
            if (room > 0) scaleTo(current(), Math.min(replicas, newSpec() + room));
          }
          // Old ReplicaSets: first the pods that are not available, then available ones down to minAvailable.
          const minAvailable = replicas - maxUnavailable;
          const newStatus = statusOf(current());
          const newUnavailable = Math.max(0, newSpec() - num(newStatus['availableReplicas']));
          let cleanup = specTotal() - minAvailable - newUnavailable;
          for (const rs of old) {
            const live = cluster.get('apps', 'replicasets', ns, String(meta(rs)['name']));
            if (!live || cleanup <= 0) continue;
            const want = num(specOf(live)['replicas'], 1);
            const unhealthy = want - num(statusOf(live)['availableReplicas']);
            if (want > 0 && unhealthy > 0) {
              const down = Math.min(unhealthy, cleanup, want);
              scaleTo(live, want - down);
              cleanup -= down;
            }
          }
          const everyRS = [current(), ...old.map((rs) => cluster.get('apps', 'replicasets', ns, String(meta(rs)['name']))).filter((x): x is JsonMap => x !== undefined)];
          let budget = everyRS.reduce((n, rs) => n + num(statusOf(rs)['availableReplicas']), 0) - minAvailable;
          for (const rs of old) {
            const live = cluster.get('apps', 'replicasets', ns, String(meta(rs)['name']));
            if (!live || budget <= 0) continue;
            const want = num(specOf(live)['replicas'], 1);
            if (want === 0) continue;
            const down = Math.min(want, budget);
            scaleTo(live, want - down);
            budget -= down;
          }
        }
      }

      // Status and conditions.
      all = owned();
      const newLive = newRS ? cluster.get('apps', 'replicasets', ns, String(meta(newRS)['name'])) : undefined;
      const sum = (field: string) => all.reduce((n, rs) => n + num(statusOf(rs)[field]), 0);
      const specSum = all.reduce((n, rs) => n + num(specOf(rs)['replicas'], 1), 0);
      const available = sum('availableReplicas');
      const status: JsonMap = {
        observedGeneration: num(dm['generation'], 1),
        replicas: sum('replicas'),
        updatedReplicas: newLive ? num(statusOf(newLive)['replicas']) : 0,
        readyReplicas: sum('readyReplicas'),
        availableReplicas: available,
        unavailableReplicas: Math.max(0, specSum - available),
      };
      if (collisionCount > 0) status['collisionCount'] = collisionCount;
      for (const key of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas']) if (status[key] === 0) delete status[key];
      const fingerprint = JSON.stringify([status, newLive ? meta(newLive)['name'] : '']);
      if (memory.lastStatus.get(uid) !== fingerprint) {
        memory.lastStatus.set(uid, fingerprint);
        progressed = true;
      }
      if (progressed || !memory.lastProgress.has(uid)) memory.lastProgress.set(uid, now);
      const previous = Array.isArray(statusOf(deployment)['conditions']) ? (statusOf(deployment)['conditions'] as JsonMap[]) : [];
      const rsName = newLive ? String(meta(newLive)['name']) : name;
      const complete = newLive !== undefined && num(statusOf(newLive)['replicas']) === replicas && num(specOf(newLive)['replicas'], 1) === replicas && num(status['replicas']) === replicas && available >= replicas && num(statusOf(newLive)['availableReplicas']) === replicas;
      const availableCondition = available >= replicas - maxUnavailable
        ? condition(previous, 'Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now, false)
        : condition(previous, 'Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now, false);
      let progressing: JsonMap;
      const deadlineMs = num(spec['progressDeadlineSeconds'], 600) * 1000;
      const oldProgressing = previous.find((c) => c['type'] === 'Progressing');
      if (paused) progressing = condition(previous, 'Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', now, false);
      else if (complete) progressing = condition(previous, 'Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`, now, progressed && oldProgressing?.['reason'] !== 'NewReplicaSetAvailable');
      else if (progressed) progressing = condition(previous, 'Progressing', 'True', created ? 'NewReplicaSetCreated' : 'ReplicaSetUpdated', created ? `Created new replica set "${rsName}"` : `ReplicaSet "${rsName}" is progressing.`, now, true);
      else if (now >= memory.lastProgress.get(uid)! + deadlineMs) progressing = condition(previous, 'Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`, now, false);
      else {
        progressing = oldProgressing ? clone(oldProgressing) : condition(previous, 'Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, now, true);
        const due = memory.lastProgress.get(uid)! + deadlineMs;
        if (next === undefined || due < next) next = due;
      }
      status['conditions'] = [availableCondition, progressing];
      const liveDeployment = cluster.get('apps', 'deployments', ns, name)!;
      const annotations = newLive ? { ...annotationsOf(liveDeployment), [REVISION]: annotationsOf(newLive)[REVISION] ?? '1' } : undefined;
      if (!deepEqual(liveDeployment['status'], status) || (annotations && !deepEqual(meta(liveDeployment)['annotations'], annotations))) {
        const updated = clone(liveDeployment);
        updated['status'] = status;
        if (annotations) meta(updated)['annotations'] = annotations;
        cluster.write(deployType, updated);
      }

      // Revision history: old ReplicaSets scaled to zero beyond revisionHistoryLimit go, oldest first.
      const limit = num(spec['revisionHistoryLimit'], 10);
      const idle = owned()
        .filter((rs) => newLive === undefined || meta(rs)['uid'] !== meta(newLive)['uid'])
        .filter((rs) => num(specOf(rs)['replicas'], 1) === 0 && num(statusOf(rs)['replicas']) === 0)
        .sort((a, b) => revisionOf(a) - revisionOf(b));
      for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) cluster.remove(rsType, ns, String(meta(rs)['name']), { propagationPolicy: 'Background' });
    });
  }
  return next;
}

/** State the Job controller keeps: the pods it has counted, and when each Job's last pod failed (ms). */
export interface JobMemory {
  readonly counted: Map<string, Set<string>>;
  readonly lastFailure: Map<string, number>;
  readonly started: Map<string, number>;
}

/** The Job controller; answers the next instant it has something due (a back-off or a deadline). */
export function runJobs(ctx: ControllerContext, memory: JobMemory, podType: ResourceType): number | undefined {
  const cluster = ctx.cluster;
  const jobType = cluster.type('batch', 'jobs')!;
  const now = ctx.now();
  let next: number | undefined;
  const due = (at: number) => {
    if (at > now && (next === undefined || at < next)) next = at;
  };
  for (const job of cluster.list('batch', 'jobs')) {
    guarded(() => {
      if (terminating(job)) return;
      const jm = meta(job);
      const uid = String(jm['uid']);
      const ns = String(jm['namespace']);
      const name = String(jm['name']);
      const spec = specOf(job);
      const status = statusOf(job);
      const conditions = Array.isArray(status['conditions']) ? (status['conditions'] as JsonMap[]) : [];
      if (conditions.some((c) => (c['type'] === 'Complete' || c['type'] === 'Failed') && c['status'] === 'True')) return;
      if (spec['suspend'] === true) return;
      if (!memory.started.has(uid)) memory.started.set(uid, now);
      const pods = claimPods(ctx, podType, job, 'batch/v1', 'Job');
      const counted = memory.counted.get(uid) ?? new Set<string>();
      memory.counted.set(uid, counted);
      let succeeded = num(status['succeeded']);
      let failed = num(status['failed']);
      for (const pod of pods) {
        const podUid = String(meta(pod)['uid']);
        if (counted.has(podUid)) continue;
        const phase = podPhase(pod);
        if (phase === 'Succeeded') (succeeded += 1, counted.add(podUid));
        if (phase === 'Failed') {
          failed += 1;
          counted.add(podUid);
          memory.lastFailure.set(uid, now);
        }
      }
      const completions = num(spec['completions'], 1);
      const parallelism = num(spec['parallelism'], 1);
      const backoffLimit = num(spec['backoffLimit'], 6);
      const active = pods.filter(activePod);
      const newConditions: JsonMap[] = [];
      const finish = (type: string, reason: string, message: string) => {
        newConditions.push({ type, status: 'True', lastProbeTime: isoSeconds(now), lastTransitionTime: isoSeconds(now), ...(reason ? { reason } : {}), ...(message ? { message } : {}) });
      };
      const deadline = typeof spec['activeDeadlineSeconds'] === 'number' ? memory.started.get(uid)! + spec['activeDeadlineSeconds'] * 1000 : undefined;
      if (succeeded >= completions) {
        finish('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods');
        finish('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods');
      } else if (failed > backoffLimit) {
        finish('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
        finish('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      } else if (deadline !== undefined && now >= deadline) {
        finish('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline');
        finish('Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline');
      } else {
        if (deadline !== undefined) due(deadline);
        const wanted = Math.min(parallelism, completions - succeeded);
        const lastFailure = memory.lastFailure.get(uid);
        const backoffUntil = lastFailure === undefined || failed === 0 ? now : lastFailure + Math.min(360_000, 10_000 * 2 ** (failed - 1));
        if (active.length < wanted) {
          if (now >= backoffUntil) {
            for (let i = active.length; i < wanted; i += 1) {
              let podName = '';
              for (let attempt = 0; attempt < 10; attempt += 1) {
                podName = `${name}-${nameSuffix(ctx.random)}`;
                if (!cluster.get('', 'pods', ns, podName)) break;
              }
              active.push(cluster.create(podType, 'v1', ns, podFromTemplate(ctx, job, 'batch/v1', 'Job', podName)));
            }
          } else due(backoffUntil);
        }
      }
      const finished = newConditions.length > 0;
      if (finished) for (const pod of active) cluster.remove(podType, ns, String(meta(pod)['name']), { gracePeriodSeconds: 0 });
      const ready = finished ? 0 : active.filter(podReady).length;
      const nextStatus: JsonMap = {
        ...(newConditions.length > 0 ? { conditions: newConditions } : {}),
        startTime: isoSeconds(memory.started.get(uid)!),
        ...(finished && newConditions.some((c) => c['type'] === 'Complete') ? { completionTime: isoSeconds(now) } : {}),
        ...(!finished && active.length > 0 ? { active: active.length } : {}),
        ...(succeeded > 0 ? { succeeded } : {}),
        ...(failed > 0 ? { failed } : {}),
        ready,
        terminating: 0,
        uncountedTerminatedPods: {},
      };
      if (!deepEqual(job['status'], nextStatus)) {
        const updated = clone(job);
        updated['status'] = nextStatus;
        cluster.write(jobType, updated);
      }
    });
  }
  return next;
}
