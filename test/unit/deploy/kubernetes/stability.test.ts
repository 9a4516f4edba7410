/** What "stable" means per kind, as clouddriver's handlers report it (cloud-targets.md §6.3). */
import { describe, expect, it } from 'vitest';
import { manifestStatus, statusJson } from '../../../../core/deploy/kubernetes/index.ts';

const rs = (status: Record<string, unknown> | undefined, replicas = 2, generation = 1) => ({ kind: 'ReplicaSet', metadata: { name: 'x', generation }, spec: { replicas }, ...(status ? { status } : {}) });
const deployment = (status: Record<string, unknown> | undefined, spec: Record<string, unknown> = {}) => ({ kind: 'Deployment', metadata: { name: 'x', generation: 2 }, spec: { replicas: 2, ...spec }, ...(status ? { status } : {}) });
const ready = { observedGeneration: 1, replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2 };
const rolledOut = { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 };

describe('manifestStatus', () => {
  it.each([
    ['a ReplicaSet without status', rs(undefined), false, 'No status reported yet (or failed to fetch status)'],
    ['a ReplicaSet whose generation is not observed', rs({ ...ready, observedGeneration: 0 }), false, 'Waiting for replicaset spec update to be observed'],
    ['a ReplicaSet short of labeled replicas', rs({ ...ready, fullyLabeledReplicas: 1 }), false, 'Waiting for all replicas to be fully-labeled'],
    ['a ReplicaSet short of available replicas', rs({ ...ready, availableReplicas: 1 }), false, 'Waiting for all replicas to be available'],
    ['a ReplicaSet short of ready replicas', rs({ ...ready, readyReplicas: 1 }), false, 'Waiting for all replicas to be ready'],
    ['a ready ReplicaSet', rs(ready), true, undefined],
    ['a ReplicaSet scaled to 0', rs({ observedGeneration: 1, replicas: 0 }, 0), true, undefined],
    ['a Deployment with old replicas', deployment({ ...rolledOut, replicas: 3 }), false, 'Waiting for old replicas to finish termination'],
    ['a Deployment being updated', deployment({ ...rolledOut, updatedReplicas: 1 }), false, 'Waiting for all replicas to be updated'],
    ['a Deployment at an old generation', deployment({ ...rolledOut, observedGeneration: 1 }), false, 'Waiting for status generation to match updated object generation'],
    ['a rolled-out Deployment', deployment(rolledOut), true, undefined],
    ['a Job running', { kind: 'Job', metadata: { name: 'j' }, spec: { completions: 1 }, status: { active: 1 } }, false, 'Waiting for jobs to finish'],
    ['a Job complete', { kind: 'Job', metadata: { name: 'j' }, spec: { completions: 2 }, status: { succeeded: 2 } }, true, undefined],
    ['a Service', { kind: 'Service', metadata: { name: 's' } }, true, undefined],
    ['a ConfigMap', { kind: 'ConfigMap', metadata: { name: 'c' } }, true, undefined],
    ['a custom resource', { kind: 'VirtualService', metadata: { name: 'v' } }, true, undefined],
    ['a StatefulSet not ready', { kind: 'StatefulSet', metadata: { name: 's', generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 2, readyReplicas: 1 } }, false, 'Waiting for all updated replicas to be ready'],
    ['a DaemonSet ready', { kind: 'DaemonSet', metadata: { name: 'd', generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2, numberReady: 2 } }, true, undefined],
  ])('%s', (_, object, stable, message) => {
    const status = manifestStatus(object);
    expect(status.stable).toBe(stable);
    expect(status.failed).toBe(false);
    expect(status.message).toBe(message);
  });

  it('fails a Deployment past its progress deadline', () => {
    const status = manifestStatus(deployment({ ...rolledOut, updatedReplicas: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "x-1" has timed out progressing.' }] }));
    expect(status).toMatchObject({ stable: false, failed: true, message: 'Deployment exceeded its progress deadline: ReplicaSet "x-1" has timed out progressing.' });
  });

  it('reports a paused Deployment', () => {
    const status = manifestStatus(deployment({ ...rolledOut, conditions: [{ type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused' }] }));
    expect(status).toMatchObject({ stable: false, failed: false, paused: true, message: 'Deployment is paused' });
  });

  it('fails a Job with a Failed condition', () => {
    const status = manifestStatus({ kind: 'Job', metadata: { name: 'j' }, status: { failed: 3, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] } });
    expect(status).toMatchObject({ stable: false, failed: true, message: 'Job failed: Job has reached the specified backoff limit' });
  });

  it('renders the status as clouddriver\'s JSON', () => {
    expect(statusJson(manifestStatus(rs({ ...ready, readyReplicas: 1 })))).toEqual({
      stable: { state: false, message: 'Waiting for all replicas to be ready' },
      failed: { state: false },
      paused: { state: false },
      available: { state: true },
    });
  });
});
