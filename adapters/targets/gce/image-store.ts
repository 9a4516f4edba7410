/**
 * Compute Engine images as the image store of `findImage` and `findImageFromTags`
 * (core/ports/artifact-store.ts), read with `images.list` in the account's project and its image
 * projects, matched as clouddriver's GoogleNamedImageLookupController matches them:
 *
 * - `packageName` is a name glob (`*`, `?`); without glob characters it matches anywhere in the
 *   name (`hello` → `*hello*`).
 * - `tags` are the image's labels: every one must be there; keys and values compare without case;
 *   the value `*` only needs the label.
 * - `image`: an image name or its selfLink.
 * - Newest first by creationTimestamp, then by name; deprecated images (DEPRECATED, OBSOLETE,
 *   DELETED) are left out, as clouddriver leaves them out.
 * - An image's package and version come from the `appversion` Rosco writes (a label, or
 *   `appversion: <text>` in the description: Frigga's AppVersion), else the package is its name.
 *
 * What a deploy runs is the `gce/image` artifact of the image: `reference` its selfLink. Baking is
 * not this store's job (Spinnaker bakes with Rosco): `bake` answers `unsupported`.
 */
import type { protos } from '@google-cloud/compute';
import type { ArtifactStore, BakeOutcome, Image, ImageQuery } from '../../../core/ports/artifact-store.ts';
import type { GceClients } from './clients.ts';
import { gceFailure } from './gce-errors.ts';
import { lastSegment } from './requests.ts';

type GceImage = protos.google.cloud.compute.v1.IImage;

/** The artifact type of a GCE image (the same as gce-target.ts's GCE_IMAGE_ARTIFACT, kept free of the target). */
const GCE_IMAGE = 'gce/image';

export interface GceImageStoreOptions {
  readonly clients: Pick<GceClients, 'images'>;
  /** The account's project, searched first. */
  readonly project: string;
  /** Other projects searched after it (`ubuntu-os-cloud`...). @default [] */
  readonly imageProjects?: readonly string[];
}

/** The image store could not read GCE: throttled, denied, unreachable (`retryable` says whether to try again). */
export class GceImageStoreError extends Error {
  override readonly name = 'GceImageStoreError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const GLOB = /[*?]/;

/** Frigga's AppVersion: `package-version[-hBUILD[.COMMIT]][/JOB/BUILD]`. */
function parseAppVersion(text: string | undefined): { readonly packageName: string; readonly version: string } | undefined {
  if (!text) return undefined;
  const match = /^([\w-]+?)-(\d[\w.~+-]*?)(?:-h(\d+)(?:\.(\w+))?)?(?:\/([\w.-]+)\/(\d+))?$/.exec(text.trim());
  return match ? { packageName: match[1]!, version: match[2]! } : undefined;
}

function globMatches(glob: string, value: string): boolean {
  const pattern = glob
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${pattern}$`, 'i').test(value);
}

function hasLabels(labels: Readonly<Record<string, string>>, wanted: Readonly<Record<string, string>>): boolean {
  const lower = new Map(Object.entries(labels).map(([key, value]) => [key.toLowerCase(), value]));
  return Object.entries(wanted).every(([key, value]) => {
    const actual = lower.get(key.toLowerCase());
    return actual !== undefined && (value === '*' || actual.toLowerCase() === value.toLowerCase());
  });
}

/** The appversion Rosco records: the label, else `appversion: ...` in the description. */
function appVersionOf(image: GceImage): string | undefined {
  const labels = image.labels ?? {};
  const label = Object.entries(labels).find(([key]) => key.toLowerCase() === 'appversion')?.[1];
  if (label) return label;
  return /appversion:\s*(\S+)/i.exec(image.description ?? '')?.[1]?.replace(/,$/, '');
}

/** A GCE image as the image store's `Image`: what a deploy runs is the `gce/image` artifact of its selfLink. */
export function imageOf(image: GceImage): Image {
  const name = image.name ?? '';
  const appVersion = parseAppVersion(appVersionOf(image));
  const version = appVersion?.version ?? '';
  const created = Date.parse(image.creationTimestamp ?? '');
  const selfLink = image.selfLink ?? name;
  const reference = { type: GCE_IMAGE, name, reference: selfLink, ...(version !== '' ? { version } : {}) };
  return {
    imageId: String(image.id ?? name),
    imageName: name,
    package: appVersion?.packageName ?? name,
    version,
    contentHash: '',
    tags: { ...(image.labels ?? {}) },
    createdTime: Number.isFinite(created) ? created : 0,
    location: selfLink,
    artifact: reference,
    source: reference,
  };
}

const DEPRECATED = new Set(['DEPRECATED', 'OBSOLETE', 'DELETED']);

/** Creates the image store of one account (images are global: no region). */
export function createGceImageStore(options: GceImageStoreOptions): ArtifactStore {
  const { clients, project } = options;
  const projects = [project, ...(options.imageProjects ?? []).filter((other) => other !== project)];

  async function list(imageProject: string, filter: string | undefined): Promise<GceImage[]> {
    try {
      const [images] = await clients.images.list({ project: imageProject, ...(filter ? { filter } : {}) });
      return images;
    } catch (error) {
      const failure = gceFailure(error, `listing the images of project ${imageProject}`);
      // A project the account cannot see holds nothing for it.
      if (failure.reason === 'not-found') return [];
      throw new GceImageStoreError(failure.message, failure.reason === 'unavailable', { cause: error });
    }
  }

  async function findImages(query: ImageQuery): Promise<readonly Image[]> {
    let filter: string | undefined;
    let wantedName: string | undefined;
    if (query.image !== undefined) {
      wantedName = query.image.includes('/') ? lastSegment(query.image) : query.image;
      filter = `name eq ${wantedName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
    }
    const found: GceImage[] = [];
    for (const imageProject of query.image?.includes('projects/') ? [/projects\/([^/]+)\//.exec(query.image)?.[1] ?? project] : projects) {
      found.push(...(await list(imageProject, filter)));
    }
    const matching = found.filter((image) => {
      if (DEPRECATED.has(image.deprecated?.state ?? '')) return false;
      if (wantedName !== undefined && image.name !== wantedName) return false;
      if (query.packageName !== undefined && query.image === undefined) {
        const glob = GLOB.test(query.packageName) ? query.packageName : `*${query.packageName}*`;
        if (!globMatches(glob, image.name ?? '')) return false;
      }
      return hasLabels(image.labels ?? {}, query.tags ?? {});
    });
    const images = matching.map(imageOf).filter((image) => query.version === undefined || image.version === query.version);
    return images.sort((a, b) => b.createdTime - a.createdTime || a.imageName.localeCompare(b.imageName));
  }

  return {
    sourceTypes: [],
    bake: async (): Promise<BakeOutcome> => ({
      ok: false,
      reason: 'unsupported',
      message: "baking GCE images is not done by the GCE target; bake with Packer (or Spinnaker's Rosco), then find the image with findImage or findImageFromTags",
    }),
    findImages,
    getImage: async (idOrName) => (await findImages({ image: idOrName }))[0],
  };
}
