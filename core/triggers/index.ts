/**
 * Trigger matching: pure functions from an event and the saved pipelines to the executions to
 * start, shared by the local server and the cloud trigger router (reference/spinnaker.md §1.8).
 */
export type { TriggerMatch } from './match.ts';
export { fullMatch, findMatch, pipelineRef } from './match.ts';
export type { WebhookEvent } from './webhook-match.ts';
export { matchWebhookTrigger, payloadMeetsConstraints } from './webhook-match.ts';
export type { GitEvent } from './git-match.ts';
export { gitTriggerAccepts, matchGitTrigger } from './git-match.ts';
export type { GitWebhookParseResult } from './git-webhook.ts';
export { parseGitWebhook } from './git-webhook.ts';
export type { DockerEvent } from './docker-match.ts';
export { matchDockerTrigger, tagMatches } from './docker-match.ts';
export { matchPipelineTrigger, triggerStatusOf } from './pipeline-match.ts';
export type { PubsubEvent } from './pubsub-match.ts';
export { attributesMeetConstraints, matchPubsubTrigger } from './pubsub-match.ts';
export type { DueCronTrigger } from './cron-due.ts';
export { dueCronTriggers, latestFireTime } from './cron-due.ts';
export type { EventSignature, HeaderMap, SignatureVerifier } from './signature.ts';
export { acceptsSignature, readEventSignature, triggerSecret } from './signature.ts';
export { listTriggerablePipelines, pipelinesFromConfigs } from './pipeline-source.ts';
export { parseSimpleJsonPath, readPayloadValue } from './json-path.ts';
