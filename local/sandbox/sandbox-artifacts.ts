/**
 * What `--sandbox` supplies besides the simulated clouds: the artifact accounts a pipeline reads
 * (each an in-memory account holding the documents the pipeline expects there), and, for a manual
 * run, the image a deploy would take from its docker trigger.
 *
 * - A task-definition artifact (local/sandbox/world.ts `AssumedArtifact`) is seeded with a task
 *   definition made from the cluster entry that reads it: one container per
 *   `containerMappings[].containerName`, each mapping the ports its target groups reach
 *   (`targetGroupMappings`, or the legacy `targetGroup` + `containerPort`), in the entry's network
 *   mode, Fargate unless the entry says EC2, with the entry's CPU and memory. The entry's own
 *   checks (container names, ports, network mode) then pass as they would on a correct artifact.
 * - A trigger image (`imageDescription.fromTrigger` without a tag) becomes a `docker/image`
 *   artifact `<registry>/<repository>:sandbox` on the run's manual trigger, the way a manual start
 *   in Deck brings the image it was given; outside the sandbox nothing is made up, and the deploy
 *   fails naming the field.
 * Everything seeded is reported, like the cloud resources.
 */
import type { JsonObject } from '../../core/ports/execution-store.ts';
import type { ArtifactContentPort, ArtifactToFetch } from '../../core/ports/artifact-content.ts';
import { createArtifactAccounts } from '../../adapters/artifacts/artifact-accounts.ts';
import { createMemoryArtifactAccount, type MemoryArtifactAccount } from '../../adapters/artifacts/memory-artifact-account.ts';
import { clusterName } from '../../core/deploy/names.ts';
import type { AssumedArtifact, AssumedWorld } from './world.ts';

/** The tag of the image a sandboxed manual run's trigger brings. */
export const SANDBOX_IMAGE_TAG = 'sandbox';
/** The tag the serving server group a red/black replaces runs, so the run shows the image change. */
export const SANDBOX_PREVIOUS_TAG = 'sandbox-previous';

/** One seeded thing, for the report (the shape of aws-sandbox.ts `SeededResource`). */
export interface SeededArtifact {
  readonly kind: string;
  readonly id: string;
  readonly detail: string;
}

export interface SandboxArtifacts {
  /** Reads artifacts from the seeded accounts (and `embedded/base64` inline). */
  readonly port: ArtifactContentPort;
  /** Seeds the world's artifacts and trigger images, once each; answers what it seeded. */
  seed(world: AssumedWorld): SeededArtifact[];
  /** The artifacts a manual run's trigger brings (the trigger images seeded so far), tagged `tag`. @default SANDBOX_IMAGE_TAG */
  triggerArtifacts(tag?: string): JsonObject[];
  /** Puts a document in an account (made on first use); false when that artifact was put before, which keeps the first. */
  put(artifact: { readonly artifactAccount: string; readonly type: string; readonly reference: string; readonly version?: string }, text: string): boolean;
  /** Whether the artifact is one these accounts serve: its account is one of them, or it names none and they read its type. */
  holds(artifact: ArtifactToFetch): boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
const port = (value: unknown): number | undefined => {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]+$/.test(value.trim()) ? Number(value) : undefined;
  return number !== undefined && number >= 1 && number <= 65535 ? number : undefined;
};
const whole = (value: unknown): number | undefined => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : typeof value === 'string' && /^[0-9]+$/.test(value.trim()) ? Number(value) : undefined);

/**
 * The task definition (a RegisterTaskDefinition request) an ECS cluster entry expects its artifact
 * to hold: its containers, their ports, its network mode and size.
 */
export function sandboxTaskDefinition(entry: Readonly<Record<string, unknown>>): { taskDefinition: Record<string, unknown>; containers: string[] } {
  const mappings = Array.isArray(entry['containerMappings']) ? entry['containerMappings'].filter(isObject) : [];
  const containers = [...new Set(mappings.map((mapping) => text(mapping['containerName'])).filter((name): name is string => name !== undefined))];
  const ports = new Map<string, Set<number>>(containers.map((name) => [name, new Set<number>()]));
  const reach = (container: string | undefined, containerPort: number | undefined) => {
    // A mapping without a container reaches the first one (the server group's own, in clouddriver's words).
    const name = container ?? containers[0];
    if (name === undefined || containerPort === undefined) return;
    if (!ports.has(name)) {
      containers.push(name);
      ports.set(name, new Set());
    }
    ports.get(name)!.add(containerPort);
  };
  for (const mapping of Array.isArray(entry['targetGroupMappings']) ? entry['targetGroupMappings'].filter(isObject) : []) reach(text(mapping['containerName']), port(mapping['containerPort']));
  if (text(entry['targetGroup']) !== undefined) reach(text(entry['loadBalancedContainer']), port(entry['containerPort']));
  if (containers.length === 0) containers.push('app');
  const ec2 = text(entry['launchType']) === 'EC2';
  const networkMode = text(entry['networkMode']) ?? 'awsvpc';
  const family = clusterName(text(entry['application']) ?? 'app', text(entry['stack']), text(entry['freeFormDetails']));
  const taskDefinition: Record<string, unknown> = {
    family,
    ...(networkMode !== 'default' ? { networkMode } : {}),
    requiresCompatibilities: [ec2 ? 'EC2' : 'FARGATE'],
    cpu: String(whole(entry['computeUnits']) ?? 256),
    memory: String(whole(entry['reservedMemory']) ?? 512),
    containerDefinitions: containers.map((name) => ({
      name,
      // containerMappings name the image each container runs; the deploy replaces this one.
      image: 'replaced-by-containerMappings',
      essential: true,
      portMappings: [...(ports.get(name) ?? [])].map((containerPort) => ({ containerPort, protocol: 'tcp' })),
    })),
  };
  return { taskDefinition, containers };
}

const artifactKey = (artifact: AssumedArtifact) => `${artifact.artifactAccount}|${artifact.type}|${artifact.reference}|${artifact.version ?? ''}`;

/** Creates the sandbox's artifact accounts, empty. */
export function createSandboxArtifacts(): SandboxArtifacts {
  const accounts = new Map<string, MemoryArtifactAccount>();
  const seeded = new Set<string>();
  const images: JsonObject[] = [];
  const accountNamed = (name: string): MemoryArtifactAccount => {
    let account = accounts.get(name);
    if (!account) {
      account = createMemoryArtifactAccount({ name });
      accounts.set(name, account);
    }
    return account;
  };
  return {
    port: {
      get types() {
        return createArtifactAccounts({ accounts: Object.fromEntries(accounts) }).types;
      },
      fetch: (artifact) => createArtifactAccounts({ accounts: Object.fromEntries(accounts) }).fetch(artifact),
    },
    seed(world) {
      const report: SeededArtifact[] = [];
      for (const artifact of world.artifacts) {
        const key = artifactKey(artifact);
        if (seeded.has(key)) continue;
        seeded.add(key);
        const { taskDefinition, containers } = sandboxTaskDefinition(artifact.entry);
        accountNamed(artifact.artifactAccount).put(artifact, `${JSON.stringify(taskDefinition, null, 2)}\n`);
        const launch = (taskDefinition['requiresCompatibilities'] as string[])[0] === 'EC2' ? 'EC2' : 'Fargate';
        report.push({
          kind: 'artifact',
          id: `${artifact.type} ${artifact.reference}${artifact.version ? `@${artifact.version}` : ''}`,
          detail: `generated ${launch} task definition, containers ${containers.join(', ')}; account ${artifact.artifactAccount}`,
        });
      }
      for (const name of world.triggerImages) {
        if (images.some((image) => image['name'] === name)) continue;
        images.push({ type: 'docker/image', name });
        report.push({
          kind: 'trigger image',
          id: `${name}:${SANDBOX_IMAGE_TAG}`,
          detail: `docker/image on the manual trigger for imageDescription.fromTrigger, which a manual run lacks; the service it replaces runs :${SANDBOX_PREVIOUS_TAG}`,
        });
      }
      return report;
    },
    triggerArtifacts: (tag = SANDBOX_IMAGE_TAG) => images.map((image) => ({ ...image, version: tag, reference: `${String(image['name'])}:${tag}` })),
    put(artifact, text) {
      const key = `${artifact.artifactAccount}|${artifact.type}|${artifact.reference}|${artifact.version ?? ''}`;
      if (seeded.has(key)) return false;
      seeded.add(key);
      accountNamed(artifact.artifactAccount).put(artifact, text);
      return true;
    },
    holds(artifact) {
      if (artifact.artifactAccount !== undefined && artifact.artifactAccount !== '') return accounts.has(artifact.artifactAccount);
      return [...accounts.values()].some((account) => account.types.includes(artifact.type));
    },
  };
}
