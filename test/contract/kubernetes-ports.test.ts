/**
 * The kubernetes target (adapters/targets/kubernetes/kubernetes-target.ts) on both port contracts,
 * through real client-node over real HTTP against the Kubernetes simulator (sandbox/kubernetes):
 * server groups are ReplicaSets, instances their pods, traffic the `frontedBy` selector of one
 * Service carried on each ReplicaSet's template and pods. `eventually` moves the simulator's clock
 * instead of waiting; throttles are the simulator's injected 429s.
 */
import type { ArtifactReference } from '../../core/ports/server-groups.ts';
import { startKubernetesWorld } from '../support/kubernetes-world.ts';
import { serverGroupPortContract } from './server-group-port.contract.ts';
import type { TargetPortsFixture } from './target-ports.fixture.ts';
import { trafficPortContract } from './traffic-port.contract.ts';

/** How far `eventually` moves the simulator's clock per try, and how far at most. */
const STEP_MS = 1_000;
const LIMIT_MS = 10 * 60_000;

const image: ArtifactReference = { type: 'docker/image', reference: 'registry.example/contract:1.0.0', name: 'registry.example/contract', version: '1.0.0' };

function kubernetesFixture(): () => Promise<TargetPortsFixture> {
  return async () => {
    const world = await startKubernetesWorld();
    // The Service every contract cluster routes through: a fixed selector, as Spinnaker's model wants.
    world.sim.seed([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'contract', namespace: 'default' }, spec: { selector: { frontedBy: 'contract' }, ports: [{ port: 80, targetPort: 8080 }] } }]);
    return {
      target: world.target,
      account: 'k8s',
      location: 'default',
      artifact: image,
      provider: { loadBalancers: ['service contract'], containerPort: 8080 },
      invalidProvider: { provider: { containerPort: 'lots' }, field: 'containerPort' },
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
      // A pod leaves the Service's endpoints when its labels change: there is no drain to hold.
      occupy: async () => ({ finish: async () => {} }),
      throttleNext: (n) => world.sim.failNext(n, { status: 429, reason: 'TooManyRequests', message: 'the server has received too many requests and has asked us to try again later' }),
      dispose: () => world.close(),
    };
  };
}

serverGroupPortContract('kubernetes (Kubernetes simulator)', kubernetesFixture(), { throttles: true });
trafficPortContract('kubernetes (Kubernetes simulator)', kubernetesFixture(), { throttles: true });
