/**
 * Images: the pure query rules of the image store port, and the local store itself on a
 * temporary directory (a directory and a git repository baked, reused, refused), driven through
 * the bake stage's steps.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalArtifactStore } from '../../../adapters/targets/local/artifact-store.ts';
import { bakeArtifact } from '../../../adapters/targets/local/artifacts.ts';
import { parsePipeline, type BakeStage } from '../../../core/pipeline/index.ts';
import { imageNameOf, selectImages, type ArtifactStore, type Image } from '../../../core/ports/artifact-store.ts';
import type { Execution, JsonObject, StageRecord } from '../../../core/ports/execution-store.ts';
import { runBakeTask } from '../../../core/stages/bake.ts';
import type { TaskInput } from '../../../core/stages/task-result.ts';

/** These stages never save a plan mid-task; a call would be a bug. */
const refuseSave: TaskInput['saveRuntime'] = async () => {
  throw new Error('this stage saves no runtime mid-task');
};

function image(imageName: string, createdTime: number, tags: Record<string, string> = {}): Image {
  const [pkg, version] = imageName.split('-');
  const artifact = { type: 'directory', reference: `/images/${imageName}` };
  return { imageId: `img-${imageName}`, imageName, package: pkg!, version: version!, contentHash: 'abc', tags, createdTime, location: artifact.reference, artifact, source: artifact };
}

describe('image queries', () => {
  const images = [image('hello-1', 100, { release: 'stable' }), image('hello-2', 300, { release: 'candidate', team: 'a' }), image('help-1', 200, { release: 'candidate' }), image('other-1', 400, { release: 'candidate' })];

  it.each([
    ['every image, newest first', {}, ['other-1', 'hello-2', 'help-1', 'hello-1']],
    ['a package', { packageName: 'hello' }, ['hello-2', 'hello-1']],
    ['a package pattern', { packageName: 'hel*' }, ['hello-2', 'help-1', 'hello-1']],
    ['tags, all of them', { packageName: 'hel*', tags: { release: 'candidate', team: 'a' } }, ['hello-2']],
    ['a tag that only has to be there', { tags: { team: '*' } }, ['hello-2']],
    ['a version', { packageName: 'hello', version: '1' }, ['hello-1']],
    ['an image by name or id', { image: 'img-help-1' }, ['help-1']],
    ['nothing', { packageName: 'hello', tags: { release: 'gone' } }, []],
  ])('selects %s', (_case, query, expected) => {
    expect(selectImages(images, query).map((found) => found.imageName)).toEqual(expected);
  });

  it('names an image after its package, version and content', () => {
    expect(imageNameOf('hello', '1.2.0', '9bec5224aa11bb22')).toBe('hello-1.2.0-9bec5224');
    expect(imageNameOf('hello', '9bec5224aa11bb22', '9bec5224aa11bb22')).toBe('hello-9bec5224aa11bb22');
  });
});

let scratch: string;
let store: ArtifactStore;
let clock = 1_000;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'gennaker-bake-'));
  store = createLocalArtifactStore({ dir: join(scratch, 'images'), now: () => (clock += 1_000) });
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function source(name: string, files: Record<string, string>): string {
  const dir = join(scratch, 'sources', name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

function input(fields: JsonObject, task: string, runtime: JsonObject = {}): TaskInput<BakeStage> {
  const parsed = parsePipeline({ application: 'hello', name: 'p', stages: [{ refId: '1', type: 'bake', name: 'Bake', ...fields }] });
  if (!parsed.pipeline) throw new Error(JSON.stringify(parsed.issues));
  const record: StageRecord = { id: '1', refId: '1', type: 'bake', name: 'Bake', requisiteStageRefIds: [], status: 'RUNNING', context: fields, outputs: {}, runtime, awaitingCallback: false, revision: 1, lastModified: 0 };
  // The bake steps read neither the execution nor expressions.
  return { stage: parsed.pipeline.stages[0] as BakeStage, record, execution: {} as Execution, task, now: 0, poll: 1, expressions: {} as TaskInput['expressions'], saveRuntime: refuseSave };
}

/** Both bake steps, as the runner would run them: the second sees what the first kept. */
async function bake(fields: JsonObject) {
  const created = await runBakeTask(input(fields, 'createBake'), { artifacts: store });
  if (created.kind !== 'succeeded') return created;
  return runBakeTask(input({ ...fields, ...created.context }, 'monitorBake', created.runtime), { artifacts: store });
}

describe('the local image store through the bake stage', () => {
  it('bakes a directory into a read-only image whose artifact the local deploy target accepts as it is', async () => {
    // given
    const dir = source('service', { 'server.js': 'console.log(1)', 'package.json': '{}' });
    // when
    const result = await bake({ package: 'hello', artifact: { type: 'directory', reference: dir, version: '1.0.0' }, tags: { release: 'candidate' }, regions: ['east', 'west'] });
    // then
    expect(result.kind).toBe('succeeded');
    const outputs = (result as { outputs: JsonObject }).outputs;
    expect(outputs.imageName).toMatch(/^hello-1\.0\.0-[0-9a-f]{8}$/);
    expect((outputs.deploymentDetails as JsonObject[]).map((detail) => detail.region)).toEqual(['east', 'west']);
    expect(outputs.previouslyBaked).toBe(false);
    const baked = await store.getImage(String(outputs.imageName));
    expect(baked?.tags).toEqual({ release: 'candidate', appversion: 'hello-1.0.0' });
    expect(readFileSync(join(baked!.location, 'server.js'), 'utf8')).toBe('console.log(1)');
    expect(statSync(join(baked!.location, 'server.js')).mode & 0o222).toBe(0);
    // the deploy target's own bake of the image's artifact: same name, version and content
    const redeployed = await bakeArtifact(join(scratch, 'target'), baked!.artifact);
    expect(redeployed).toMatchObject({ ok: true, name: 'hello', version: '1.0.0', contentHash: baked!.contentHash });
  });

  it('answers the image already baked for the same content (previouslyBaked), and a rebake records it anew', async () => {
    const dir = source('again', { 'a.txt': 'same' });
    const fields = { package: 'again', artifact: { type: 'directory', reference: dir, version: '1.0.0' } };
    const first = (await bake(fields)) as { outputs: JsonObject };
    const second = (await bake(fields)) as { outputs: JsonObject };
    const rebaked = (await bake({ ...fields, rebake: true, tags: { note: 'rebuilt' } })) as { outputs: JsonObject };
    expect(second.outputs).toMatchObject({ imageId: first.outputs.imageId, previouslyBaked: true });
    expect(rebaked.outputs).toMatchObject({ imageId: first.outputs.imageId, previouslyBaked: false });
    expect((await store.getImage(String(first.outputs.imageId)))?.tags).toEqual({ note: 'rebuilt', appversion: 'again-1.0.0' });
  });

  it('fails to bake the same package and version again with other content: images are immutable', async () => {
    const dir = source('mutable', { 'a.txt': 'one' });
    const fields = { package: 'mutable', artifact: { type: 'directory', reference: dir, version: '1.0.0' } };
    expect((await bake(fields)).kind).toBe('succeeded');
    writeFileSync(join(dir, 'a.txt'), 'two');
    expect(await bake(fields)).toEqual({
      kind: 'failed',
      message: "stage 'Bake': the bake failed: artifact mutable version 1.0.0 was already baked with other content; baked artifacts are immutable, give a new version",
    });
  });

  it('bakes a git ref, versioned by its commit', async () => {
    // given
    const repo = source('repo', { 'index.js': 'v1' });
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
    git('init', '-q');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'empty');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'v1');
    const commit = git('rev-parse', 'HEAD').slice(0, 12);
    // when
    const result = (await bake({ package: 'fromgit', artifact: { type: 'git', reference: repo, version: 'HEAD' } })) as { outputs: JsonObject };
    // then
    expect(result.outputs.artifact).toMatchObject({ name: 'fromgit', version: commit });
  });

  it.each([
    ['no package', { artifact: { type: 'directory', reference: '/x' } }, "stage 'Bake': package is undefined; set it to the image's package name, e.g. \"hello\""],
    ['no artifact', { package: 'hello' }, "stage 'Bake': artifact is undefined; set what to bake, e.g."],
    ['a directory that does not exist', { package: 'hello', artifact: { type: 'directory', reference: '/nonexistent/gennaker' } }, "stage 'Bake': the bake failed: artifact directory /nonexistent/gennaker does not exist"],
    ['an artifact type the store cannot bake', { package: 'hello', artifact: { type: 'docker/image', reference: 'nginx' } }, "stage 'Bake': the bake failed: artifact type 'docker/image' cannot be baked locally; use one of directory, git"],
    ['a package name with a slash', { package: 'a/b', artifact: { type: 'directory', reference: '/x' } }, "stage 'Bake': the bake failed: package 'a/b' may hold only letters"],
    ['another cloud provider', { package: 'hello', cloudProviderType: 'aws' }, 'stage \'Bake\': cloudProviderType "aws" is not supported yet: Gennaker bakes images with cloudProviderType "local" only'],
  ])('fails with %s, saying what to fix', async (_case, fields, message) => {
    expect(await bake(fields)).toEqual({ kind: 'failed', message: expect.stringContaining(message) });
  });
});
