/**
 * The GCE cluster's provider fields (adapters/targets/gce/config.ts): Spinnaker's cluster JSON (the
 * Deck fixture of reference/cloud-targets.md §5.1) parses as it is, each bad field is refused in
 * one line naming the field, the value and the fix, and what the target cannot do yet is
 * `unsupported`, never dropped. The save-time check (cluster-check.ts) reports every bad field.
 */
import { describe, expect, it } from 'vitest';
import { checkGceClusterEntry } from '../../../../adapters/targets/gce/cluster-check.ts';
import { parseGceClusterConfig } from '../../../../adapters/targets/gce/config.ts';
import { CLUSTER_FIELD_CHECKS } from '../../../../adapters/targets/cluster-checks.ts';

/** The deploy cluster of Deck's Google pipelines fixture, verbatim. */
const deckCluster = {
  account: 'gce',
  application: 'compute',
  cloudProvider: 'gce',
  provider: 'gce',
  stack: '',
  freeFormDetails: '',
  strategy: '',
  region: 'us-central1',
  zone: 'us-central1-c',
  regional: false,
  selectZones: false,
  availabilityZones: { 'us-central1': ['us-central1-c'] },
  distributionPolicy: { zones: [] },
  capacity: { desired: 0, max: 0, min: 0 },
  targetSize: 0,
  instanceType: 'n1-standard-1',
  minCpuPlatform: '',
  disks: [{ sizeGb: 10, type: 'pd-ssd' }],
  imageSource: 'artifact',
  imageArtifactId: 'cd50818c-9334-4aa2-b1c3-0d7d4c0c87a7',
  network: 'default',
  subnet: '',
  associatePublicIpAddress: false,
  canIpForward: false,
  loadBalancers: [],
  backendServiceMetadata: [],
  disableTraffic: false,
  serviceAccountEmail: 'default',
  authScopes: ['cloud.useraccounts.readonly', 'devstorage.read_only', 'logging.write', 'monitoring.write'],
  preemptible: false,
  automaticRestart: true,
  onHostMaintenance: 'MIGRATE',
  instanceMetadata: {},
  labels: {},
  tags: [],
};

const lbCluster = {
  ...deckCluster,
  imageSource: 'priorStage',
  imageArtifactId: undefined,
  image: 'compute-1-2-0-h12',
  loadBalancers: ['my-https-lb'],
  backendServices: { 'my-https-lb': ['my-bs'] },
  loadBalancingPolicy: { balancingMode: 'UTILIZATION', maxUtilization: 0.8, capacityScaler: 1, namedPorts: [{ name: 'http', port: 80 }] },
  autoHealingPolicy: { healthCheck: 'my-hc', initialDelaySec: 300, maxUnavailable: { fixed: 1 } },
  autoscalingPolicy: { minNumReplicas: 1, maxNumReplicas: 5, coolDownPeriodSec: 60, cpuUtilization: { utilizationTarget: 0.6 } },
};

const parse = (fields: Record<string, unknown>, region = 'us-central1') => parseGceClusterConfig(fields, region);
const failure = (fields: Record<string, unknown>, region = 'us-central1') => {
  const parsed = parse(fields, region);
  if (parsed.ok) throw new Error(`expected a refusal of ${JSON.stringify(fields)}`);
  return parsed;
};

describe('the GCE provider fields', () => {
  it("parses Deck's cluster entry as it is, scopes as URLs and blank fields absent", () => {
    expect(parse(deckCluster)).toEqual({
      ok: true,
      config: {
        zone: 'us-central1-c',
        regional: false,
        zones: [],
        selectZones: false,
        instanceType: 'n1-standard-1',
        disks: [{ type: 'pd-ssd', sizeGb: 10, autoDelete: true }],
        imageFromArtifact: true,
        network: 'default',
        associatePublicIpAddress: false,
        canIpForward: false,
        loadBalancers: [],
        backendServices: {},
        disableTraffic: false,
        serviceAccountEmail: 'default',
        authScopes: [
          'https://www.googleapis.com/auth/cloud.useraccounts.readonly',
          'https://www.googleapis.com/auth/devstorage.read_only',
          'https://www.googleapis.com/auth/logging.write',
          'https://www.googleapis.com/auth/monitoring.write',
        ],
        preemptible: false,
        automaticRestart: true,
        onHostMaintenance: 'MIGRATE',
        instanceMetadata: {},
        labels: {},
        tags: [],
      },
    });
  });

  it('parses a load-balanced cluster: backend services, policy, auto-healing and autoscaling', () => {
    const parsed = parse(lbCluster);
    expect(parsed).toMatchObject({
      ok: true,
      config: {
        image: 'compute-1-2-0-h12',
        imageFromArtifact: false,
        loadBalancers: ['my-https-lb'],
        backendServices: { 'my-https-lb': ['my-bs'] },
        loadBalancingPolicy: { balancingMode: 'UTILIZATION', maxUtilization: 0.8, capacityScaler: 1, namedPorts: [{ name: 'http', port: 80 }] },
        autoHealingPolicy: { healthCheck: 'my-hc', initialDelaySec: 300 },
        autoscalingPolicy: { minNumReplicas: 1, maxNumReplicas: 5, coolDownPeriodSec: 60, cpuUtilization: { utilizationTarget: 0.6 } },
      },
    });
  });

  it("reads the backend services Deck folds into instanceMetadata['backend-service-names'], and never copies Spinnaker's own keys", () => {
    const parsed = parse({ ...deckCluster, loadBalancers: ['web-lb'], instanceMetadata: { 'backend-service-names': 'web-bs,api-bs', 'global-load-balancer-names': 'web-lb', 'startup-script': 'echo hi' } });
    expect(parsed).toMatchObject({ ok: true, config: { backendServices: { 'web-lb': ['web-bs', 'api-bs'] }, instanceMetadata: { 'startup-script': 'echo hi' } } });
    if (parsed.ok) expect(Object.keys(parsed.config.instanceMetadata)).toEqual(['startup-script']);
  });

  it('parses a regional group over the zones of its distribution policy', () => {
    const parsed = parse({ ...deckCluster, regional: true, zone: '', distributionPolicy: { zones: ['us-central1-a', 'us-central1-b'], targetShape: 'EVEN' } });
    expect(parsed).toMatchObject({ ok: true, config: { regional: true, zones: ['us-central1-a', 'us-central1-b'], targetShape: 'EVEN' } });
    if (parsed.ok) expect(parsed.config.zone).toBeUndefined();
  });

  it('takes the zone from availabilityZones when zone is blank, as Deck writes both', () => {
    expect(parse({ ...deckCluster, zone: '' })).toMatchObject({ ok: true, config: { zone: 'us-central1-c' } });
  });

  it('forces a preemptible instance to terminate on maintenance and not restart, and refuses the opposite', () => {
    expect(parse({ ...deckCluster, preemptible: true, automaticRestart: undefined, onHostMaintenance: undefined })).toMatchObject({ ok: true, config: { preemptible: true, automaticRestart: false, onHostMaintenance: 'TERMINATE' } });
    expect(failure({ ...deckCluster, preemptible: true }).message).toBe('provider field automaticRestart is true; a preemptible instance cannot restart automatically; set automaticRestart to false or preemptible to false');
  });

  it.each([
    [{ instanceType: 42 }, 'provider field instanceType is 42; set a machine type, e.g. "n1-standard-1" or "e2-medium"'],
    [{ instanceType: undefined }, 'provider field instanceType is missing; set a machine type, e.g. "n1-standard-1" or "e2-medium"'],
    [{ zone: 'us-central1' }, 'provider field zone is "us-central1"; set a zone of the region, e.g. "us-central1-c"'],
    [{ zone: 'europe-west1-b' }, 'provider field zone is "europe-west1-b"; zone europe-west1-b is not in region us-central1; deploy to a zone of us-central1, or to region europe-west1'],
    [{ zone: '', availabilityZones: {} }, 'provider field zone is missing; set the zone of the server group, e.g. "us-central1-c", or set regional to true'],
    [{ disks: [{ type: 'pd-ssd', sizeGb: -1 }] }, 'provider field disks[0].sizeGb is -1; set the size in GB, e.g. 10'],
    [{ disks: [{ type: 'local-ssd', sizeGb: 375 }] }, 'provider field disks[0].type is "local-ssd"; the first disk boots the instance and cannot be a local SSD; make it "pd-ssd" or "pd-standard"'],
    [{ network: 'Bad_Network' }, 'provider field network is "Bad_Network"; set the network\'s name, e.g. "default", or its URL'],
    [{ onHostMaintenance: 'REBOOT' }, 'provider field onHostMaintenance is "REBOOT"; set "MIGRATE" or "TERMINATE"'],
    [{ labels: { 'spinnaker-region': 'x' } }, 'provider field labels.spinnaker-region is "x"; label keys starting with "spinnaker-" are written by the deploy (Spinnaker\'s moniker labels); rename the label'],
    [{ labels: { team: 'Web Team' } }, 'provider field labels.team is "Web Team"; label values hold at most 63 lower-case letters, digits, "-" or "_"'],
    [{ imageArtifactId: '' }, 'provider field imageArtifactId is missing; imageSource is "artifact": set the id of the expected artifact that holds the image, or set imageSource to "priorStage"'],
    [{ loadBalancingPolicy: { balancingMode: 'FASTEST' } }, 'provider field loadBalancingPolicy.balancingMode is "FASTEST"; set one of UTILIZATION, RATE, CONNECTION'],
    [{ loadBalancingPolicy: { balancingMode: 'RATE' } }, 'provider field loadBalancingPolicy.maxRatePerInstance is missing; balancingMode RATE needs maxRatePerInstance, e.g. 100'],
    [{ loadBalancingPolicy: { capacityScaler: 2 } }, 'provider field loadBalancingPolicy.capacityScaler is 2; set the share of capacity in use from 0 to 1, e.g. 1'],
    [{ backendServices: { 'other-lb': ['bs'] } }, 'provider field backendServices.other-lb is ["bs"]; load balancer other-lb is not in loadBalancers; add it there or remove it here'],
    [{ autoHealingPolicy: { initialDelaySec: 10 } }, 'provider field autoHealingPolicy.healthCheck is missing; set the health check\'s name, e.g. "hello-hc", or its URL'],
    [{ regional: true, zone: '', distributionPolicy: { zones: ['us-east1-b'] } }, 'provider field distributionPolicy.zones is ["us-east1-b"]; zone us-east1-b is not in region us-central1; list zones of us-central1'],
    [{ serviceAccountEmail: 'not an email' }, 'provider field serviceAccountEmail is "not an email"; set the service account, e.g. "default" or "app@my-project.iam.gserviceaccount.com"'],
  ])('refuses %j in one line naming the field, the value and the fix', (fields, message) => {
    expect(failure({ ...deckCluster, ...fields })).toEqual({ ok: false, reason: 'invalid', message });
  });

  it('refuses what it cannot do yet as unsupported: internal load balancers', () => {
    expect(failure({ ...deckCluster, instanceMetadata: { 'region-backend-service-names': 'ilb-bs' } })).toMatchObject({ reason: 'unsupported', message: expect.stringContaining('internal load balancers (regional backend services) are not supported yet') });
  });
});

describe('the save-time check of a GCE cluster entry', () => {
  it('is registered for the gce cloud provider', () => {
    expect(CLUSTER_FIELD_CHECKS['gce']).toBe(checkGceClusterEntry);
  });

  it('reports every bad field at once, with paths, and nothing for a good entry', () => {
    expect(checkGceClusterEntry(deckCluster, { regions: ['us-central1'], upstreamImage: 'no' })).toEqual([]);
    const issues = checkGceClusterEntry({ ...deckCluster, instanceType: 7, onHostMaintenance: 'REBOOT' }, { regions: ['us-central1'], upstreamImage: 'no' });
    expect(issues.map((issue) => [issue.path, issue.code, issue.severity])).toEqual([
      [['instanceType'], 'invalid-value', 'error'],
      [['onHostMaintenance'], 'invalid-value', 'error'],
    ]);
  });

  it('leaves out fields that hold an expression', () => {
    expect(checkGceClusterEntry({ ...deckCluster, instanceType: '${trigger.parameters.type}', zone: '${zone}' }, { regions: ['us-central1'], upstreamImage: 'no' })).toEqual([]);
  });

  it('says when no image can reach the deploy: an error when nothing upstream bakes or finds one, a warning when something may', () => {
    const bare = { ...deckCluster, imageSource: undefined, imageArtifactId: undefined };
    expect(checkGceClusterEntry(bare, { regions: ['us-central1'], upstreamImage: 'no' })).toMatchObject([{ path: ['image'], code: 'required', severity: 'error' }]);
    expect(checkGceClusterEntry(bare, { regions: ['us-central1'], upstreamImage: 'maybe' })).toMatchObject([{ path: ['image'], severity: 'warning' }]);
    expect(checkGceClusterEntry(bare, { regions: ['us-central1'], upstreamImage: 'yes' })).toEqual([]);
    expect(checkGceClusterEntry({ ...bare, image: 'compute-1-2-0' }, { regions: ['us-central1'], upstreamImage: 'no' })).toEqual([]);
  });
});
