/**
 * A deployManifest pipeline run end to end: compiled to ASL, run on the local engine, every Task
 * bound to the real stage runner over dynalite, against the Kubernetes simulator through the real
 * Kubernetes target. The manifests' expressions are evaluated at stage start (the image tag from a
 * parameter), or left as written with `skipExpressionEvaluation`; the conformance file's
 * deployManifest stage deploys as Spinnaker would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDynamoDbExecutionStore } from '../../adapters/dynamodb/dynamodb-execution-store.ts';
import type { ExecutionStore, JsonObject } from '../../core/ports/execution-store.ts';
import type { KubernetesObject } from '../../core/ports/manifests.ts';
import { CONFORMANCE_CORPUS } from '../support/conformance.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';
import { createKubernetesTarget } from '../../adapters/targets/kubernetes/kubernetes-target.ts';
import { createKubernetesManifests } from '../../adapters/targets/kubernetes/manifest-port.ts';
import type { Target } from '../../core/ports/target.ts';
import { connectTo, startKubernetesWorld, type KubernetesWorld } from '../support/kubernetes-world.ts';
import { createLocalRun, type LocalRun } from '../support/local-run.ts';

let dynalite: Dynalite;
let store: ExecutionStore;
let world: KubernetesWorld;
let run: LocalRun;

beforeAll(async () => {
  dynalite = await startDynalite();
  world = await startKubernetesWorld();
  // The conformance pipeline's own account name, on the same cluster.
  const connection = connectTo(world.sim.url, 'my-kubernetes-account');
  const spinnakerAccount: Target = createKubernetesTarget({ connection, manifests: createKubernetesManifests({ accounts: [connection] }) });
  store = createDynamoDbExecutionStore({ client: dynalite.client, tableName: dynalite.tableName, clock: { now: () => world.sim.now() } });
  run = createLocalRun({
    store,
    clock: { now: () => world.sim.now(), advance: (ms: number) => void world.sim.tick(ms) },
    targets: ({ account }) => (account === 'k8s' ? world.target : account === 'my-kubernetes-account' ? spinnakerAccount : undefined),
  });
  world.sim.seed([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'hellosvc', namespace: 'default' }, spec: { selector: { frontedBy: 'hellosvc' }, ports: [{ port: 80 }] } }]);
});

afterAll(async () => {
  await world?.close();
  await dynalite?.stop();
});

async function replicaSet(name: string): Promise<KubernetesObject | undefined> {
  const found = await world.manifests.get({ account: 'k8s', namespace: 'default', kind: 'ReplicaSet', name });
  if (!found.ok) throw new Error(found.message);
  return found.value;
}

const manifest = (annotations: Record<string, string>): JsonObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'api', annotations },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'api' } },
    template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'nginx:${ parameters.tag }' }] } },
  },
});

it('evaluates the manifests at stage start, or leaves them as written with skipExpressionEvaluation', async () => {
  // when
  const finished = await run.run(
    {
      id: 'manifests',
      application: 'hello',
      name: 'manifests',
      parameterConfig: [{ name: 'tag', default: '1.25' }],
      stages: [
        { refId: '1', name: 'Deploy', type: 'deployManifest', account: 'k8s', source: 'text', moniker: { app: 'hello' }, manifests: [manifest({ note: 'built ${ parameters.tag }' })] },
        {
          refId: '2',
          requisiteStageRefIds: ['1'],
          name: 'Deploy raw',
          type: 'deployManifest',
          account: 'k8s',
          source: 'text',
          skipExpressionEvaluation: true,
          moniker: { app: 'hello', cluster: 'replicaSet api-raw' },
          manifests: [{ ...manifest({ note: 'built ${ parameters.tag }' }), metadata: { name: 'api-raw', annotations: { note: 'built ${ parameters.tag }' } }, spec: { ...(manifest({})['spec'] as JsonObject), template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'nginx:1.25' }] } } } }],
        },
      ],
    },
    { parameters: { tag: '1.27' } },
  );
  // then
  expect(finished.statuses).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED' });
  const evaluated = await replicaSet('api-v000');
  expect(JSON.stringify(evaluated?.['spec'])).toContain('"image":"nginx:1.27"');
  expect((evaluated?.['metadata'] as { annotations: Record<string, string> }).annotations['note']).toBe('built 1.27');
  const raw = await replicaSet('api-raw-v000');
  expect((raw?.['metadata'] as { annotations: Record<string, string> }).annotations['note']).toBe('built ${ parameters.tag }');
  const deploy = finished.execution.stages.find((stage) => stage.refId === '1');
  expect(deploy?.outputs['outputs.manifestNamesByNamespace']).toEqual({ default: ['replicaSet api-v000'] });
});

it("runs the conformance pipeline's deployManifest stage as Spinnaker would: helloworld-v000 behind hellosvc", async () => {
  const config = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_pipeline.json'), 'utf8')) as { stages: JsonObject[] } & JsonObject;
  const finished = await run.run({ ...config, id: 'bluegreen', stages: [config.stages[0]!] }, { parameters: { hellotag: 'v1' } });
  expect(finished.execution.stages[0]?.context['exception']).toBeUndefined();
  expect(finished.statuses).toEqual({ '1': 'SUCCEEDED' });
  const rs = await replicaSet('helloworld-v000');
  expect((rs?.['spec'] as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels).toMatchObject({ app: 'helloworld', tier: 'helloworld', frontedBy: 'hellosvc' });
  expect(JSON.stringify(rs?.['spec'])).toContain('us-docker.pkg.dev/spinnaker-community/codelabs/helloworld:v1');
});
