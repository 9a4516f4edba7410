/**
 * `docker` triggers (ECR image pushes arrive through EventBridge): Echo's rule
 * (reference/spinnaker.md §1.8, AbstractOCIRegistryEventHandler): `repository` equal, `account`
 * equal when the trigger names one, `registry` equal (case-insensitively, it is a host name) when
 * the trigger names one; a blank `tag` accepts every tag but `latest`, otherwise the tag must
 * match the whole regex. For ECR, `account` is the AWS account id of the registry.
 */
import type { Pipeline } from '../pipeline/model.ts';
import type { DockerTrigger } from '../pipeline/triggers/index.ts';
import type { TriggerMatch } from './match.ts';
import { equalsIgnoreCase, fullMatch, isBlank, keyPart, matchFirstTriggers, pipelineRef, publicTriggerFields } from './match.ts';

export interface DockerEvent {
  readonly account?: string;
  /** e.g. `123456789012.dkr.ecr.us-west-2.amazonaws.com`. */
  readonly registry: string;
  /** e.g. `my-org/hello` (ECR's `repository-name`). */
  readonly repository: string;
  readonly tag: string;
  readonly digest?: string;
  /** The EventBridge event id when there is one: EventBridge redelivers with the same id. */
  readonly eventId?: string;
}

export function tagMatches(pattern: string | undefined, tag: string): boolean {
  return isBlank(pattern) ? tag !== 'latest' : fullMatch(pattern as string, tag);
}

/** The pipelines an image push starts. */
export function matchDockerTrigger(pipelines: readonly Pipeline[], event: DockerEvent): TriggerMatch<DockerTrigger>[] {
  return matchFirstTriggers<DockerTrigger, true>(pipelines, 'docker', ({ config }) => {
    if (config.repository === undefined || config.repository !== event.repository) return undefined;
    if (!isBlank(config.account) && config.account !== event.account) return undefined;
    if (!isBlank(config.registry) && !equalsIgnoreCase(config.registry, event.registry)) return undefined;
    return tagMatches(config.tag, event.tag) ? true : undefined;
  }).map(({ pipeline, definition }) => {
    const name = `${event.registry}/${event.repository}`;
    const reference = event.digest === undefined ? `${name}:${event.tag}` : `${name}@${event.digest}`;
    // Same image (digest, or tag when there is none) → same key; EventBridge's id is not stable across a re-push.
    const imageId = event.digest ?? event.eventId ?? event.tag;
    return {
      pipeline,
      definition,
      idempotencyKey: ['docker', keyPart(name), keyPart(event.tag), keyPart(imageId), keyPart(pipelineRef(pipeline))].join(':'),
      trigger: {
        ...publicTriggerFields(definition),
        type: 'docker',
        user: '[docker]',
        ...(event.account === undefined ? {} : { account: event.account }),
        registry: event.registry,
        repository: event.repository,
        tag: event.tag,
        ...(event.digest === undefined ? {} : { digest: event.digest }),
        parameters: {},
        artifacts: [{ type: 'docker/image', name, version: event.tag, reference }],
      },
    };
  });
}
