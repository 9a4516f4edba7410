/**
 * The aws-ecs target (adapters/targets/aws-ecs/ecs-target.ts) on both port contracts, through
 * the real SDK clients against the AWS simulator (sandbox/aws): ECS, Application Auto Scaling,
 * ELBv2 and EC2 keep state as AWS does, and `eventually` moves the simulator's clock instead of
 * waiting. Spinnaker's ECS model shows in the options: disabling scales a service to 0.
 */
import type { ArtifactReference } from '../../core/ports/server-groups.ts';
import { ACCOUNT, REGION, startEcsWorld } from '../support/aws-ecs-world.ts';
import { serverGroupPortContract } from './server-group-port.contract.ts';
import type { TargetPortsFixture } from './target-ports.fixture.ts';
import { trafficPortContract } from './traffic-port.contract.ts';

/** How far `eventually` moves the simulator's clock per try, and how far at most. */
const STEP_MS = 5_000;
const LIMIT_MS = 15 * 60_000;

const image: ArtifactReference = { type: 'docker/image', reference: '123456789012.dkr.ecr.us-west-2.amazonaws.com/contract:1.0.0', name: 'contract', version: '1.0.0' };

function ecsFixture(): () => Promise<TargetPortsFixture> {
  return async () => {
    // One SDK attempt per call, so an injected throttle reaches the port as `unavailable`.
    const world = await startEcsWorld({ maxAttempts: 1 });
    const { dockerImageAddress: _address, ...provider } = world.provider();
    return {
      target: world.target,
      account: ACCOUNT,
      location: REGION,
      artifact: image,
      provider,
      invalidProvider: { provider: { computeUnits: 'lots' }, field: 'computeUnits' },
      // The source's grace period is 5 s (world.provider()); the clone's is overridden.
      cloneOverride: { provider: { healthCheckGracePeriodSeconds: 30 }, shown: (group) => group.launchConfig?.healthCheckGracePeriodSeconds, expected: 30 },
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
      // A disable drains for the target group's deregistration delay: there is no request to hold.
      occupy: async () => ({ finish: async () => {} }),
      throttleNext: (n) => world.sim.inject({ error: 'Throttling', times: n }),
      dispose: () => world.close(),
    };
  };
}

serverGroupPortContract('aws-ecs (AWS simulator)', ecsFixture(), { throttles: true, disableScalesToZero: true, clones: true });
trafficPortContract('aws-ecs (AWS simulator)', ecsFixture(), { throttles: true, disableScalesToZero: true });
