/**
 * The provider fields of a Kubernetes cluster entry in a deploy stage: what the ReplicaSet's one
 * container runs besides the `docker/image` artifact. Unknown fields are ignored (clouddriver
 * ignores what it does not read); a field read with a wrong value is refused in one line naming
 * it, its value and the fix.
 */
import { z } from 'zod';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A Service name, alone or as Spinnaker writes it (`service my-svc`). */
const SERVICE = /^(service\s+)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/i;

const schema = z.object({
  containerName: z.string({ error: 'give a container name' }).regex(DNS_LABEL, { error: 'a container name is lowercase letters, digits and "-", e.g. "web"' }).optional(),
  containerPort: z.number({ error: 'give a port number, e.g. 8080' }).int({ error: 'give a whole port number' }).min(1, { error: 'give a port from 1 to 65535' }).max(65535, { error: 'give a port from 1 to 65535' }).optional(),
  env: z.record(z.string(), z.string({ error: 'give every value as a string' }), { error: 'give environment variables as {"NAME": "value"}' }).optional(),
  command: z.array(z.string(), { error: 'give the command as a list of strings' }).optional(),
  args: z.array(z.string(), { error: 'give the arguments as a list of strings' }).optional(),
  loadBalancers: z
    .array(z.string().trim().regex(SERVICE, { error: 'name a Service of the namespace, e.g. "service web" or "web"' }), { error: 'give a list of Services, e.g. ["service web"]' })
    .optional(),
});

/** A Kubernetes cluster entry's provider fields, parsed. */
export interface KubernetesClusterConfig {
  readonly containerName?: string;
  readonly containerPort?: number;
  readonly env: Readonly<Record<string, string>>;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  /** Service names (without `service `): the Services whose selectors put the server group in traffic. */
  readonly services: readonly string[];
}

export type ParsedClusterConfig = { readonly ok: true; readonly config: KubernetesClusterConfig } | { readonly ok: false; readonly message: string };

function show(value: unknown): string {
  const json = JSON.stringify(value);
  return json === undefined ? 'missing' : json.length > 60 ? `${json.slice(0, 59)}…` : json;
}

/** Parses the entry's provider fields; the first bad one is answered. */
export function parseKubernetesClusterConfig(provider: Readonly<Record<string, unknown>> | undefined): ParsedClusterConfig {
  const input = provider ?? {};
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((key): key is string | number => typeof key === 'string' || typeof key === 'number');
    let value: unknown = input;
    for (const key of path) value = typeof value === 'object' && value !== null ? (value as Record<string | number, unknown>)[key] : undefined;
    const field = path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${key}`)).join('');
    return { ok: false, message: `provider field ${field} is ${show(value)}; ${issue.message}` };
  }
  const fields = parsed.data;
  return {
    ok: true,
    config: {
      ...(fields.containerName !== undefined ? { containerName: fields.containerName } : {}),
      ...(fields.containerPort !== undefined ? { containerPort: fields.containerPort } : {}),
      env: fields.env ?? {},
      ...(fields.command ? { command: fields.command } : {}),
      ...(fields.args ? { args: fields.args } : {}),
      services: [...new Set((fields.loadBalancers ?? []).map((entry) => entry.replace(/^service\s+/i, '')))],
    },
  };
}
