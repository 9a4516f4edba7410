/**
 * AMIs for `findImageFromTags` and `findImage` (adapters/targets/aws-ec2/image-store.ts) and for a
 * deploy that names its image (`amiName`), read with DescribeImages from the AWS simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2ImageStore } from '../../adapters/targets/aws-ec2/image-store.ts';
import type { ArtifactStore } from '../../core/ports/artifact-store.ts';
import { REGION, startEc2World, type Ec2World } from '../support/aws-ec2-world.ts';

let world: Ec2World;
let store: ArtifactStore;
let stable: string;
let candidate: string;

beforeAll(async () => {
  world = await startEc2World();
  store = createEc2ImageStore({ ec2: world.clients.ec2, region: REGION });
  stable = world.sim.seed.ec2.image({ name: 'hello-1.1.0-h7.def5678', tags: { appversion: 'hello-1.1.0-h7.def5678/hello-build/7', Release: 'Stable' }, creationDate: '2025-12-10T00:00:00.000Z' }).imageId;
  candidate = world.sim.seed.ec2.image({ name: 'hello-1.2.0-h9.0a1b2c3', tags: { appversion: 'hello-1.2.0-h9.0a1b2c3/hello-build/9', release: 'candidate' }, creationDate: '2025-12-20T00:00:00.000Z' }).imageId;
  world.sim.seed.ec2.image({ name: 'goodbye-3.0.0', tags: { release: 'stable' }, creationDate: '2025-12-30T00:00:00.000Z' });
});

afterAll(async () => {
  await world.close();
});

describe('the AMI image store', () => {
  it('finds the images of a package newest first, matching the name anywhere as clouddriver does', async () => {
    const found = await store.findImages({ packageName: 'hello' });
    expect(found.map((image) => image.imageName)).toEqual(['hello-1.2.0-h9.0a1b2c3', 'hello-1.1.0-h7.def5678', world.imageName]);
    expect(found[0]).toMatchObject({ imageId: candidate, package: 'hello', version: '1.2.0', location: REGION, artifact: { type: 'aws/image', reference: candidate, name: 'hello-1.2.0-h9.0a1b2c3', version: '1.2.0' } });
  });

  it('keeps only images carrying every tag, comparing keys and values without case', async () => {
    const found = await store.findImages({ packageName: 'hello', tags: { release: 'stable' } });
    expect(found.map((image) => image.imageId)).toEqual([stable]);
    expect(await store.findImages({ packageName: 'hello-1.*', tags: { RELEASE: '*' } })).toHaveLength(2);
  });

  it('gets one image by id or by name, and nothing for an id or name that does not exist', async () => {
    expect((await store.getImage(stable))?.imageName).toBe('hello-1.1.0-h7.def5678');
    expect((await store.getImage('hello-1.2.0-h9.0a1b2c3'))?.imageId).toBe(candidate);
    expect(await store.getImage('ami-0123456789abcdef0')).toBeUndefined();
    expect(await store.getImage('no-such-image')).toBeUndefined();
  });

  it('answers unsupported to a bake: AMIs are baked elsewhere', async () => {
    expect(await store.bake({ package: 'hello', source: { type: 'directory', reference: '.' } })).toMatchObject({ ok: false, reason: 'unsupported' });
  });
});

describe('a deploy that names its AMI', () => {
  it('runs the newest image of that name, and says which in describe', async () => {
    // given
    const target = world.target();
    const cluster = { account: 'sandbox', location: REGION, cluster: 'named-prod' };
    // when
    const created = await target.serverGroups.create({ ...cluster, name: 'named-prod-v001', owner: 'e1/s1/create', capacity: { min: 1, max: 1, desired: 1 }, provider: { ...world.provider, securityGroups: ['hello-web'], amiName: 'hello-1.1.0-h7.def5678' } });
    // then
    expect(created).toEqual({ ok: true, outcome: 'done' });
    const described = await target.serverGroups.describeCluster(cluster);
    expect(described.ok && described.cluster.serverGroups[0]?.artifact).toEqual({ type: 'aws/image', reference: stable, name: 'hello-1.1.0-h7.def5678' });
  });

  it('fails in one line naming amiName when no image has that name, and creates nothing', async () => {
    const target = world.target();
    const cluster = { account: 'sandbox', location: REGION, cluster: 'unnamed-prod' };
    const created = await target.serverGroups.create({ ...cluster, name: 'unnamed-prod-v001', owner: 'e1/s1/create', capacity: { min: 1, max: 1, desired: 1 }, provider: { ...world.provider, amiName: 'hello-9.9.9' } });
    expect(created).toMatchObject({ ok: false, reason: 'invalid', message: 'provider field amiName is "hello-9.9.9"; no image of that name exists in us-east-1; bake it, share it with the account, or fix the name' });
    const described = await target.serverGroups.describeCluster(cluster);
    expect(described.ok && described.cluster.serverGroups).toEqual([]);
  });

  it('fails in one line naming imageId when no image has that id (AWS answers InvalidAMIID.NotFound), and creates nothing', async () => {
    const target = world.target();
    const cluster = { account: 'sandbox', location: REGION, cluster: 'noid-prod' };
    const created = await target.serverGroups.create({ ...cluster, name: 'noid-prod-v001', owner: 'e1/s1/create', capacity: { min: 1, max: 1, desired: 1 }, provider: { ...world.provider, imageId: 'ami-0123456789abcdef0' } });
    expect(created).toMatchObject({ ok: false, reason: 'invalid', message: 'provider field imageId is "ami-0123456789abcdef0"; no image of that id exists in us-east-1; bake it, share it with the account, or fix the id' });
    expect(world.sim.calls({ action: 'DescribeImages' }).at(-1)?.errorCode).toBe('InvalidAMIID.NotFound');
    const described = await target.serverGroups.describeCluster(cluster);
    expect(described.ok && described.cluster.serverGroups).toEqual([]);
  });
});
