/** Small builders for cluster states in deploy and strategy tests. */
import type { Capacity, ClusterState, ServerGroup } from '../../../core/deploy/model.ts';

export interface ServerGroupShape {
  /** Instances Up. @default capacity.desired */
  readonly up?: number;
  readonly down?: number;
  readonly disabled?: boolean;
  readonly capacity?: Capacity;
  readonly location?: string;
}

/** A server group of `hello-prod` created at `createdTime`, all its desired instances Up unless told. */
export function serverGroup(name: string, createdTime: number, shape: ServerGroupShape = {}): ServerGroup {
  const capacity = shape.capacity ?? { min: 2, max: 2, desired: 2 };
  const up = shape.up ?? capacity.desired;
  return {
    name,
    cluster: name.replace(/-v[0-9]{3}$/, ''),
    account: 'local',
    location: shape.location ?? 'local',
    createdTime,
    capacity,
    disabled: shape.disabled ?? false,
    instances: [
      ...Array.from({ length: up }, (_, index) => ({ id: `${name}-up-${index}`, health: 'Up' as const })),
      ...Array.from({ length: shape.down ?? 0 }, (_, index) => ({ id: `${name}-down-${index}`, health: 'Down' as const })),
    ],
  };
}

export function cluster(serverGroups: readonly ServerGroup[], name = 'hello-prod'): ClusterState {
  return { account: 'local', location: 'local', cluster: name, serverGroups };
}
