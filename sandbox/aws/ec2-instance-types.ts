/**
 * The instance types the simulated EC2 offers (DescribeInstanceTypes): the common current
 * families in their usual sizes, so a name AWS does not know (`m5.gigantic`, `m5large`) is
 * refused as AWS refuses it. vCPUs and memory follow each family's ratio; launches do not check
 * the type (see SPEC.md).
 */
import { itemStrings, QueryError, type QueryNode, type XmlObject } from './query-protocol.ts';
import { paginate } from './ec2-filters.ts';

const BURSTABLE_SIZES = ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'] as const;
const INTEL_SIZES = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge'] as const;
const GRAVITON_SIZES = ['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'] as const;

/** Family → sizes and GiB of memory per vCPU (burstable families have their own table). */
const FAMILIES: Readonly<Record<string, { sizes: readonly string[]; gibPerVcpu: number; arm?: boolean }>> = {
  t2: { sizes: BURSTABLE_SIZES, gibPerVcpu: 0 },
  t3: { sizes: BURSTABLE_SIZES, gibPerVcpu: 0 },
  t3a: { sizes: BURSTABLE_SIZES, gibPerVcpu: 0 },
  t4g: { sizes: BURSTABLE_SIZES, gibPerVcpu: 0, arm: true },
  m5: { sizes: INTEL_SIZES, gibPerVcpu: 4 },
  m5a: { sizes: INTEL_SIZES, gibPerVcpu: 4 },
  m6i: { sizes: [...INTEL_SIZES, '32xlarge'], gibPerVcpu: 4 },
  m6a: { sizes: [...INTEL_SIZES, '32xlarge', '48xlarge'], gibPerVcpu: 4 },
  m7i: { sizes: [...INTEL_SIZES, '48xlarge'], gibPerVcpu: 4 },
  m6g: { sizes: GRAVITON_SIZES, gibPerVcpu: 4, arm: true },
  m7g: { sizes: GRAVITON_SIZES, gibPerVcpu: 4, arm: true },
  c5: { sizes: ['large', 'xlarge', '2xlarge', '4xlarge', '9xlarge', '12xlarge', '18xlarge', '24xlarge'], gibPerVcpu: 2 },
  c6i: { sizes: [...INTEL_SIZES, '32xlarge'], gibPerVcpu: 2 },
  c7i: { sizes: [...INTEL_SIZES, '48xlarge'], gibPerVcpu: 2 },
  c6g: { sizes: GRAVITON_SIZES, gibPerVcpu: 2, arm: true },
  c7g: { sizes: GRAVITON_SIZES, gibPerVcpu: 2, arm: true },
  r5: { sizes: INTEL_SIZES, gibPerVcpu: 8 },
  r6i: { sizes: [...INTEL_SIZES, '32xlarge'], gibPerVcpu: 8 },
  r6g: { sizes: GRAVITON_SIZES, gibPerVcpu: 8, arm: true },
  r7g: { sizes: GRAVITON_SIZES, gibPerVcpu: 8, arm: true },
};

/** Burstable sizes: vCPUs and MiB (t2.nano has 1 vCPU; the rest of the small sizes 2). */
const BURSTABLE: Readonly<Record<string, { vcpus: number; mib: number }>> = {
  nano: { vcpus: 2, mib: 512 },
  micro: { vcpus: 2, mib: 1024 },
  small: { vcpus: 2, mib: 2048 },
  medium: { vcpus: 2, mib: 4096 },
  large: { vcpus: 2, mib: 8192 },
  xlarge: { vcpus: 4, mib: 16384 },
  '2xlarge': { vcpus: 8, mib: 32768 },
};

interface InstanceType {
  readonly name: string;
  readonly vcpus: number;
  readonly mib: number;
  readonly arm: boolean;
}

function vcpusOf(size: string): number {
  if (size === 'medium') return 1;
  if (size === 'large') return 2;
  if (size === 'xlarge') return 4;
  return 4 * Number(size.replace('xlarge', ''));
}

const CATALOG: ReadonlyMap<string, InstanceType> = new Map(
  Object.entries(FAMILIES).flatMap(([family, spec]) =>
    spec.sizes.map((size): [string, InstanceType] => {
      const name = `${family}.${size}`;
      const burst = spec.gibPerVcpu === 0 ? BURSTABLE[size]! : undefined;
      const vcpus = name === 't2.nano' ? 1 : (burst?.vcpus ?? vcpusOf(size));
      return [name, { name, vcpus, mib: burst?.mib ?? vcpus * spec.gibPerVcpu * 1024, arm: spec.arm === true }];
    }),
  ),
);

/** DescribeInstanceTypes: the named types (each must exist), else every type, paginated. */
export function describeInstanceTypes(params: QueryNode): XmlObject {
  const names = itemStrings(params, 'InstanceType');
  const missing = names.filter((name) => !CATALOG.has(name));
  if (missing.length > 0) throw new QueryError('InvalidInstanceType', `The following supplied instance types do not exist: [${missing.join(', ')}]`);
  const list = names.length > 0 ? names.map((name) => CATALOG.get(name)!) : [...CATALOG.values()];
  const { page, nextToken } = paginate(list, params, { min: 5, max: 100 });
  return {
    instanceTypeSet: page.map((type) => ({
      instanceType: type.name,
      currentGeneration: !type.name.startsWith('t2.'),
      supportedUsageClasses: ['on-demand', 'spot'],
      processorInfo: { supportedArchitectures: [type.arm ? 'arm64' : 'x86_64'] },
      vCpuInfo: { defaultVCpus: type.vcpus },
      memoryInfo: { sizeInMiB: type.mib },
    })),
    nextToken,
  };
}
