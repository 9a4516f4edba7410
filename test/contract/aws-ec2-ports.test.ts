/**
 * The aws-ec2 target (adapters/targets/aws-ec2/ec2-target.ts) on the AWS simulator: both port
 * contracts through the real SDK clients, in Spinnaker's mode (instances registered in a shared
 * target group, no weights) and in weighted mode (a target group of its own per server group,
 * listener weights). The fixture's `eventually` moves the simulator's clock, never the wall clock;
 * throttles are the simulator's own, answered on every SDK attempt so the port sees them.
 */
import type { CreateServerGroupRequest } from '../../core/ports/server-groups.ts';
import type { Target } from '../../core/ports/target.ts';
import { SDK_ATTEMPTS, startEc2World, type Ec2World } from '../support/aws-ec2-world.ts';
import { serverGroupPortContract } from './server-group-port.contract.ts';
import type { TargetPortsFixture } from './target-ports.fixture.ts';
import { trafficPortContract } from './traffic-port.contract.ts';

/** How far `eventually` moves the simulated clock per try, and how far at most. */
const STEP_MS = 5_000;
const LIMIT_MS = 30 * 60_000;

/**
 * Weighted mode wants a listener and a pool of target groups per cluster, and the contract gives
 * every cluster the same provider fields: this target seeds them for each new cluster and adds
 * them to the create's provider fields (the request's own fields win, so a bad one still shows).
 */
function perClusterWeighted(world: Ec2World, target: Target): Target {
  const provided = new Map<string, Record<string, unknown>>();
  const fieldsFor = (cluster: string) => {
    let fields = provided.get(cluster);
    if (!fields) {
      const short = cluster.replace(/[^a-zA-Z0-9]/g, '').slice(-20);
      const shared = `${short}-s`;
      const pool = [1, 2, 3, 4].map((n) => `${short}-p${n}`);
      for (const name of [shared, ...pool]) world.targetGroup(name);
      const listenerArn = world.loadBalancer(`${short}-alb`, [shared]);
      fields = { targetGroups: [shared], weightedTraffic: { listenerArn, targetGroups: pool } };
      provided.set(cluster, fields);
    }
    return fields;
  };
  return {
    ...target,
    serverGroups: {
      ...target.serverGroups,
      create: (request: CreateServerGroupRequest) => target.serverGroups.create({ ...request, provider: { ...fieldsFor(request.cluster), ...request.provider } }),
    },
  };
}

function ec2Fixture(weighted: boolean): () => Promise<TargetPortsFixture> {
  return async () => {
    const world = await startEc2World();
    const target = weighted ? perClusterWeighted(world, world.target({ weightedTraffic: true })) : world.target();
    const { targetGroups: _shared, ...common } = world.provider;
    return {
      target,
      account: 'sandbox',
      location: 'us-east-1',
      artifact: { type: 'aws/image', reference: world.imageId, name: world.imageName },
      provider: weighted ? common : world.provider,
      invalidProvider: { provider: { instanceType: 42 }, field: 'instanceType' },
      // The source's health check type is ELB (world.provider); the clone's is overridden.
      cloneOverride: { provider: { healthCheckType: 'EC2' }, shown: (group) => group.launchConfig?.healthCheckType, expected: 'EC2' },
      async eventually(check) {
        for (let waited = 0; ; waited += STEP_MS) {
          try {
            return await check();
          } catch (error) {
            if (waited >= LIMIT_MS) throw error;
            world.sim.tick(STEP_MS);
          }
        }
      },
      // Drains here last the target group's deregistration delay: there is no request to hold.
      occupy: async () => ({ finish: async () => {} }),
      // Every port operation reads the group (or the cluster) first: throttling that read, on
      // every attempt the SDK makes, changes nothing and answers unavailable.
      throttleNext: (n) => world.sim.inject({ service: 'autoscaling', action: 'DescribeAutoScalingGroups', error: 'Throttling', times: n * SDK_ATTEMPTS }),
      dispose: () => world.close(),
    };
  };
}

serverGroupPortContract('aws-ec2 on the AWS simulator', ec2Fixture(false), { throttles: true, clones: true });
trafficPortContract('aws-ec2 on the AWS simulator', ec2Fixture(false), { throttles: true });
serverGroupPortContract('aws-ec2 on the AWS simulator, weighted mode', ec2Fixture(true), { throttles: true, clones: true });
trafficPortContract('aws-ec2 on the AWS simulator, weighted mode', ec2Fixture(true), { throttles: true });
