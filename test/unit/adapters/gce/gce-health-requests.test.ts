/**
 * The pure parts of the gce target: instance health as clouddriver reads it (health.ts), and the
 * request bodies' names, labels and metadata as clouddriver writes them (requests.ts).
 */
import { describe, expect, it } from 'vitest';
import { instanceHealth, loadBalancerHealth, platformHealth } from '../../../../adapters/targets/gce/health.ts';
import { isTemplateOf, membershipOf, metadataItems, ownerDescription, ownerOf, resourcePath, sameResource, spinnakerLabels, templateNameFor } from '../../../../adapters/targets/gce/requests.ts';

describe('GCE instance health', () => {
  it.each([
    ['PROVISIONING', 'CREATING', 'Starting'],
    ['STAGING', 'NONE', 'Starting'],
    ['RUNNING', 'NONE', 'Unknown'],
    ['RUNNING', 'VERIFYING', 'Starting'],
    ['RUNNING', 'DELETING', 'Down'],
    ['STOPPING', 'NONE', 'Down'],
    ['TERMINATED', 'NONE', 'Down'],
    [undefined, 'CREATING', 'Starting'],
  ])('reads instanceStatus %s with currentAction %s as %s', (status, action, expected) => {
    expect(platformHealth(status, action)).toBe(expected);
  });

  it('reads a load balancer: HEALTHY Up, not reported yet Starting, anything else Down', () => {
    expect(['HEALTHY', undefined, 'UNHEALTHY', 'UNKNOWN'].map(loadBalancerHealth)).toEqual(['Up', 'Starting', 'Down', 'Down']);
  });

  it('is Up only when the platform runs it and every load balancer it is in says HEALTHY; in none, the platform decides', () => {
    expect(instanceHealth('Unknown', [])).toBe('Up');
    expect(instanceHealth('Unknown', ['Up', 'Up'])).toBe('Up');
    expect(instanceHealth('Unknown', ['Up', 'Down'])).toBe('Down');
    expect(instanceHealth('Unknown', ['Starting'])).toBe('Starting');
    expect(instanceHealth('Starting', ['Up'])).toBe('Starting');
    expect(instanceHealth('Down', [])).toBe('Down');
  });
});

describe('GCE request bodies', () => {
  it("names the template after the server group and the last 8 digits of the time, as clouddriver does", () => {
    expect(templateNameFor('hello-prod-v003', 1_767_225_601_234)).toBe('hello-prod-v003-25601234');
    expect(templateNameFor('hello-v000', 5)).toBe('hello-v000-00000005');
    expect(isTemplateOf('hello-prod-v003', 'hello-prod-v003-25601234')).toBe(true);
    expect(isTemplateOf('hello-prod-v003', 'hello-prod-v003-2560123')).toBe(false);
    expect(isTemplateOf('hello-prod', 'hello-prod-v003-25601234')).toBe(false);
  });

  it("writes GoogleLabeledResourceNamer's labels, lower case, present moniker parts only", () => {
    expect(spinnakerLabels('us-central1', 'Hello--canary-v012')).toEqual({
      'spinnaker-region': 'us-central1',
      'spinnaker-server-group': 'hello--canary-v012',
      'spinnaker-moniker-application': 'hello',
      'spinnaker-moniker-cluster': 'hello--canary',
      'spinnaker-moniker-detail': 'canary',
      'spinnaker-moniker-sequence': '12',
    });
  });

  it("writes GCEUtil's metadata keys only where they apply, and reads them back", () => {
    const items = metadataItems(
      { instanceMetadata: { a: 'b' }, regional: true, selectZones: true },
      { regional: ['nlb'], global: ['web-lb'], backendServices: ['web-bs', 'api-bs'] },
      { balancingMode: 'RATE', maxRatePerInstance: 100, capacityScaler: 1, namedPorts: [{ name: 'http', port: 8080 }] },
      { minNumReplicas: 1, maxNumReplicas: 2, mode: 'ONLY_SCALE_OUT' },
    );
    expect(items).toEqual([
      { key: 'a', value: 'b' },
      { key: 'load-balancer-names', value: 'nlb' },
      { key: 'global-load-balancer-names', value: 'web-lb' },
      { key: 'backend-service-names', value: 'web-bs,api-bs' },
      { key: 'load-balancing-policy', value: '{"balancingMode":"RATE","maxRatePerInstance":100,"capacityScaler":1,"namedPorts":[{"name":"http","port":8080}]}' },
      { key: 'select-zones', value: 'true' },
      { key: 'autoscaling-policy', value: '{"minNumReplicas":1,"maxNumReplicas":2,"mode":"ONLY_SCALE_OUT"}' },
    ]);
    expect(membershipOf({ properties: { metadata: { items } } })).toEqual({
      regional: ['nlb'],
      global: ['web-lb'],
      backendServices: ['web-bs', 'api-bs'],
      policy: { balancingMode: 'RATE', maxRatePerInstance: 100, capacityScaler: 1, namedPorts: [{ name: 'http', port: 8080 }] },
      autoscaling: { minNumReplicas: 1, maxNumReplicas: 2, mode: 'ONLY_SCALE_OUT' },
    });
    expect(metadataItems({ instanceMetadata: {}, regional: false, selectZones: false }, { regional: [], global: [], backendServices: [] }, undefined, undefined)).toEqual([]);
  });

  it('keeps the owner token in a description, hashing one too long for it', () => {
    expect(ownerOf(ownerDescription('exec/stage/create'))).toBe('exec/stage/create');
    expect(ownerOf(ownerDescription('x'.repeat(2000)))).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ownerOf('made by hand')).toBeUndefined();
  });

  it('compares resource URLs of either host', () => {
    expect(resourcePath('https://www.googleapis.com/compute/v1/projects/p/zones/z/instances/i')).toBe('projects/p/zones/z/instances/i');
    expect(sameResource('https://www.googleapis.com/compute/v1/projects/p/zones/z/instances/i', 'https://compute.googleapis.com/compute/v1/projects/p/zones/z/instances/i')).toBe(true);
    expect(sameResource('projects/p/zones/z/instances/i', 'projects/p/zones/z/instances/j')).toBe(false);
  });
});
