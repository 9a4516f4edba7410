/**
 * Where an application's clusters are (core/deploy/known-clusters.ts): from its pipelines'
 * deploy and cluster stages, and from the server groups its executions created.
 */
import { describe, expect, it } from 'vitest';
import { clustersOfExecutionStages, clustersOfPipeline, placesOfApplication } from '../../../core/deploy/known-clusters.ts';

describe('known clusters', () => {
  it("reads deploy entries (availabilityZones, regions, region) and cluster stages, skipping what still holds an expression", () => {
    const places = clustersOfPipeline({
      application: 'shop',
      stages: [
        {
          type: 'deploy',
          clusters: [
            { account: 'prod', stack: 'web', availabilityZones: { 'us-east-1': [], 'eu-west-1': [] } },
            { credentials: 'staging', application: 'shop', stack: 'api', freeFormDetails: 'canary', regions: ['us-west-2'] },
            { account: 'prod', stack: '${parameters.stack}', region: 'us-east-1' },
            { account: '${parameters.account}', stack: 'web', region: 'us-east-1' },
          ],
        },
        { type: 'disableCluster', credentials: 'prod', cluster: 'shop-worker', regions: ['us-east-1'] },
        { type: 'resizeServerGroup', credentials: 'prod', serverGroupName: 'shop-batch-v003', region: 'us-east-1' },
        { type: 'wait', waitTime: 5 },
      ],
    });

    expect(places).toEqual([
      { account: 'prod', location: 'us-east-1', cluster: 'shop-web' },
      { account: 'prod', location: 'eu-west-1', cluster: 'shop-web' },
      { account: 'staging', location: 'us-west-2', cluster: 'shop-api-canary' },
      { account: 'prod', location: 'us-east-1', cluster: 'shop-worker' },
      { account: 'prod', location: 'us-east-1', cluster: 'shop-batch' },
    ]);
  });

  it("reads the server groups executions created (deploy.server.groups), and keeps the application's own clusters once each", () => {
    const created = clustersOfExecutionStages([
      { context: { 'deploy.account.name': 'prod', 'deploy.server.groups': { 'us-east-1': ['shop-web-v001', 'other-web-v002'] } }, outputs: {} },
      { context: {}, outputs: { 'deploy.account.name': 'prod', 'deploy.server.groups': { 'us-east-1': ['shop-web-v002'] } } },
      { context: { 'deploy.server.groups': { 'us-east-1': ['shop-web-v003'] } }, outputs: {} },
    ]);

    expect(placesOfApplication('SHOP', created)).toEqual([{ account: 'prod', location: 'us-east-1', cluster: 'shop-web' }]);
  });
});
