/**
 * A Kubernetes account on the cloud path, in-process: the account map as the CDK context gives it
 * (an EKS cluster, its endpoint from an inline kubeconfig, its role and namespaces), a pipeline
 * saved and started through the API function, run by the stage runner through the Kubernetes
 * target it loads on demand, against the Kubernetes simulator; the EKS tokens are signed with the
 * session of the account's role, assumed from the AWS simulator's STS with the external id and a
 * session naming the execution. A manifest in S3 is read through an s3 artifact account of
 * `ARTIFACT_ACCOUNTS`, as the role it names, from the AWS simulator's S3.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsSimulator, type AwsSimulator } from '../../sandbox/aws/server.ts';
import { startKubernetesSimulator, type KubernetesSimulator } from '../../sandbox/kubernetes/server.ts';
import { startCloud, type Cloud } from '../support/aws-cloud.ts';

const ROLE = 'arn:aws:iam::210987654321:role/gennaker-deployer';
const EXTERNAL_ID = 'k8s-prod';
const STAGE_RUNNER_KEY = 'AKIDSTAGERUNNER';
const ARTIFACT_ROLE = 'arn:aws:iam::210987654321:role/artifact-reader';

describe('a Kubernetes account on the cloud path', () => {
  let aws: AwsSimulator;
  let sim: KubernetesSimulator;
  let cloud: Cloud;

  beforeAll(async () => {
    aws = await startAwsSimulator({ seed: 9 });
    aws.seed.sts.role({ arn: ROLE, externalId: EXTERNAL_ID });
    aws.seed.sts.role({ arn: ARTIFACT_ROLE });
    aws.seed.s3.bucket({ name: 'acme-manifests', allowedRoles: [ARTIFACT_ROLE] });
    aws.seed.s3.object({ bucket: 'acme-manifests', key: 'web/config.yaml', content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  greeting: hello from s3\n' });
    sim = await startKubernetesSimulator({ podReadyAfterMs: 1000 });
    sim.seed([
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'web-v000', namespace: 'web', labels: { app: 'web' } },
        spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } } },
      },
    ]);
    sim.tick(5_000);
    // What `aws eks update-kubeconfig --dry-run` prints, reduced to the endpoint (the simulator speaks plain HTTP) and an exec user that is never run.
    const kubeconfig = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'prod', cluster: { server: sim.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'prod', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws', args: ['eks', 'get-token', '--cluster-name', 'prod'] } } }],
      contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'prod' } }],
      'current-context': 'prod',
    });
    cloud = await startCloud({
      accounts: JSON.stringify({
        'prod-eks': { cloudProvider: 'kubernetes', assumeRole: ROLE, externalId: EXTERNAL_ID, eks: { clusterName: 'prod', region: 'us-east-1' }, kubeconfig, namespaces: ['web'] },
      }),
      clock: { now: () => aws.now() },
      aws: { clients: { endpoint: aws.endpoint, maxAttempts: 2 }, callerCredentials: { accessKeyId: STAGE_RUNNER_KEY, secretAccessKey: 'sandbox' } },
      artifactAccounts: JSON.stringify([{ name: 'manifests', type: 's3', buckets: ['acme-manifests'], assumeRole: ARTIFACT_ROLE }]),
      artifacts: { endpoint: aws.endpoint, credentials: { accessKeyId: STAGE_RUNNER_KEY, secretAccessKey: 'sandbox' } },
    });
  });

  afterAll(async () => {
    await cloud?.close();
    await sim?.close();
    await aws?.close();
  });

  it('scales a ReplicaSet in the EKS cluster as the account role, in the namespace the account defaults to', async () => {
    // given
    const saved = await cloud.call('POST', '/pipelines', {
      application: 'web',
      name: 'scale-web',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'scaleManifest', name: 'Scale', account: 'prod-eks', cloudProvider: 'kubernetes', manifestName: 'replicaSet web-v000', replicas: 2 }],
    });
    expect(saved.status).toBe(200);
    const firstCall = sim.calls().length;

    // when
    const started = await cloud.call('POST', '/pipelines/web/scale-web', {});
    expect(started.status).toBe(202);
    const executionId = String(started.json.ref).split('/').pop()!;
    await cloud.settled();

    // then
    const shown = await cloud.call('GET', `/pipelines/${executionId}`);
    expect(shown.json.stages[0].context.exception ?? null).toBeNull();
    expect(shown.json).toMatchObject({ status: 'SUCCEEDED' });
    expect(sim.describe().namespaces.find((namespace) => namespace.name === 'web')!.workloads.find((workload) => workload.name === 'web-v000')!.replicas).toBe(2);
    expect(sim.calls().slice(firstCall).filter((call) => call.method === 'PATCH').map((call) => call.path)).toEqual(['/apis/apps/v1/namespaces/web/replicasets/web-v000/scale']);
    const assumed = aws.events({ kind: 'role.assumed' });
    expect(assumed.map((event) => [event.detail['roleArn'], event.detail['sessionName'], event.detail['externalId']])).toEqual([[ROLE, `gennaker-${executionId}`, EXTERNAL_ID]]);
    expect(aws.calls({ service: 'sts', action: 'AssumeRole' }).map((call) => call.accessKeyId)).toEqual([STAGE_RUNNER_KEY]);
  }, 60_000);

  it('refuses a pipeline naming a namespace the account may not use when it runs, calling nothing', async () => {
    // given
    await cloud.call('POST', '/pipelines', {
      application: 'web',
      name: 'scale-jobs',
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'scaleManifest', name: 'Scale', account: 'prod-eks', location: 'jobs', manifestName: 'replicaSet web-v000', replicas: 1 }],
    });
    const firstCall = sim.calls().length;

    // when
    const started = await cloud.call('POST', '/pipelines/web/scale-jobs', {});
    const executionId = String(started.json.ref).split('/').pop()!;
    await cloud.settled();

    // then
    const shown = await cloud.call('GET', `/pipelines/${executionId}`);
    expect(shown.json.status).toBe('TERMINAL');
    expect(JSON.stringify(shown.json.stages[0].context)).toContain("location is 'jobs', a namespace account 'prod-eks' may not use (its namespaces: web)");
    expect(sim.calls().length).toBe(firstCall);
  }, 60_000);

  it('deploys a manifest read from S3 through the s3 artifact account, as the role it names', async () => {
    // given: a deploy whose manifest is an s3/object, the default of its expected artifact
    const uri = 's3://acme-manifests/web/config.yaml';
    await cloud.call('POST', '/pipelines', {
      application: 'web',
      name: 'config-from-s3',
      expectedArtifacts: [{ id: 'config', matchArtifact: { type: 's3/object', name: uri }, useDefaultArtifact: true, defaultArtifact: { type: 's3/object', name: uri, reference: uri, artifactAccount: 'manifests' } }],
      stages: [{ refId: '1', requisiteStageRefIds: [], type: 'deployManifest', name: 'Deploy', account: 'prod-eks', cloudProvider: 'kubernetes', source: 'artifact', manifestArtifactId: 'config', moniker: { app: 'web' } }],
    });

    // when
    const started = await cloud.call('POST', '/pipelines/web/config-from-s3', {});
    const executionId = String(started.json.ref).split('/').pop()!;
    await cloud.settled();

    // then: applied in the account's namespace, read by a session of the artifact role named after the execution
    const shown = await cloud.call('GET', `/pipelines/${executionId}`);
    expect(shown.json.stages[0].context.exception ?? null).toBeNull();
    expect(shown.json.status).toBe('SUCCEEDED');
    expect(sim.calls().some((call) => call.method === 'POST' && call.path === '/api/v1/namespaces/web/configmaps')).toBe(true);
    expect(aws.events({ kind: 'role.assumed' }).filter((event) => event.detail['roleArn'] === ARTIFACT_ROLE).map((event) => event.detail['sessionName'])).toEqual([`gennaker-${executionId}`]);
    expect(aws.calls({ service: 's3', action: 'GetObject' }).map((call) => call.status)).toEqual([200]);
  }, 60_000);
});
