/**
 * The image store (`bake`, `findImage`, `findImageFromTags`): where baked images live. An image
 * is an immutable, versioned copy of an artifact source (a directory, a ref of a git
 * repository), named after its package, version and content, and carrying tags. The `artifact`
 * of an image is what a deploy runs: an ArtifactReference the deploy target accepts as it is.
 *
 * The contract every implementation keeps:
 * - Baking the same package, version and content again answers the image already baked
 *   (Spinnaker skips an identical bake unless `rebake`); the same package and version with other
 *   content is refused: images are immutable.
 * - `findImages` answers newest first (by `createdTime`), as `selectImages` orders them.
 * - Expected outcomes (a source that does not exist, a bad name) are `{ ok: false }` values;
 *   only infrastructure faults throw.
 *
 * Pure types and the pure query rules: no I/O.
 */
import type { ArtifactReference } from '../deploy/model.ts';

export interface BakeRequest {
  /** The image's package name: letters, digits, '.', '_' and '-' (`hello`). */
  readonly package: string;
  /** What to bake: `{ type: 'directory', reference: 'examples/service' }` or a git repository and ref (`version`). */
  readonly source: ArtifactReference;
  /**
   * The image's version for a directory source (`1.2.0`). @default the content hash. A git
   * source's version is always its commit.
   */
  readonly version?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** Record the bake again (new creation time, these tags) even when the image exists. @default false */
  readonly rebake?: boolean;
}

export interface Image {
  /** Unique per package, version and content: `img-3f2a...`. */
  readonly imageId: string;
  /** `<package>-<version>-<first 8 of the content hash>` (`<package>-<hash>` when the version is the hash). */
  readonly imageName: string;
  readonly package: string;
  readonly version: string;
  readonly contentHash: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Epoch ms of the (last) bake. */
  readonly createdTime: number;
  /** Where the image's files are (a read-only directory for the local store). */
  readonly location: string;
  /** What a deploy runs: a reference the deploy target accepts unchanged. */
  readonly artifact: ArtifactReference;
  /** What was baked. */
  readonly source: ArtifactReference;
}

export type BakeFailureReason = 'invalid' | 'unsupported' | 'failed';

export type BakeOutcome =
  /** `reused`: the image existed already and was answered as it is. */
  | { readonly ok: true; readonly image: Image; readonly reused: boolean }
  | { readonly ok: false; readonly reason: BakeFailureReason; readonly message: string };

/** Which images: every given criterion must hold. */
export interface ImageQuery {
  /** The package name; `*` matches any run of characters (`hello*`). */
  readonly packageName?: string;
  readonly version?: string;
  /** Every tag must be present with this value; the value `*` only needs the tag to be present. */
  readonly tags?: Readonly<Record<string, string>>;
  /** An image name or id. */
  readonly image?: string;
}

export interface ArtifactStore {
  /** Source `type`s `bake` accepts. */
  readonly sourceTypes: readonly string[];
  bake(request: BakeRequest): Promise<BakeOutcome>;
  /** Newest first; empty when nothing matches. */
  findImages(query: ImageQuery): Promise<readonly Image[]>;
  /** By image id or image name. */
  getImage(idOrName: string): Promise<Image | undefined>;
}

/** Whether `value` matches `pattern`, whose `*` matches any run of characters (the whole value must match). */
export function matchesPattern(pattern: string, value: string): boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(value);
}

/** Whether one image answers the query. */
export function imageMatches(image: Image, query: ImageQuery): boolean {
  if (query.packageName !== undefined && !matchesPattern(query.packageName, image.package)) return false;
  if (query.version !== undefined && image.version !== query.version) return false;
  if (query.image !== undefined && image.imageId !== query.image && image.imageName !== query.image) return false;
  for (const [key, value] of Object.entries(query.tags ?? {})) {
    const actual = image.tags[key];
    if (actual === undefined || (value !== '*' && actual !== value)) return false;
  }
  return true;
}

/** The images answering the query, newest first (ties: by name, so the order is stable). */
export function selectImages(images: readonly Image[], query: ImageQuery): Image[] {
  return images.filter((image) => imageMatches(image, query)).sort((a, b) => b.createdTime - a.createdTime || a.imageName.localeCompare(b.imageName));
}

/** The image name rule (see `Image.imageName`). */
export function imageNameOf(packageName: string, version: string, contentHash: string): string {
  return version === contentHash ? `${packageName}-${version}` : `${packageName}-${version}-${contentHash.slice(0, 8)}`;
}
