/**
 * AMIs as the image store of `findImageFromTags` and `findImage` (core/ports/artifact-store.ts),
 * read with EC2 DescribeImages in one region, matched as clouddriver's image lookup
 * (AmazonNamedImageLookupController) and Orca's AmazonImageFinder match them:
 *
 * - `packageName` is a name glob (`*`, `?`); without glob characters it matches anywhere in the
 *   name (`hello` → `*hello*`), as clouddriver wraps it.
 * - `tags`: every tag must be on the image; keys and values compare without case (clouddriver
 *   lower-cases keys and uses equalsIgnoreCase); the value `*` only needs the tag.
 * - `image`: an AMI id (`ami-...`) or an exact name.
 * - Newest first by CreationDate (Orca sorts on it), then by name.
 * - An image's package and version come from its `appversion` tag (Frigga's AppVersion,
 *   `hello-1.2.0-h12.abc1234/hello-build/12`), else the package is its name.
 *
 * Baking is not this store's job (Spinnaker bakes with Rosco): `bake` answers `unsupported`.
 */
import { DescribeImagesCommand, type EC2Client, type Filter, type Image as AwsImage } from '@aws-sdk/client-ec2';
import type { ArtifactStore, BakeOutcome, Image, ImageQuery } from '../../../core/ports/artifact-store.ts';
import { awsFailure } from './aws-errors.ts';
import { AWS_IMAGE_ARTIFACT } from './ec2-target.ts';

export interface Ec2ImageStoreOptions {
  readonly ec2: Pick<EC2Client, 'send'>;
  readonly region: string;
  /**
   * Whose images a query without a name or id reads (DescribeImages `Owners`), so it never lists
   * every public AMI. @default ['self']
   */
  readonly owners?: readonly string[];
}

/** The image store could not read AWS: throttled, denied, unreachable (the stage fails with it; `retryable` says whether to retry). */
export class Ec2ImageStoreError extends Error {
  override readonly name = 'Ec2ImageStoreError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const GLOB = /[*?[\\]/;

/** Frigga's AppVersion: `package-version[-hBUILD[.COMMIT]][/JOB/BUILD]`. */
export function parseAppVersion(text: string | undefined): { readonly packageName: string; readonly version: string; readonly buildNumber?: string; readonly commit?: string; readonly buildJobName?: string } | undefined {
  if (!text) return undefined;
  const match = /^([\w-]+?)-(\d[\w.~+-]*?)(?:-h(\d+)(?:\.(\w+))?)?(?:\/([\w.-]+)\/(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  return {
    packageName: match[1]!,
    version: match[2]!,
    ...(match[3] !== undefined ? { buildNumber: match[3] } : {}),
    ...(match[4] !== undefined ? { commit: match[4] } : {}),
    ...(match[5] !== undefined ? { buildJobName: match[5] } : {}),
  };
}

/** Whether `value` matches the shell-style glob (`*`, `?`), without case. */
function globMatches(glob: string, value: string): boolean {
  const pattern = glob
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${pattern}$`, 'i').test(value);
}

function tagsOf(image: AwsImage): Record<string, string> {
  return Object.fromEntries((image.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

function hasTags(tags: Readonly<Record<string, string>>, wanted: Readonly<Record<string, string>>): boolean {
  const lower = new Map(Object.entries(tags).map(([key, value]) => [key.toLowerCase(), value]));
  return Object.entries(wanted).every(([key, value]) => {
    const actual = lower.get(key.toLowerCase());
    return actual !== undefined && (value === '*' || actual.toLowerCase() === value.toLowerCase());
  });
}

/** An AMI as the image store's `Image`: what a deploy runs is the `aws/image` artifact of its id. */
export function imageOf(image: AwsImage, region: string): Image {
  const tags = tagsOf(image);
  const appVersion = parseAppVersion(Object.entries(tags).find(([key]) => key.toLowerCase() === 'appversion')?.[1]);
  const name = image.Name ?? image.ImageId ?? '';
  const version = appVersion?.version ?? '';
  const created = Date.parse(image.CreationDate ?? '');
  const reference = { type: AWS_IMAGE_ARTIFACT, reference: image.ImageId ?? '', name, ...(version !== '' ? { version } : {}) };
  return {
    imageId: image.ImageId ?? '',
    imageName: name,
    package: appVersion?.packageName ?? name,
    version,
    contentHash: '',
    tags,
    createdTime: Number.isFinite(created) ? created : 0,
    location: region,
    artifact: reference,
    source: reference,
  };
}

/** Creates the AMI store of one region. */
export function createEc2ImageStore(options: Ec2ImageStoreOptions): ArtifactStore {
  const { ec2, region } = options;
  const owners = options.owners ?? ['self'];

  async function describe(query: ImageQuery): Promise<AwsImage[]> {
    const filters: Filter[] = [];
    let imageIds: string[] | undefined;
    if (query.image !== undefined) {
      if (/^ami-[0-9a-f]+$/.test(query.image)) imageIds = [query.image];
      else filters.push({ Name: 'name', Values: [query.image] });
    } else if (query.packageName !== undefined) {
      filters.push({ Name: 'name', Values: [GLOB.test(query.packageName) ? query.packageName : `*${query.packageName}*`] });
    }
    const byName = imageIds !== undefined || filters.length > 0;
    const images: AwsImage[] = [];
    let token: string | undefined;
    do {
      try {
        const page = await ec2.send(
          new DescribeImagesCommand({
            ...(imageIds ? { ImageIds: imageIds } : {}),
            ...(filters.length > 0 ? { Filters: filters } : {}),
            ...(byName ? {} : { Owners: [...owners] }),
            ...(token ? { NextToken: token } : {}),
          }),
        );
        images.push(...(page.Images ?? []));
        token = page.NextToken;
      } catch (error) {
        const failure = awsFailure(error, `finding images in ${region}`);
        // An AMI id that does not exist is an empty answer, not a failure.
        if (failure.reason === 'not-found' || (imageIds && failure.reason === 'invalid')) return [];
        throw new Ec2ImageStoreError(failure.message, failure.reason === 'unavailable', { cause: error });
      }
    } while (token);
    return images;
  }

  async function findImages(query: ImageQuery): Promise<readonly Image[]> {
    const found = (await describe(query)).filter((image) => {
      if (query.image !== undefined && image.ImageId !== query.image && image.Name !== query.image) return false;
      if (query.packageName !== undefined && query.image === undefined) {
        const glob = GLOB.test(query.packageName) ? query.packageName : `*${query.packageName}*`;
        if (!globMatches(glob, image.Name ?? '')) return false;
      }
      return hasTags(tagsOf(image), query.tags ?? {});
    });
    const images = found.map((image) => imageOf(image, region)).filter((image) => query.version === undefined || image.version === query.version);
    return images.sort((a, b) => b.createdTime - a.createdTime || a.imageName.localeCompare(b.imageName));
  }

  return {
    sourceTypes: [],
    bake: async (): Promise<BakeOutcome> => ({
      ok: false,
      reason: 'unsupported',
      message: `baking AMIs is not done by the EC2 target; bake with Packer (or Spinnaker's Rosco), then find the AMI with findImageFromTags`,
    }),
    findImages,
    getImage: async (idOrName) => (await findImages({ image: idOrName }))[0],
  };
}
