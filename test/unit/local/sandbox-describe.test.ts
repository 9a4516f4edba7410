/** `gennaker sandbox describe`: the simulator's snapshot as resources by kind, and as lines. */
import { describe, expect, it } from 'vitest';
import { describeLines, describeSnapshot } from '../../../local/sandbox/describe.ts';

const snapshot = {
  now: '2026-12-07T10:00:00.000Z',
  services: {
    autoscaling: {
      autoScalingGroups: [
        { name: 'web-prod-v000', min: 0, max: 0, desired: 0, suspendedProcesses: ['Launch', 'Terminate', 'AddToLoadBalancer'], instances: [{ lifecycleState: 'Terminating' }] },
        { name: 'web-prod-v001', min: 2, max: 4, desired: 2, suspendedProcesses: [], instances: [{ lifecycleState: 'InService' }, { lifecycleState: 'InService' }] },
      ],
    },
    elasticloadbalancing: { targetGroups: [{ name: 'web-tg', port: 80, targets: [{ state: 'healthy' }, { state: 'healthy' }, { state: 'draining' }] }] },
    ecs: { services: [{ name: 'api-prod-v002', cluster: 'main', status: 'ACTIVE', desiredCount: 3, runningCount: 2, pendingCount: 1, deployments: [{ status: 'PRIMARY', rolloutState: 'IN_PROGRESS' }] }] },
    lambda: { functions: [{ name: 'hello-api', state: 'Active', versions: ['$LATEST', '1', '2'], aliases: [{ name: 'live', functionVersion: '1', additionalVersionWeights: { '2': 0.1 } }] }] },
  },
};

describe('the sandbox description', () => {
  it('reads every kind from the snapshot: disabled groups by their suspended AddToLoadBalancer, states counted', () => {
    const description = describeSnapshot(snapshot);
    expect(description.autoScalingGroups).toEqual([
      { name: 'web-prod-v000', min: 0, max: 0, desired: 0, disabled: true, instances: { Terminating: 1 } },
      { name: 'web-prod-v001', min: 2, max: 4, desired: 2, disabled: false, instances: { InService: 2 } },
    ]);
    expect(description.targetGroups).toEqual([{ name: 'web-tg', port: 80, targets: { healthy: 2, draining: 1 } }]);
    expect(description.services).toEqual([{ name: 'api-prod-v002', cluster: 'main', desired: 3, running: 2, pending: 1, status: 'ACTIVE', deployments: ['PRIMARY IN_PROGRESS'] }]);
    expect(description.functions).toEqual([{ name: 'hello-api', state: 'Active', versions: ['1', '2'], aliases: [{ name: 'live', version: '1', weights: { '2': 0.1 } }] }]);
  });

  it('prints one resource a line under a heading per kind, weights as percentages', () => {
    expect(describeLines(describeSnapshot(snapshot))).toEqual([
      'simulated AWS at 2026-12-07T10:00:00.000Z',
      '',
      'Auto Scaling groups',
      '  web-prod-v000  0/0/0 (min/max/desired)  disabled  instances: 1 Terminating',
      '  web-prod-v001  2/4/2 (min/max/desired)  instances: 2 InService',
      '',
      'target groups',
      '  web-tg:80  targets: 2 healthy, 1 draining',
      '',
      'ECS services',
      '  main/api-prod-v002  ACTIVE  desired 3, running 2, pending 1  deployments: PRIMARY IN_PROGRESS',
      '',
      'Lambda functions',
      '  hello-api  Active  versions: 1, 2  aliases: live → 1 + 10% → 2',
    ]);
  });

  it('says the region of each group once the simulator holds several', () => {
    const regional = {
      now: snapshot.now,
      services: {
        autoscaling: { autoScalingGroups: [{ region: 'us-west-2', name: 'web-prod-v000', min: 1, max: 1, desired: 1, suspendedProcesses: [], instances: [{ lifecycleState: 'InService' }] }] },
        elasticloadbalancing: { targetGroups: [{ region: 'eu-west-1', name: 'web-tg', port: 80, targets: [] }] },
      },
    };
    const description = describeSnapshot(regional);
    expect([description.autoScalingGroups[0]!.region, description.targetGroups[0]!.region]).toEqual(['us-west-2', 'eu-west-1']);
    expect(describeLines(description)).toContain('  web-prod-v000  1/1/1 (min/max/desired)  instances: 1 InService  in us-west-2');
    expect(describeLines(description)).toContain('  web-tg:80  targets: none  in eu-west-1');
  });

  it('adds the simulated Compute Engine: groups with their instances by status, backend services with what receives traffic, target pools', () => {
    const gce = {
      now: '2026-12-07T10:00:00.000Z',
      templates: [],
      managedInstanceGroups: [
        {
          project: 'sandbox-gce',
          name: 'web-prod-v001',
          location: 'zones/us-central1-b',
          template: 'web-prod-v001-12345678',
          targetSize: 2,
          isStable: false,
          targetPools: [],
          autoscaler: { name: 'web-prod-v001', mode: 'ON', min: 2, max: 4 },
          instances: [
            { name: 'web-prod-v001-ab12', zone: 'us-central1-b', status: 'RUNNING', template: 't', ip: '10.128.0.2' },
            { name: 'web-prod-v001-cd34', zone: 'us-central1-b', status: 'STAGING', template: 't', ip: '10.128.0.3' },
          ],
        },
      ],
      backendServices: [
        {
          project: 'sandbox-gce',
          name: 'web-bs',
          location: 'global',
          fingerprint: 'abc=',
          backends: [{ group: 'https://www.googleapis.com/compute/v1/projects/sandbox-gce/zones/us-central1-b/instanceGroups/web-prod-v001', capacityScaler: 1, balancingMode: 'UTILIZATION' }],
          health: [],
          receivingTraffic: ['web-prod-v001-ab12'],
        },
      ],
      targetPools: [{ project: 'sandbox-gce', name: 'web-nlb', region: 'us-central1', instances: [] }],
      operationsInFlight: 0,
    };
    expect(describeLines({ ...describeSnapshot({ now: 'T', services: {} }), gce }).slice(3)).toEqual([
      '',
      'simulated Compute Engine at 2026-12-07T10:00:00.000Z',
      '',
      'managed instance groups',
      '  sandbox-gce/zones/us-central1-b/web-prod-v001  size 2 (changing)  instances: 1 RUNNING, 1 STAGING  autoscaler ON 2-4',
      '',
      'backend services',
      '  sandbox-gce/web-bs  backends: web-prod-v001  receiving traffic: 1',
      '',
      'target pools',
      '  sandbox-gce/us-central1/web-nlb  instances: 0',
    ]);
  });

  it('says when nothing is deployed, and reads a snapshot missing services as empty', () => {
    expect(describeLines(describeSnapshot({ now: 'T', services: {} }))).toEqual(['simulated AWS at T', '', 'nothing deployed yet']);
  });
});
