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
  { name: 'us-west1', zones: ['us-west1-a', 'us-west1-b', 'us-west1-c'], defaultRange: '10.138.0.0/20' },
  { name: 'asia-east1', zones: ['asia-east1-a', 'asia-east1-b', 'asia-east1-c'], defaultRange: '10.140.0.0/20' },
  { name: 'us-east1', zones: ['us-east1-b', 'us-east1-c', 'us-east1-d'], defaultRange: '10.142.0.0/20' },
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
  { name: 'asia-southeast2', zones: ['asia-southeast2-a', 'asia-southeast2-b', 'asia-southeast2-c'], defaultRange: '10.184.0.0/20' },
  { name: 'europe-central2', zones: ['europe-central2-a', 'europe-central2-b', 'europe-central2-c'], defaultRange: '10.186.0.0/20' },
  { name: 'northamerica-northeast2', zones: ['northamerica-northeast2-a', 'northamerica-northeast2-b', 'northamerica-northeast2-c'], defaultRange: '10.188.0.0/20' },
  { name: 'asia-south2', zones: ['asia-south2-a', 'asia-south2-b', 'asia-south2-c'], defaultRange: '10.190.0.0/20' },
  { name: 'australia-southeast2', zones: ['australia-southeast2-a', 'australia-southeast2-b', 'australia-southeast2-c'], defaultRange: '10.192.0.0/20' },
  { name: 'southamerica-west1', zones: ['southamerica-west1-a', 'southamerica-west1-b', 'southamerica-west1-c'], defaultRange: '10.194.0.0/20' },
  { name: 'europe-west8', zones: ['europe-west8-a', 'europe-west8-b', 'europe-west8-c'], defaultRange: '10.198.0.0/20' },
  { name: 'europe-west9', zones: ['europe-west9-a', 'europe-west9-b', 'europe-west9-c'], defaultRange: '10.200.0.0/20' },
  { name: 'us-east5', zones: ['us-east5-a', 'us-east5-b', 'us-east5-c'], defaultRange: '10.202.0.0/20' },
  { name: 'europe-southwest1', zones: ['europe-southwest1-a', 'europe-southwest1-b', 'europe-southwest1-c'], defaultRange: '10.204.0.0/20' },
  { name: 'us-south1', zones: ['us-south1-a', 'us-south1-b', 'us-south1-c'], defaultRange: '10.206.0.0/20' },
  { name: 'me-west1', zones: ['me-west1-a', 'me-west1-b', 'me-west1-c'], defaultRange: '10.208.0.0/20' },
  { name: 'europe-west12', zones: ['europe-west12-a', 'europe-west12-b', 'europe-west12-c'], defaultRange: '10.210.0.0/20' },
  { name: 'me-central1', zones: ['me-central1-a', 'me-central1-b', 'me-central1-c'], defaultRange: '10.212.0.0/20' },
  { name: 'europe-west10', zones: ['europe-west10-a', 'europe-west10-b', 'europe-west10-c'], defaultRange: '10.214.0.0/20' },
  { name: 'me-central2', zones: ['me-central2-a', 'me-central2-b', 'me-central2-c'], defaultRange: '10.216.0.0/20' },
  { name: 'africa-south1', zones: ['africa-south1-a', 'africa-south1-b', 'africa-south1-c'], defaultRange: '10.218.0.0/20' },
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
