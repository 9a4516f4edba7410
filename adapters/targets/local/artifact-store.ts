/**
 * The local image store (core/ports/artifact-store.ts): an image is an artifact baked by the
 * same code as the local target's artifacts (artifacts.ts, `bakeTree`) into
 * `<dir>/trees/<package>/<version>/`, read-only, plus one JSON record per image in
 * `<dir>/index/<imageId>.json` (name, version, content hash, tags, creation time). One file per
 * image, written by an atomic rename, so two bakes at once never lose each other's record, and
 * a restarted `gennaker up` finds every image again.
 *
 * An image's `artifact` is `{ type: 'directory', reference: <its tree>, name: <package>,
 * version }`: the local deploy target bakes that into its own artifacts with the same name,
 * version and content, so a deploy after a bake runs exactly the baked files.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ArtifactReference } from '../../../core/deploy/model.ts';
import { imageNameOf, selectImages, type ArtifactStore, type BakeOutcome, type BakeRequest, type Image, type ImageQuery } from '../../../core/ports/artifact-store.ts';
import { bakeTree, LOCAL_ARTIFACT_TYPES } from './artifacts.ts';

export interface LocalArtifactStoreOptions {
  /** Where images and their index live (`.gennaker/images`). */
  readonly dir: string;
  /** @default Date.now */
  readonly now?: () => number;
}

const SAFE = /^[a-zA-Z0-9._-]+$/;

/** Creates the store; nothing is read until the first call. */
export function createLocalArtifactStore(options: LocalArtifactStoreOptions): ArtifactStore {
  const dir = resolve(options.dir);
  const now = options.now ?? Date.now;
  const indexDir = join(dir, 'index');

  const readAll = async (): Promise<Image[]> => {
    const names = await readdir(indexDir).catch(() => [] as string[]);
    const images: Image[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const text = await readFile(join(indexDir, name), 'utf8').catch(() => undefined);
      if (text !== undefined) images.push(JSON.parse(text) as Image);
    }
    return images;
  };

  const record = async (image: Image): Promise<void> => {
    await mkdir(indexDir, { recursive: true });
    const staging = join(indexDir, `.${image.imageId}.${randomUUID()}.tmp`);
    await writeFile(staging, JSON.stringify(image, null, 2));
    await rename(staging, join(indexDir, `${image.imageId}.json`));
  };

  return {
    sourceTypes: LOCAL_ARTIFACT_TYPES,

    async bake(request: BakeRequest): Promise<BakeOutcome> {
      if (!SAFE.test(request.package)) {
        return { ok: false, reason: 'invalid', message: `package '${request.package}' may hold only letters, digits, '.', '_' and '-'; rename it, e.g. 'hello'` };
      }
      const source = request.source;
      if (!(LOCAL_ARTIFACT_TYPES as readonly string[]).includes(source.type)) {
        return { ok: false, reason: 'unsupported', message: `artifact type '${source.type}' cannot be baked locally; use one of ${LOCAL_ARTIFACT_TYPES.join(', ')}` };
      }
      if (source.type === 'git' && request.version !== undefined) {
        return { ok: false, reason: 'invalid', message: `version '${request.version}' cannot be given for a git source: its image's version is the commit; put the git ref in artifact.version instead` };
      }
      if (request.version !== undefined && !SAFE.test(request.version)) {
        return { ok: false, reason: 'invalid', message: `version '${request.version}' may hold only letters, digits, '.', '_' and '-'; e.g. '1.2.0'` };
      }
      const versioned: ArtifactReference =
        source.type === 'directory'
          ? { type: 'directory', reference: resolve(source.reference), name: request.package, ...(request.version !== undefined ? { version: request.version } : {}) }
          : { type: 'git', reference: resolve(source.reference), name: request.package, ...(source.version !== undefined ? { version: source.version } : {}) };
      const baked = await bakeTree(join(dir, 'trees'), versioned);
      if (!baked.ok) return { ok: false, reason: 'failed', message: baked.message };

      const imageId = `img-${createHash('sha256').update(`${baked.name}\0${baked.version}\0${baked.contentHash}`).digest('hex').slice(0, 16)}`;
      const existing = (await readAll()).find((image) => image.imageId === imageId);
      if (existing && !request.rebake) return { ok: true, image: existing, reused: true };
      const image: Image = {
        imageId,
        imageName: imageNameOf(baked.name, baked.version, baked.contentHash),
        package: baked.name,
        version: baked.version,
        contentHash: baked.contentHash,
        // Rosco tags its images with the package's version the same way.
        tags: { ...request.tags, appversion: `${baked.name}-${baked.version}` },
        createdTime: now(),
        location: baked.directory,
        artifact: { type: 'directory', reference: baked.directory, name: baked.name, version: baked.version },
        source: versioned,
      };
      await record(image);
      return { ok: true, image, reused: false };
    },

    async findImages(query: ImageQuery): Promise<readonly Image[]> {
      return selectImages(await readAll(), query);
    },

    async getImage(idOrName: string): Promise<Image | undefined> {
      return selectImages(await readAll(), { image: idOrName })[0];
    },
  };
}
