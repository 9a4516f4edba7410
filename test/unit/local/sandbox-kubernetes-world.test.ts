/**
 * What `--sandbox` seeds into the simulated Kubernetes: the accounts, namespaces and Services the
 * conformance pipelines assume, and the earlier version a dynamic `second_newest` stage acts on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assumedKubernetesWorld } from '../../../local/sandbox/kubernetes-world.ts';
import { CONFORMANCE_CORPUS } from '../../support/conformance.ts';

const pipelineFile = (name: string): unknown => JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, name), 'utf8'));

describe('the Kubernetes world a pipeline assumes', () => {
  it('reads the blue/green pipeline: its account and namespace, the Service its annotation names, and a previous ReplicaSet for second_newest', () => {
    const world = assumedKubernetesWorld([pipelineFile('spinnaker_spinnaker_pipeline.json')], { hellotag: 'v2' });
    expect(world.accounts).toEqual([{ name: 'my-kubernetes-account', namespaces: ['default'] }]);
    expect(world.services).toEqual([{ account: 'my-kubernetes-account', namespace: 'default', name: 'hellosvc', port: 6000 }]);
    expect(world.previousVersions).toHaveLength(1);
    const previous = world.previousVersions[0]!;
    expect(previous.services).toEqual(['service hellosvc']);
    expect(previous.moniker).toEqual({ app: 'helloworld' });
    // Parameters are resolved: the run's value over the default.
    expect(JSON.stringify(previous.manifest)).toContain('helloworld:v2');
  });

  it('seeds no Service the pipeline deploys itself, and no previous version without a stage that needs one', () => {
    const pipeline = {
      application: 'web',
      stages: [
        {
          type: 'deployManifest',
          account: 'k8s',
          source: 'text',
          namespaceOverride: 'staging',
          manifests: [
            { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { frontedBy: 'web' } } },
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', annotations: { 'traffic.spinnaker.io/load-balancers': '["service web"]' } }, spec: {} },
          ],
        },
        { type: 'deleteManifest', account: 'k8s', location: 'jobs', manifestName: 'job smoke' },
      ],
    };
    const world = assumedKubernetesWorld([pipeline]);
    expect(world.accounts).toEqual([{ name: 'k8s', namespaces: ['jobs', 'staging'] }]);
    expect(world.services).toEqual([]);
    expect(world.previousVersions).toEqual([]);
  });

  it('leaves what an expression names to the run', () => {
    const pipeline = { stages: [{ type: 'scaleManifest', account: '${trigger.parameters.account}', location: 'default' }] };
    expect(assumedKubernetesWorld([pipeline]).accounts).toEqual([]);
  });
});
