/**
 * The stage types whose tasks run without optional deps, in a module of their own: the
 * execution service refuses pipelines by this list, and importing it from stage-runner.ts would
 * pull the whole runner (every stage task, the expression language) into each bundle that only
 * starts executions, such as the API's.
 */
import {
  isKubernetesRunJob,
  LAMBDA_DELETE_TYPES,
  LAMBDA_DEPLOYMENT_TYPES,
  LAMBDA_INVOKE_TYPES,
  LAMBDA_TRAFFIC_ROUTING_TYPES,
  LAMBDA_UPDATE_CODE_TYPES,
  MANIFEST_OPERATION_STAGE_TYPES,
  type Stage,
  type StageType,
} from '../pipeline/index.ts';

/** Stage types whose tasks run today; a pipeline with any other stage would fail at that stage. */
export const RUNNABLE_STAGE_TYPES: readonly StageType[] = ['checkPreconditions', 'evaluateVariables', 'findArtifactFromExecution', 'manualJudgment', 'pipeline', 'wait', 'waitUntil', 'webhook'];

/** Spinnaker's Lambda stages, under both names; they run on accounts whose target has functions (`Target.functions`). */
export const LAMBDA_STAGE_TYPES: readonly StageType[] = [
  ...LAMBDA_DEPLOYMENT_TYPES,
  ...LAMBDA_UPDATE_CODE_TYPES,
  ...LAMBDA_TRAFFIC_ROUTING_TYPES,
  ...LAMBDA_INVOKE_TYPES,
  ...LAMBDA_DELETE_TYPES,
];

/** Spinnaker's Kubernetes stages; they run on accounts whose target has a cluster (`Target.manifests`). */
export const MANIFEST_STAGE_TYPES: readonly StageType[] = [...MANIFEST_OPERATION_STAGE_TYPES, 'deployManifest', 'deleteManifest'];

/**
 * Stage types that run when the runner has deploy targets (`StageRunnerDeps.targets`); without
 * them they fail with `cannotRunYet`. The execution service runs them where its composition root
 * wires targets (locally with the local target or the sandbox, on AWS with configured accounts).
 */
export const DEPLOY_TARGET_STAGE_TYPES: readonly StageType[] = [
  'enableServerGroup',
  'disableServerGroup',
  'resizeServerGroup',
  'destroyServerGroup',
  'disableCluster',
  'scaleDownCluster',
  'shrinkCluster',
  'rollbackCluster',
  'deploy',
  'cloneServerGroup',
  'continueServiceDeployment',
  'rollbackServerGroup',
  'findImage',
  'awsCodeBuild',
  ...LAMBDA_STAGE_TYPES,
  ...MANIFEST_STAGE_TYPES,
];

/** Stage types that run when the runner has metric sources (`StageRunnerDeps.metrics`; on AWS, once an aws or ecs account is configured). */
export const METRIC_STAGE_TYPES: readonly StageType[] = ['kayentaCanary'];

/**
 * The type a stage runs as, for the lists above: a `runJob` with `cloudProvider: kubernetes` is
 * Kubernetes' Run Job, which runs on the account's cluster as `runJobManifest` does (a deploy
 * target's), not on the local job runner; every other stage runs as its own type.
 */
export function runnableTypeOf(stage: Stage): StageType {
  return stage.type === 'runJob' && isKubernetesRunJob(stage.config) ? 'runJobManifest' : stage.type;
}
