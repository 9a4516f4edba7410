/**
 * The stage types Gennaker runs: a discriminated union on `type`, one file per type, and a
 * registry the parser and the compiler look types up in. Spinnaker's other stage types are
 * listed so validation can say "not supported yet" instead of "unknown".
 */
import type { TaskStep } from '../model.ts';
import type { StageTypeDefinition } from './definition.ts';
import { awsCodeBuildStageType } from './aws-code-build.ts';
import type { AwsCodeBuildStage } from './aws-code-build.ts';
import { bakeStageType } from './bake.ts';
import type { BakeStage } from './bake.ts';
import { checkPreconditionsStageType } from './check-preconditions.ts';
import { cloneServerGroupStageType } from './clone-server-group.ts';
import { continueServiceDeploymentStageType } from './continue-service-deployment.ts';
import type { ContinueServiceDeploymentStage } from './continue-service-deployment.ts';
import type { CloneServerGroupStage } from './clone-server-group.ts';
import type { CheckPreconditionsStage } from './check-preconditions.ts';
import { deployStageType } from './deploy.ts';
import type { DeployStage } from './deploy.ts';
import { deleteManifestStageType } from './delete-manifest.ts';
import type { DeleteManifestStage } from './delete-manifest.ts';
import { deployManifestStageType } from './deploy-manifest.ts';
import type { DeployManifestStage } from './deploy-manifest.ts';
import { destroyServerGroupStageType } from './destroy-server-group.ts';
import type { DestroyServerGroupStage } from './destroy-server-group.ts';
import { disableClusterStageType } from './disable-cluster.ts';
import type { DisableClusterStage } from './disable-cluster.ts';
import { disableServerGroupStageType } from './disable-server-group.ts';
import type { DisableServerGroupStage } from './disable-server-group.ts';
import { enableServerGroupStageType } from './enable-server-group.ts';
import type { EnableServerGroupStage } from './enable-server-group.ts';
import { evaluateVariablesStageType } from './evaluate-variables.ts';
import type { EvaluateVariablesStage } from './evaluate-variables.ts';
import { findArtifactFromExecutionStageType } from './find-artifact-from-execution.ts';
import type { FindArtifactFromExecutionStage } from './find-artifact-from-execution.ts';
import { findImageFromTagsStageType } from './find-image-from-tags.ts';
import type { FindImageFromTagsStage } from './find-image-from-tags.ts';
import { findImageStageType } from './find-image.ts';
import type { FindImageStage } from './find-image.ts';
import { kayentaCanaryStageType } from './kayenta-canary.ts';
import type { KayentaCanaryStage } from './kayenta-canary.ts';
import { LAMBDA_DELETE_TYPES, lambdaDeleteStageTypes } from './lambda-delete.ts';
import type { LambdaDeleteStage } from './lambda-delete.ts';
import { LAMBDA_DEPLOYMENT_TYPES, lambdaDeploymentStageTypes } from './lambda-deployment.ts';
import type { LambdaDeploymentStage } from './lambda-deployment.ts';
import { LAMBDA_INVOKE_TYPES, lambdaInvokeStageTypes } from './lambda-invoke.ts';
import type { LambdaInvokeStage } from './lambda-invoke.ts';
import { LAMBDA_TRAFFIC_ROUTING_TYPES, lambdaTrafficRoutingStageTypes } from './lambda-traffic-routing.ts';
import type { LambdaTrafficRoutingStage } from './lambda-traffic-routing.ts';
import { LAMBDA_UPDATE_CODE_TYPES, lambdaUpdateCodeStageTypes } from './lambda-update-code.ts';
import type { LambdaUpdateCodeStage } from './lambda-update-code.ts';
import { findArtifactsFromResourceStageType } from './find-artifacts-from-resource.ts';
import type { FindArtifactsFromResourceStage } from './find-artifacts-from-resource.ts';
import { patchManifestStageType } from './manifest-patch.ts';
import type { PatchManifestStage } from './manifest-patch.ts';
import { pauseRolloutManifestStageType, resumeRolloutManifestStageType, rollingRestartManifestStageType } from './manifest-rollout.ts';
import type { PauseRolloutManifestStage, ResumeRolloutManifestStage, RollingRestartManifestStage } from './manifest-rollout.ts';
import { scaleManifestStageType } from './manifest-scale.ts';
import type { ScaleManifestStage } from './manifest-scale.ts';
import { disableManifestStageType, enableManifestStageType } from './manifest-traffic.ts';
import type { DisableManifestStage, EnableManifestStage } from './manifest-traffic.ts';
import { undoRolloutManifestStageType } from './manifest-undo-rollout.ts';
import type { UndoRolloutManifestStage } from './manifest-undo-rollout.ts';
import { manualJudgmentStageType } from './manual-judgment.ts';
import type { ManualJudgmentStage } from './manual-judgment.ts';
import { pipelineStageType } from './pipeline.ts';
import type { PipelineStage } from './pipeline.ts';
import { resizeServerGroupStageType } from './resize-server-group.ts';
import type { ResizeServerGroupStage } from './resize-server-group.ts';
import { rollbackClusterStageType } from './rollback-cluster.ts';
import type { RollbackClusterStage } from './rollback-cluster.ts';
import { rollbackServerGroupStageType } from './rollback-server-group.ts';
import type { RollbackServerGroupStage } from './rollback-server-group.ts';
import { runJobManifestStageType } from './run-job-manifest.ts';
import type { RunJobManifestStage } from './run-job-manifest.ts';
import { runJobStageType } from './run-job.ts';
import type { RunJobStage } from './run-job.ts';
import { scaleDownClusterStageType } from './scale-down-cluster.ts';
import type { ScaleDownClusterStage } from './scale-down-cluster.ts';
import { shrinkClusterStageType } from './shrink-cluster.ts';
import type { ShrinkClusterStage } from './shrink-cluster.ts';
import { waitUntilStageType } from './wait-until.ts';
import type { WaitUntilStage } from './wait-until.ts';
import { waitStageType } from './wait.ts';
import type { WaitStage } from './wait.ts';
import { webhookStageType } from './webhook.ts';
import type { WebhookStage } from './webhook.ts';

export type { StageTypeDefinition } from './definition.ts';
export type { AwsCodeBuildConfig, AwsCodeBuildStage, CodeBuildSource, CodeBuildSourceArtifact } from './aws-code-build.ts';
export type { BakeConfig, BakeStage } from './bake.ts';
export type { CheckPreconditionsConfig, CheckPreconditionsStage, ClusterSizeComparison, ClusterSizePrecondition, Precondition } from './check-preconditions.ts';
export type { DeployClusterConfig, DeployConfig, DeployStage, DeployStrategy } from './deploy.ts';
export type { CloneServerGroupConfig, CloneServerGroupStage, CloneSource } from './clone-server-group.ts';
export type { DeleteManifestConfig, DeleteManifestStage, ManifestSelectorConfig } from './delete-manifest.ts';
export type { DeployManifestConfig, DeployManifestStage, ManifestMoniker, TrafficManagementConfig } from './deploy-manifest.ts';
export type { DestroyServerGroupConfig, DestroyServerGroupStage } from './destroy-server-group.ts';
export type { DisableClusterConfig, DisableClusterStage } from './disable-cluster.ts';
export type { DisableServerGroupConfig, DisableServerGroupStage } from './disable-server-group.ts';
export type { EnableServerGroupConfig, EnableServerGroupStage } from './enable-server-group.ts';
export type { EvaluateVariablesConfig, EvaluateVariablesStage } from './evaluate-variables.ts';
export type { FindArtifactExecutionOptions, FindArtifactFromExecutionConfig, FindArtifactFromExecutionStage } from './find-artifact-from-execution.ts';
export type { FindImageFromTagsConfig, FindImageFromTagsStage } from './find-image-from-tags.ts';
export type { FindImageConfig, FindImageStage, ImageSelectionStrategy } from './find-image.ts';
export type { AnalysisType, CanaryScope, KayentaCanaryConfig, KayentaCanaryStage } from './kayenta-canary.ts';
export type { LambdaArtifact, LambdaLocation, LambdaVersionSelector } from './lambda-common.ts';
export type { LambdaDeleteConfig, LambdaDeleteStage, LambdaDeleteType } from './lambda-delete.ts';
export type { LambdaDeploymentConfig, LambdaDeploymentStage, LambdaDeploymentType } from './lambda-deployment.ts';
export type { LambdaInvokeConfig, LambdaInvokeStage, LambdaInvokeType } from './lambda-invoke.ts';
export type { LambdaDeploymentStrategy, LambdaTrafficRoutingConfig, LambdaTrafficRoutingStage, LambdaTrafficRoutingType } from './lambda-traffic-routing.ts';
export type { LambdaUpdateCodeConfig, LambdaUpdateCodeStage, LambdaUpdateCodeType } from './lambda-update-code.ts';
export type { FindArtifactsFromResourceConfig, FindArtifactsFromResourceStage } from './find-artifacts-from-resource.ts';
export type { ManifestSource, PatchManifestConfig, PatchManifestStage, PatchMergeStrategy } from './manifest-patch.ts';
export type { ManifestRolloutConfig, PauseRolloutManifestStage, ResumeRolloutManifestStage, RollingRestartManifestStage } from './manifest-rollout.ts';
export type { ScaleManifestConfig, ScaleManifestStage } from './manifest-scale.ts';
export type { ManifestCriteria, ManifestMode, ManifestTargetConfig } from './manifest-target.ts';
export type { DisableManifestStage, EnableManifestStage, ManifestTrafficConfig } from './manifest-traffic.ts';
export type { UndoRolloutManifestConfig, UndoRolloutManifestStage } from './manifest-undo-rollout.ts';
export type { ManualJudgmentConfig, ManualJudgmentStage } from './manual-judgment.ts';
export type { PipelineStage, PipelineStageConfig } from './pipeline.ts';
export type { Capacity, ResizeAction, ResizeServerGroupConfig, ResizeServerGroupStage } from './resize-server-group.ts';
export type { RollbackClusterConfig, RollbackClusterStage } from './rollback-cluster.ts';
export type { RollbackServerGroupConfig, RollbackServerGroupStage, RollbackType } from './rollback-server-group.ts';
export type { RunJobConfig, RunJobStage } from './run-job.ts';
export type { RunJobManifestConfig, RunJobManifestStage } from './run-job-manifest.ts';
export type { ScaleDownClusterConfig, ScaleDownClusterStage } from './scale-down-cluster.ts';
export type { ClusterLocation, ServerGroupTarget, ServerGroupTargetConfig } from './server-group-target.ts';
export type { ContinueServiceDeploymentConfig, ContinueServiceDeploymentStage } from './continue-service-deployment.ts';
export type { ShrinkClusterConfig, ShrinkClusterStage } from './shrink-cluster.ts';
export type { WaitUntilConfig, WaitUntilStage } from './wait-until.ts';
export type { WaitConfig, WaitStage } from './wait.ts';
export type { StatusUrlResolution, WebhookConfig, WebhookMethod, WebhookStage } from './webhook.ts';
export { CODE_BUILD_MAX_POLLS, CODE_BUILD_TIMEOUT_MS } from './aws-code-build.ts';
export { DEFAULT_JUDGMENT_TIMEOUT_SECONDS } from './manual-judgment.ts';
export { DEFAULT_SCORE_THRESHOLDS, canaryIntervalCount, canaryLifetimeMinutes, parseIsoDurationMinutes } from './kayenta-canary.ts';
export { DEPLOY_STRATEGIES, planCluster } from './deploy.ts';
export { SERVER_GROUP_TARGETS } from './server-group-target.ts';
export { trafficStrategyOf } from './deploy-manifest.ts';
export { deleteTargetMode } from './delete-manifest.ts';
export { LAMBDA_VERSION_SELECTORS, artifactText } from './lambda-common.ts';
export { LAMBDA_DELETE_TYPES } from './lambda-delete.ts';
export { LAMBDA_DEPLOYMENT_TYPES, LAMBDA_MAX_POLLS } from './lambda-deployment.ts';
export { LAMBDA_INVOKE_TYPES } from './lambda-invoke.ts';
export { LAMBDA_DEPLOYMENT_STRATEGIES, LAMBDA_TRAFFIC_ROUTING_TYPES } from './lambda-traffic-routing.ts';
export { LAMBDA_UPDATE_CODE_TYPES } from './lambda-update-code.ts';
export { MANIFEST_CRITERIA, MANIFEST_MODES } from './manifest-target.ts';
export { PATCH_MERGE_STRATEGIES, patchBodyProblems, patchEntries } from './manifest-patch.ts';
export { checkJobManifest, jobManifestProblems } from './run-job-manifest.ts';
export { isKubernetesRunJob } from './run-job.ts';

/** A parsed stage: `StageBase<'wait', WaitConfig>` and so on, told apart by `type`. */
export type Stage =
  | WaitStage
  | WaitUntilStage
  | ManualJudgmentStage
  | CheckPreconditionsStage
  | EvaluateVariablesStage
  | WebhookStage
  | PipelineStage
  | DeployStage
  | CloneServerGroupStage
  | ContinueServiceDeploymentStage
  | DisableServerGroupStage
  | EnableServerGroupStage
  | ResizeServerGroupStage
  | DestroyServerGroupStage
  | RollbackClusterStage
  | RollbackServerGroupStage
  | ScaleDownClusterStage
  | ShrinkClusterStage
  | DisableClusterStage
  | KayentaCanaryStage
  | BakeStage
  | AwsCodeBuildStage
  | FindImageStage
  | FindArtifactFromExecutionStage
  | FindImageFromTagsStage
  | RunJobStage
  | LambdaDeploymentStage
  | LambdaUpdateCodeStage
  | LambdaTrafficRoutingStage
  | LambdaInvokeStage
  | LambdaDeleteStage
  | ManifestOperationStage
  | RunJobManifestStage
  | DeployManifestStage
  | DeleteManifestStage;

/** Spinnaker's Kubernetes stages that apply manifests and delete objects. */
export type ManifestStage = DeployManifestStage | DeleteManifestStage;

/**
 * Spinnaker's Kubernetes stages that act on live objects (deployManifest and deleteManifest
 * aside): each takes an account, a namespace and an object by name or by dynamic target.
 */
export type ManifestOperationStage =
  | ScaleManifestStage
  | PatchManifestStage
  | UndoRolloutManifestStage
  | EnableManifestStage
  | DisableManifestStage
  | FindArtifactsFromResourceStage
  | RollingRestartManifestStage
  | PauseRolloutManifestStage
  | ResumeRolloutManifestStage;

/** The types of ManifestOperationStage and Kubernetes' Run Job: the stages that name a Kubernetes `account`. */
export const MANIFEST_OPERATION_STAGE_TYPES = [
  'scaleManifest',
  'patchManifest',
  'undoRolloutManifest',
  'enableManifest',
  'disableManifest',
  'findArtifactsFromResource',
  'rollingRestartManifest',
  'pauseRolloutManifest',
  'resumeRolloutManifest',
  'runJobManifest',
] as const satisfies ReadonlyArray<ManifestOperationStage['type'] | RunJobManifestStage['type']>;

/** Spinnaker's Lambda stages, under both of their names. */
export type LambdaStage = LambdaDeploymentStage | LambdaUpdateCodeStage | LambdaTrafficRoutingStage | LambdaInvokeStage | LambdaDeleteStage;

export type StageType = Stage['type'];

/**
 * The registry. The definitions' plans take their own stage type, so storing them under the
 * general `StageTypeDefinition` is a widening the type system cannot prove; lookups go by the
 * same `type` the definition declares, which keeps it sound.
 */
const REGISTRY: { readonly [T in StageType]: StageTypeDefinition<T, Extract<Stage, { type: T }>['config']> } = {
  awsCodeBuild: awsCodeBuildStageType,
  bake: bakeStageType,
  checkPreconditions: checkPreconditionsStageType,
  cloneServerGroup: cloneServerGroupStageType,
  continueServiceDeployment: continueServiceDeploymentStageType,
  deploy: deployStageType,
  deleteManifest: deleteManifestStageType,
  deployManifest: deployManifestStageType,
  destroyServerGroup: destroyServerGroupStageType,
  disableCluster: disableClusterStageType,
  disableServerGroup: disableServerGroupStageType,
  enableServerGroup: enableServerGroupStageType,
  disableManifest: disableManifestStageType,
  enableManifest: enableManifestStageType,
  evaluateVariables: evaluateVariablesStageType,
  findArtifactFromExecution: findArtifactFromExecutionStageType,
  findArtifactsFromResource: findArtifactsFromResourceStageType,
  findImage: findImageStageType,
  findImageFromTags: findImageFromTagsStageType,
  kayentaCanary: kayentaCanaryStageType,
  manualJudgment: manualJudgmentStageType,
  patchManifest: patchManifestStageType,
  pauseRolloutManifest: pauseRolloutManifestStageType,
  pipeline: pipelineStageType,
  resizeServerGroup: resizeServerGroupStageType,
  rollbackCluster: rollbackClusterStageType,
  rollbackServerGroup: rollbackServerGroupStageType,
  resumeRolloutManifest: resumeRolloutManifestStageType,
  rollingRestartManifest: rollingRestartManifestStageType,
  runJob: runJobStageType,
  runJobManifest: runJobManifestStageType,
  scaleDownCluster: scaleDownClusterStageType,
  scaleManifest: scaleManifestStageType,
  shrinkCluster: shrinkClusterStageType,
  undoRolloutManifest: undoRolloutManifestStageType,
  wait: waitStageType,
  waitUntil: waitUntilStageType,
  webhook: webhookStageType,
  ...lambdaDeploymentStageTypes,
  ...lambdaUpdateCodeStageTypes,
  ...lambdaTrafficRoutingStageTypes,
  ...lambdaInvokeStageTypes,
  ...lambdaDeleteStageTypes,
};

/** Spinnaker's Kubernetes stages named `<verb>Manifest`, supported or not. */
const SPINNAKER_MANIFEST_TYPES: readonly string[] = [
  'bakeManifest',
  'deleteManifest',
  'deployManifest',
  'disableManifest',
  'enableManifest',
  'patchManifest',
  'pauseRolloutManifest',
  'resumeRolloutManifest',
  'rollingRestartManifest',
  'runJobManifest',
  'scaleManifest',
  'undoRolloutManifest',
];

/** The stage types Gennaker runs, sorted. */
export const SUPPORTED_STAGE_TYPES: readonly string[] = Object.keys(REGISTRY).sort();

/** SUPPORTED_STAGE_TYPES as validation messages name them (summarizeStageTypes). */
export const SUPPORTED_STAGE_TYPES_SUMMARY: string = summarizeStageTypes(SUPPORTED_STAGE_TYPES);

/**
 * The supported types for a message, short enough for one line: the server-group and cluster
 * stages grouped by their common ending (`{enable,disable}ServerGroup`), the Lambda stages (each
 * also under its Orca name) as `Aws.Lambda*Stage`, the find stages as `find{Image,...}`, and
 * Spinnaker's Kubernetes stages as `Kubernetes *Manifest`.
 */
export function summarizeStageTypes(types: readonly string[]): string {
  const lambda = new Set<string>([...LAMBDA_DEPLOYMENT_TYPES, ...LAMBDA_UPDATE_CODE_TYPES, ...LAMBDA_TRAFFIC_ROUTING_TYPES, ...LAMBDA_INVOKE_TYPES, ...LAMBDA_DELETE_TYPES]);
  const manifests = types.filter((type) => SPINNAKER_MANIFEST_TYPES.includes(type));
  const grouped = manifests.length >= 2 ? new Set(manifests) : new Set<string>();
  const rest = types.filter((type) => !lambda.has(type) && !grouped.has(type));
  const groups: string[] = [];
  let single = rest;
  for (const suffix of ['ServerGroup', 'Cluster']) {
    const members = single.filter((type) => type.endsWith(suffix) && type.length > suffix.length);
    if (members.length < 2) continue;
    single = single.filter((type) => !members.includes(type));
    groups.push(`{${members.map((type) => type.slice(0, -suffix.length)).join(',')}}${suffix}`);
  }
  // The find stages by their common beginning: find{Image,ImageFromTags}.
  const finds = single.filter((type) => type.startsWith('find') && type.length > 'find'.length);
  if (finds.length >= 2) {
    single = single.filter((type) => !finds.includes(type));
    groups.unshift(`find{${finds.map((type) => type.slice('find'.length)).join(',')}}`);
  }
  // Named by the family alone: which of Spinnaker's *Manifest stages is missing, the message about it says.
  if (grouped.size > 0) groups.push('Kubernetes *Manifest');
  const hasLambda = types.some((type) => lambda.has(type));
  return [...[...single].sort(), ...groups, ...(hasLambda ? ['Aws.Lambda*Stage'] : [])].join(', ');
}

/**
 * Spinnaker's stage catalog (reference/spinnaker.md §1.3, with its complete list of Orca stage
 * types), supported ones included, sorted. A type here but not in SUPPORTED_STAGE_TYPES is
 * "not supported yet"; a type in neither is unknown.
 */
export const KNOWN_SPINNAKER_STAGE_TYPES: readonly string[] = [
  ...new Set([
    ...SUPPORTED_STAGE_TYPES,
    'acaTask',
    'applySourceServerGroupCapacity',
    'awsCodeBuild',
    'bakeManifest',
    'canary',
    'concourse',
    'createServerGroup',
    'deleteCloudFormation',
    'deleteManifest',
    'dependsOnExecution',
    'deployCloudFormation',
    'deployManifest',
    'evaluateArtifacts',
    'evaluateDeploymentHealth',
    'findArtifactFromExecution',
    'googleCloudBuild',
    'gremlin',
    'importDeliveryConfig',
    'jenkins',
    'jira',
    'lambdaDelete',
    'lambdaDeployment',
    'lambdaInvoke',
    'lambdaTrafficRouting',
    'lambdaUpdateCode',
    'modifyAwsScalingProcess',
    'modifyWarmPool',
    'monitorPipeline',
    'preconfiguredJob',
    'preconfiguredWebhook',
    'restrictExecutionDuringTimeWindow',
    'rollingPush',
    'runMultiplePipelines',
    'savePipelinesFromArtifact',
    'script',
    'travis',
    'upsertEntityTags',
    'upsertImageTags',
    'upsertLoadBalancers',
    'upsertScalingPolicy',
    'waitForCondition',
  ]),
].sort();

export function isSupportedStageType(type: string): type is StageType {
  return Object.prototype.hasOwnProperty.call(REGISTRY, type);
}

export function getStageType(type: string): StageTypeDefinition | undefined {
  return isSupportedStageType(type) ? (REGISTRY[type] as unknown as StageTypeDefinition) : undefined;
}

/** The task steps the compiler emits for a parsed stage. */
export function planStage(stage: Stage): readonly TaskStep[] {
  return (REGISTRY[stage.type] as unknown as StageTypeDefinition).plan(stage as never);
}
