/**
 * What `--sandbox` seeds on GCE: the world Spinnaker's own Google pipelines (the conformance
 * corpus) assume, read from their JSON, and nothing left to an expression.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assumedGceWorld, zoneOf } from '../../../local/sandbox/gce-world.ts';
import { CONFORMANCE_CORPUS } from '../../support/conformance.ts';

const google = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_google-pipelineConfigs.json'), 'utf8')) as unknown[];

describe('the GCE world a pipeline assumes', () => {
  it("reads Spinnaker's Google pipelines: both accounts and their regions, the default networks, the network load balancer, and the clusters stages act on without deploying first", () => {
    const world = assumedGceWorld(google);
    expect(world.accounts).toEqual([
      { name: 'gce', regions: ['us-central1'] },
      { name: 'my-gce-account', regions: ['us-east4'] },
    ]);
    expect(world.networks).toEqual([
      { account: 'gce', name: 'default', subnets: [] },
      { account: 'my-gce-account', name: 'default', subnets: [] },
    ]);
    // `loadBalancers: ["bakery-test"]` with no backend services: a network load balancer, served by a target pool.
    expect(world.loadBalancers).toEqual([{ account: 'my-gce-account', region: 'us-east4', name: 'bakery-test', kind: 'target-pool', backendServices: [], portName: 'http' }]);
    // resize, findImage and clone act on `compute`; the bake+deploy disables the ancestor of `bakery-test`.
    expect(world.serving.map(({ entry: _entry, ...group }) => group)).toEqual([
      { account: 'gce', region: 'us-central1', application: 'compute', zone: 'us-central1-c', capacity: { min: 0, max: 1, desired: 1 } },
      { account: 'my-gce-account', region: 'us-east4', application: 'bakery', stack: 'test', zone: 'us-east4-b', capacity: { min: 1, max: 1, desired: 1 } },
    ]);
    expect(world.clusters).toEqual([
      { account: 'gce', region: 'us-central1', application: 'compute' },
      { account: 'my-gce-account', region: 'us-east4', application: 'bakery', stack: 'test' },
    ]);
    expect(world.images).toEqual([]);
  });

  it('reads backend services, named images, subnets and autohealing health checks of a load-balanced deploy; a red/black assumes a serving group', () => {
    const entry = {
      provider: 'gce', account: 'prod', application: 'web', stack: 'main', region: 'europe-west4', zone: 'europe-west4-b', strategy: 'redblack',
      capacity: { min: 2, max: 4, desired: 3 }, image: 'web-1-2-0', imageSource: 'name', network: 'prod-net', subnet: 'prod-eu',
      loadBalancers: ['web-https'], backendServices: { 'web-https': ['web-bs'] }, loadBalancingPolicy: { namedPorts: [{ name: 'www', port: 8080 }] },
      autoHealingPolicy: { healthCheck: 'web-hc', initialDelaySec: 60 },
    };
    const world = assumedGceWorld([{ name: 'p', stages: [{ type: 'deploy', refId: '1', clusters: [entry] }] }]);
    expect(world.images).toEqual([{ account: 'prod', name: 'web-1-2-0' }]);
    expect(world.networks).toEqual([{ account: 'prod', name: 'prod-net', subnets: [{ region: 'europe-west4', name: 'prod-eu' }] }]);
    expect(world.loadBalancers).toEqual([{ account: 'prod', name: 'web-https', kind: 'backend-service', backendServices: ['web-bs'], portName: 'www' }]);
    expect(world.healthChecks).toEqual([{ account: 'prod', name: 'web-hc' }]);
    expect(world.serving.map(({ entry: _entry, ...group }) => group)).toEqual([
      { account: 'prod', region: 'europe-west4', application: 'web', stack: 'main', zone: 'europe-west4-b', capacity: { min: 2, max: 4, desired: 3 } },
    ]);
  });

  it('seeds nothing a run decides: an image or account given by an expression stays unknown; parameters are resolved first', () => {
    const stage = (account: string, image: string) => ({ type: 'deploy', refId: '1', clusters: [{ provider: 'gce', account, application: 'web', region: 'us-central1', image }] });
    const world = assumedGceWorld([{ name: 'p', parameterConfig: [{ name: 'img', default: 'web-7' }], stages: [stage('prod', '${parameters.img}'), stage('${trigger.account}', '${#stage("bake").image}')] }]);
    expect(world.accounts).toEqual([{ name: 'prod', regions: ['us-central1'] }]);
    expect(world.images).toEqual([{ account: 'prod', name: 'web-7' }]);
  });

  it("picks a zonal group's zone from the entry, else the region's first zone", () => {
    expect(zoneOf({ zone: 'us-east4-c' }, 'us-east4')).toBe('us-east4-c');
    expect(zoneOf({ availabilityZones: { 'us-east4': ['us-east4-b'] } }, 'us-east4')).toBe('us-east4-b');
    expect(zoneOf({ zone: 'europe-west1-b' }, 'us-east4')).toBe('us-east4-a');
  });
});
