/**
 * findImageFromTags over the local image store on a temporary directory: the newest image of a
 * package with every tag wins, and a miss says what images there are.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalArtifactStore } from '../../../adapters/targets/local/artifact-store.ts';
import { parsePipeline, type FindImageFromTagsStage } from '../../../core/pipeline/index.ts';
import type { ArtifactStore, Image } from '../../../core/ports/artifact-store.ts';
import type { Execution, JsonObject, StageRecord } from '../../../core/ports/execution-store.ts';
import { runFindImageFromTags } from '../../../core/stages/find-image.ts';
import type { TaskInput } from '../../../core/stages/task-result.ts';

/** These stages never save a plan mid-task; a call would be a bug. */
const refuseSave: TaskInput['saveRuntime'] = async () => {
  throw new Error('this stage saves no runtime mid-task');
};

let scratch: string;
let store: ArtifactStore;
let clock = 0;
const baked: Record<string, Image> = {};

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'gennaker-find-image-'));
  store = createLocalArtifactStore({ dir: join(scratch, 'images'), now: () => (clock += 1_000) });
  for (const [version, tags] of [
    ['1.0.0', { release: 'stable' }],
    ['1.1.0', { release: 'candidate' }],
    ['1.2.0', { release: 'candidate', qa: 'passed' }],
  ] as const) {
    const dir = join(scratch, 'src', version);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'version.txt'), version);
    const result = await store.bake({ package: 'hello', source: { type: 'directory', reference: dir }, version, tags });
    if (!result.ok) throw new Error(result.message);
    baked[version] = result.image;
  }
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function input(fields: JsonObject): TaskInput<FindImageFromTagsStage> {
  const parsed = parsePipeline({ application: 'hello', name: 'p', stages: [{ refId: '1', type: 'findImageFromTags', name: 'Find', ...fields }] });
  if (!parsed.pipeline) throw new Error(JSON.stringify(parsed.issues));
  const record: StageRecord = { id: '1', refId: '1', type: 'findImageFromTags', name: 'Find', requisiteStageRefIds: [], status: 'RUNNING', context: fields, outputs: {}, runtime: {}, awaitingCallback: false, revision: 1, lastModified: 0 };
  // The step reads neither the execution nor expressions.
  return { stage: parsed.pipeline.stages[0] as FindImageFromTagsStage, record, execution: {} as Execution, task: 'findImageFromTags', now: 0, poll: 1, expressions: {} as TaskInput['expressions'], saveRuntime: refuseSave };
}

describe('findImageFromTags', () => {
  it.each([
    ['the newest candidate', { release: 'candidate' }, '1.2.0'],
    ['the newest with every tag', { release: 'candidate', qa: 'passed' }, '1.2.0'],
    ['the only stable one', { release: 'stable' }, '1.0.0'],
    ['the newest of all with no tags', {}, '1.2.0'],
  ])('finds %s', async (_case, tags, version) => {
    const result = await runFindImageFromTags(input({ packageName: 'hello', tags, regions: ['local'] }), { artifacts: store });
    const image = baked[version]!;
    expect(result).toMatchObject({
      kind: 'succeeded',
      outputs: { imageId: image.imageId, imageName: image.imageName, artifact: image.artifact, amiDetails: [{ imageId: image.imageId, region: 'local', artifact: image.artifact }] },
    });
  });

  it('fails when no image has the tags, listing the newest images of the package', async () => {
    const result = await runFindImageFromTags(input({ packageName: 'hello', tags: { release: 'gone' } }), { artifacts: store });
    expect(result).toEqual({
      kind: 'failed',
      message: expect.stringMatching(/^stage 'Find': could not find a tagged image for package 'hello' and tags \{"release":"gone"\}; newest images of 'hello': hello-1\.2\.0-\w{8} \{.*"qa":"passed".*\}, hello-1\.1\.0-/),
    });
  });

  it('fails for a package never baked, saying to bake it first', async () => {
    expect(await runFindImageFromTags(input({ packageName: 'nothing', tags: { a: 'b' } }), { artifacts: store })).toEqual({
      kind: 'failed',
      message: `stage 'Find': could not find a tagged image for package 'nothing' and tags {"a":"b"}; there is no image of package 'nothing' at all; bake one first`,
    });
  });
});
