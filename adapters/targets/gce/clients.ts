/**
 * The `@google-cloud/compute` clients of one GCE account, made lazily (each on its first use) and
 * once: the composition root makes one `GceClients` per account and every region's target shares
 * it. Only the clients this target uses are loaded, each from its own module: the package's index
 * loads all 123 of them (about 2 s and 270 MB), a deep import loads one.
 *
 * Real GCE: `{ projectId, keyFilename? }` (Application Default Credentials without a key file).
 * A simulator or a test: `{ apiEndpoint: '127.0.0.1', port, protocol: 'http', authClient }` with
 * google-auth-library's PassThroughClient, so no credentials are looked for.
 */
import { AutoscalersClient } from '@google-cloud/compute/build/src/v1/autoscalers_client.js';
import { BackendServicesClient } from '@google-cloud/compute/build/src/v1/backend_services_client.js';
import { ForwardingRulesClient } from '@google-cloud/compute/build/src/v1/forwarding_rules_client.js';
import { GlobalOperationsClient } from '@google-cloud/compute/build/src/v1/global_operations_client.js';
import { HealthChecksClient } from '@google-cloud/compute/build/src/v1/health_checks_client.js';
import { ImagesClient } from '@google-cloud/compute/build/src/v1/images_client.js';
import { InstanceGroupManagersClient } from '@google-cloud/compute/build/src/v1/instance_group_managers_client.js';
import { InstanceTemplatesClient } from '@google-cloud/compute/build/src/v1/instance_templates_client.js';
import { MachineTypesClient } from '@google-cloud/compute/build/src/v1/machine_types_client.js';
import { NetworksClient } from '@google-cloud/compute/build/src/v1/networks_client.js';
import { RegionAutoscalersClient } from '@google-cloud/compute/build/src/v1/region_autoscalers_client.js';
import { RegionInstanceGroupManagersClient } from '@google-cloud/compute/build/src/v1/region_instance_group_managers_client.js';
import { RegionOperationsClient } from '@google-cloud/compute/build/src/v1/region_operations_client.js';
import { RegionsClient } from '@google-cloud/compute/build/src/v1/regions_client.js';
import { SubnetworksClient } from '@google-cloud/compute/build/src/v1/subnetworks_client.js';
import { TargetPoolsClient } from '@google-cloud/compute/build/src/v1/target_pools_client.js';
import { ZoneOperationsClient } from '@google-cloud/compute/build/src/v1/zone_operations_client.js';

/** The clients this target calls, by the API resource each serves. */
export interface GceClients {
  readonly instanceTemplates: InstanceTemplatesClient;
  readonly instanceGroupManagers: InstanceGroupManagersClient;
  readonly regionInstanceGroupManagers: RegionInstanceGroupManagersClient;
  readonly autoscalers: AutoscalersClient;
  readonly regionAutoscalers: RegionAutoscalersClient;
  readonly backendServices: BackendServicesClient;
  readonly targetPools: TargetPoolsClient;
  readonly forwardingRules: ForwardingRulesClient;
  readonly images: ImagesClient;
  readonly machineTypes: MachineTypesClient;
  readonly networks: NetworksClient;
  readonly subnetworks: SubnetworksClient;
  readonly healthChecks: HealthChecksClient;
  readonly regions: RegionsClient;
  readonly globalOperations: GlobalOperationsClient;
  readonly regionOperations: RegionOperationsClient;
  readonly zoneOperations: ZoneOperationsClient;
}

/** How the clients reach Compute Engine: the options every client is made with. */
export interface GceClientOptions {
  /** Real GCE: the project whose credentials ADC finds. */
  readonly projectId?: string;
  /** Real GCE: a service account key file instead of ADC's search. */
  readonly keyFilename?: string;
  /** A simulator: its host (`127.0.0.1`). */
  readonly apiEndpoint?: string;
  readonly port?: number;
  /** `http` for a simulator. @default 'https' */
  readonly protocol?: string;
  /** An auth client (google-auth-library's PassThroughClient for a simulator). */
  readonly authClient?: unknown;
}

type Constructor<T> = new (options?: Record<string, unknown>) => T;

const CONSTRUCTORS: { readonly [K in keyof GceClients]: Constructor<GceClients[K]> } = {
  instanceTemplates: InstanceTemplatesClient as Constructor<InstanceTemplatesClient>,
  instanceGroupManagers: InstanceGroupManagersClient as Constructor<InstanceGroupManagersClient>,
  regionInstanceGroupManagers: RegionInstanceGroupManagersClient as Constructor<RegionInstanceGroupManagersClient>,
  autoscalers: AutoscalersClient as Constructor<AutoscalersClient>,
  regionAutoscalers: RegionAutoscalersClient as Constructor<RegionAutoscalersClient>,
  backendServices: BackendServicesClient as Constructor<BackendServicesClient>,
  targetPools: TargetPoolsClient as Constructor<TargetPoolsClient>,
  forwardingRules: ForwardingRulesClient as Constructor<ForwardingRulesClient>,
  images: ImagesClient as Constructor<ImagesClient>,
  machineTypes: MachineTypesClient as Constructor<MachineTypesClient>,
  networks: NetworksClient as Constructor<NetworksClient>,
  subnetworks: SubnetworksClient as Constructor<SubnetworksClient>,
  healthChecks: HealthChecksClient as Constructor<HealthChecksClient>,
  regions: RegionsClient as Constructor<RegionsClient>,
  globalOperations: GlobalOperationsClient as Constructor<GlobalOperationsClient>,
  regionOperations: RegionOperationsClient as Constructor<RegionOperationsClient>,
  zoneOperations: ZoneOperationsClient as Constructor<ZoneOperationsClient>,
};

/** The clients of one account; each is made on first use, then kept. `close` ends those made. */
export function createGceClients(options: GceClientOptions): GceClients & { close(): Promise<void> } {
  const settings: Record<string, unknown> = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const made = new Map<keyof GceClients, { close(): Promise<void> }>();
  const clients = {} as GceClients & { close(): Promise<void> };
  for (const key of Object.keys(CONSTRUCTORS) as (keyof GceClients)[]) {
    Object.defineProperty(clients, key, {
      enumerable: true,
      get() {
        let client = made.get(key);
        if (!client) {
          client = new CONSTRUCTORS[key]({ ...settings }) as unknown as { close(): Promise<void> };
          made.set(key, client);
        }
        return client;
      },
    });
  }
  Object.defineProperty(clients, 'close', {
    value: async () => {
      await Promise.all([...made.values()].map((client) => client.close().catch(() => undefined)));
      made.clear();
    },
  });
  return clients;
}
