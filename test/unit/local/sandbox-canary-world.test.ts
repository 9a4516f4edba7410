/**
 * What `--sandbox` reads a Kubernetes canary pipeline to assume (local/sandbox/kubernetes-canary-world.ts):
 * the metrics accounts and canary configs its kayentaCanary stages name, and a stand-in only for a
 * pipeline that findArtifactFromExecution needs Kubernetes objects from and that is not given.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assumedCanaryWorld, sandboxCanaryConfig } from '../../../local/sandbox/kubernetes-canary-world.ts';
import { renderPrometheusQuery } from '../../../core/metrics/prometheus.ts';
import { parseCanaryConfig } from '../../../core/canary/config.ts';
import { CONFORMANCE_CORPUS } from '../../support/conformance.ts';

const codelab = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_automated-canary-1-10.json'), 'utf8')) as Record<string, unknown>;

describe('assumedCanaryWorld', () => {
  it('reads the codelab pipeline: its metrics account, its canary config by id, and a stand-in deploying the ConfigMap the baseline reads', () => {
    const world = assumedCanaryWorld([codelab], { successRate: '10' });
    expect(world.metricsAccounts).toEqual([{ name: 'kayenta-tutorial' }]);
    expect(world.canaryConfigs).toEqual([{ id: 'CANARY_CONFIG_ID', application: 'sampleapp', scopesHaveLocations: true }]);
    expect(world.standIns).toHaveLength(1);
    const [standIn] = world.standIns;
    // Production runs healthy whatever the canary's parameter; the stand-in takes what the `pipeline` stage passes.
    expect(standIn!.parameters).toEqual({ successRate: '100' });
    expect(standIn!.config).toMatchObject({
      id: 'SIMPLE_DEPLOY_PIPELINE_ID',
      application: 'sampleapp',
      parameterConfig: [{ name: 'successRate', default: '100' }],
      stages: [
        {
          type: 'deployManifest',
          account: 'my-kubernetes-account',
          manifests: [{ kind: 'ConfigMap', metadata: { name: 'sampleapp-config-prod', namespace: 'default' }, data: { SUCCESS_RATE: '${ parameters.successRate }' } }],
        },
      ],
    });
  });

  it('stands in for nothing the run is given, and seeds no config a stage gives inline', () => {
    const production = { id: 'SIMPLE_DEPLOY_PIPELINE_ID', application: 'sampleapp', name: 'Simple deploy', stages: [] };
    const stages = (codelab['stages'] as Array<Record<string, unknown>>).map((stage) =>
      stage['type'] === 'kayentaCanary' ? { ...stage, canaryConfig: { ...(stage['canaryConfig'] as object), config: { metrics: [] } } } : stage,
    );
    const world = assumedCanaryWorld([{ ...codelab, stages }, production]);
    expect(world.standIns).toEqual([]);
    expect(world.canaryConfigs).toEqual([]);
  });

  it('writes a valid canary config whose queries select the pods of the scope\'s workload in its namespace', () => {
    const config = sandboxCanaryConfig({ id: 'CANARY_CONFIG_ID', application: 'sampleapp', scopesHaveLocations: true });
    expect(parseCanaryConfig(config).config).toBeDefined();
    const metric = (config['metrics'] as Array<{ name: string; query: { type: 'prometheus'; customFilterTemplate: string } }>)[0]!;
    const rendered = renderPrometheusQuery(metric.query, { scope: 'sampleapp-canary', location: 'default', start: 0, end: 60_000, stepSeconds: 60 }, metric.name, config['templates'] as Record<string, string>);
    expect(rendered).toEqual({
      ok: true,
      text: 'sum(rate(http_requests_total{namespace="default",pod=~"sampleapp-canary(-[a-z0-9]+)?-[a-z0-9]{5}",code=~"5.."}[1m])) / sum(rate(http_requests_total{namespace="default",pod=~"sampleapp-canary(-[a-z0-9]+)?-[a-z0-9]{5}"}[1m]))',
    });
    // A Deployment's pod, a ReplicaSet's pod; not a pod of a workload whose name only starts with the scope.
    const pods = new RegExp('^(?:sampleapp-canary(-[a-z0-9]+)?-[a-z0-9]{5})$');
    expect(['sampleapp-canary-7f9c4d8b6b-x2k9p', 'sampleapp-canary-x2k9p'].every((pod) => pods.test(pod))).toBe(true);
    expect(pods.test('sampleapp-canary-next-7f9c4d8b6b-x2k9p')).toBe(false);
  });
});
