/**
 * The fixed part of the simulated Compute Engine: regions, their zones, the machine types each
 * zone offers and the public images of the image projects. Real names and figures, so that a
 * pipeline written for GCE resolves here as it would there.
 */

/** A region and its zones, in GCE's order. */
export interface RegionInfo {
  readonly name: string;
  readonly zones: readonly string[];
  /** The auto-mode `default` subnet's range in this region. */
  readonly defaultRange: string;
}

/**
 * The regions served, with their zones and the auto-mode `default` subnet range GCE gives each
 * (in the order GCE opened them, which is also the order of their ranges).
 */
export const REGIONS: readonly RegionInfo[] = [
  { name: 'us-central1', zones: ['us-central1-a', 'us-central1-b', 'us-central1-c', 'us-central1-f'], defaultRange: '10.128.0.0/20' },
  { name: 'europe-west1', zones: ['europe-west1-b', 'europe-west1-c', 'europe-west1-d'], defaultRange: '10.132.0.0/20' },
  { name: 'us-east1', zones: ['us-east1-b', 'us-east1-c', 'us-east1-d'], defaultRange: '10.142.0.0/20' },
  { name: 'asia-east1', zones: ['asia-east1-a', 'asia-east1-b', 'asia-east1-c'], defaultRange: '10.140.0.0/20' },
  { name: 'us-west1', zones: ['us-west1-a', 'us-west1-b', 'us-west1-c'], defaultRange: '10.138.0.0/20' },
  { name: 'asia-northeast1', zones: ['asia-northeast1-a', 'asia-northeast1-b', 'asia-northeast1-c'], defaultRange: '10.146.0.0/20' },
  { name: 'asia-southeast1', zones: ['asia-southeast1-a', 'asia-southeast1-b', 'asia-southeast1-c'], defaultRange: '10.148.0.0/20' },
  { name: 'us-east4', zones: ['us-east4-a', 'us-east4-b', 'us-east4-c'], defaultRange: '10.150.0.0/20' },
  { name: 'australia-southeast1', zones: ['australia-southeast1-a', 'australia-southeast1-b', 'australia-southeast1-c'], defaultRange: '10.152.0.0/20' },
  { name: 'europe-west2', zones: ['europe-west2-a', 'europe-west2-b', 'europe-west2-c'], defaultRange: '10.154.0.0/20' },
  { name: 'europe-west3', zones: ['europe-west3-a', 'europe-west3-b', 'europe-west3-c'], defaultRange: '10.156.0.0/20' },
  { name: 'southamerica-east1', zones: ['southamerica-east1-a', 'southamerica-east1-b', 'southamerica-east1-c'], defaultRange: '10.158.0.0/20' },
  { name: 'asia-south1', zones: ['asia-south1-a', 'asia-south1-b', 'asia-south1-c'], defaultRange: '10.160.0.0/20' },
  { name: 'northamerica-northeast1', zones: ['northamerica-northeast1-a', 'northamerica-northeast1-b', 'northamerica-northeast1-c'], defaultRange: '10.162.0.0/20' },
  { name: 'europe-west4', zones: ['europe-west4-a', 'europe-west4-b', 'europe-west4-c'], defaultRange: '10.164.0.0/20' },
  { name: 'europe-north1', zones: ['europe-north1-a', 'europe-north1-b', 'europe-north1-c'], defaultRange: '10.166.0.0/20' },
  { name: 'us-west2', zones: ['us-west2-a', 'us-west2-b', 'us-west2-c'], defaultRange: '10.168.0.0/20' },
  { name: 'asia-east2', zones: ['asia-east2-a', 'asia-east2-b', 'asia-east2-c'], defaultRange: '10.170.0.0/20' },
  { name: 'europe-west6', zones: ['europe-west6-a', 'europe-west6-b', 'europe-west6-c'], defaultRange: '10.172.0.0/20' },
  { name: 'asia-northeast2', zones: ['asia-northeast2-a', 'asia-northeast2-b', 'asia-northeast2-c'], defaultRange: '10.174.0.0/20' },
  { name: 'asia-northeast3', zones: ['asia-northeast3-a', 'asia-northeast3-b', 'asia-northeast3-c'], defaultRange: '10.178.0.0/20' },
  { name: 'us-west3', zones: ['us-west3-a', 'us-west3-b', 'us-west3-c'], defaultRange: '10.180.0.0/20' },
  { name: 'us-west4', zones: ['us-west4-a', 'us-west4-b', 'us-west4-c'], defaultRange: '10.182.0.0/20' },
];

/** The region of a zone (`us-central1-c` → `us-central1`), or undefined for an unknown zone. */
export function regionOfZone(zone: string): RegionInfo | undefined {
  return REGIONS.find((r) => r.zones.includes(zone));
}

/** A machine type's published shape. */
export interface MachineTypeInfo {
  readonly name: string;
  readonly guestCpus: number;
  readonly memoryMb: number;
  readonly description: string;
  readonly isSharedCpu: boolean;
}

/** Machine types offered in every zone. */
export const MACHINE_TYPES: readonly MachineTypeInfo[] = [
  { name: 'f1-micro', guestCpus: 1, memoryMb: 614, description: '1 vCPU (shared physical core) and 0.6 GB RAM', isSharedCpu: true },
  { name: 'g1-small', guestCpus: 1, memoryMb: 1740, description: '1 vCPU (shared physical core) and 1.7 GB RAM', isSharedCpu: true },
  { name: 'n1-standard-1', guestCpus: 1, memoryMb: 3840, description: '1 vCPU, 3.75 GB RAM', isSharedCpu: false },
  { name: 'n1-standard-2', guestCpus: 2, memoryMb: 7680, description: '2 vCPUs, 7.5 GB RAM', isSharedCpu: false },
  { name: 'n1-standard-4', guestCpus: 4, memoryMb: 15360, description: '4 vCPUs, 15 GB RAM', isSharedCpu: false },
  { name: 'e2-micro', guestCpus: 2, memoryMb: 1024, description: 'Efficient Instance, 2 vCPU (1/4 shared physical core) and 1 GB RAM', isSharedCpu: true },
  { name: 'e2-small', guestCpus: 2, memoryMb: 2048, description: 'Efficient Instance, 2 vCPU (1/2 shared physical core) and 2 GB RAM', isSharedCpu: true },
  { name: 'e2-medium', guestCpus: 2, memoryMb: 4096, description: 'Efficient Instance, 2 vCPU (1 shared physical core) and 4 GB RAM', isSharedCpu: true },
  { name: 'e2-standard-2', guestCpus: 2, memoryMb: 8192, description: 'Efficient Instance, 2 vCPUs, 8 GB RAM', isSharedCpu: false },
  { name: 'e2-standard-4', guestCpus: 4, memoryMb: 16384, description: 'Efficient Instance, 4 vCPUs, 16 GB RAM', isSharedCpu: false },
  { name: 'n2-standard-2', guestCpus: 2, memoryMb: 8192, description: '2 vCPUs 8 GB RAM', isSharedCpu: false },
];

/** A public image every simulated world starts with. */
export interface PublicImage {
  readonly project: string;
  readonly name: string;
  readonly family: string;
  readonly description: string;
  readonly diskSizeGb: number;
}

/** Public images in their image projects (the names GCE lists, frozen at one release each). */
export const PUBLIC_IMAGES: readonly PublicImage[] = [
  { project: 'debian-cloud', name: 'debian-12-bookworm-v20261110', family: 'debian-12', description: 'Debian, Debian GNU/Linux, 12 (bookworm), amd64 built on 20261110', diskSizeGb: 10 },
  { project: 'debian-cloud', name: 'debian-11-bullseye-v20261110', family: 'debian-11', description: 'Debian, Debian GNU/Linux, 11 (bullseye), amd64 built on 20261110', diskSizeGb: 10 },
  { project: 'ubuntu-os-cloud', name: 'ubuntu-2204-jammy-v20261118', family: 'ubuntu-2204-lts', description: 'Canonical, Ubuntu, 22.04 LTS, amd64 jammy image built on 2026-11-18', diskSizeGb: 10 },
  { project: 'cos-cloud', name: 'cos-117-18613-75-37', family: 'cos-117-lts', description: 'Google, Container-Optimized OS, 117-18613.75.37 LTS', diskSizeGb: 10 },
];
