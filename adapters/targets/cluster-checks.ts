/**
 * The pure save-time checks of deploy cluster entries, by cloud provider (core/ports/cluster-checks.ts):
 * what the composition roots hand the execution service and `gennaker validate`. Each check is its
 * adapter's own (its schema, its rules); none of them calls a cloud or loads an SDK client.
 */
import type { ClusterFieldChecks } from '../../core/ports/cluster-checks.ts';
import { checkEc2ClusterEntry } from './aws-ec2/cluster-check.ts';
import { checkEcsClusterEntry } from './aws-ecs/cluster-check.ts';
import { checkGceClusterEntry } from './gce/cluster-check.ts';

/** `aws` (EC2 Auto Scaling groups), `ecs` and `gce` entries; other clouds are checked when their stages run. */
export const CLUSTER_FIELD_CHECKS: ClusterFieldChecks = {
  aws: checkEc2ClusterEntry,
  ecs: checkEcsClusterEntry,
  gce: checkGceClusterEntry,
};
