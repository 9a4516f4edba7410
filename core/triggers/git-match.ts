/**
 * `git` triggers (`POST /webhooks/git/{source}`), Echo's GitEventHandler rule
 * (reference/spinnaker.md §1.8): `source`, `project` and `slug` equal case-insensitively;
 * `branch` blank or a regex matching the WHOLE branch name; the trigger's `events` list the
 * actions it accepts (empty: pushes only). The signature rule (a trigger with a `secret` needs a
 * valid signature, a signed event is refused by a trigger without one) is applied by the caller
 * with `acceptsSignature`, because verifying an HMAC needs crypto, which core/ does not import.
 */
import type { Pipeline } from '../pipeline/model.ts';
import type { GitTrigger } from '../pipeline/triggers/index.ts';
import type { TriggerMatch } from './match.ts';
import { equalsIgnoreCase, fullMatch, isBlank, keyPart, matchFirstTriggers, pipelineRef, publicTriggerFields } from './match.ts';

export interface GitEvent {
  /** github, gitlab, bitbucket or stash: the last segment of the webhook URL. */
  readonly source: string;
  /** Organization, user or namespace. */
  readonly project: string;
  /** Repository name. */
  readonly slug: string;
  /** Branch name without `refs/heads/` (a tag keeps its full `refs/tags/...` ref, as in Echo). */
  readonly branch: string;
  /** Commit id the branch now points at. */
  readonly hash: string;
  /** `push`, or the pull-request action (`opened`, `synchronize`, `pr:opened`...). */
  readonly action: string;
  /** The host's delivery id, when it sends one (kept on the trigger for tracing). */
  readonly deliveryId?: string;
  /** Extra facts for `trigger.properties` (pull-request number, title, state, draft). */
  readonly properties?: Readonly<Record<string, unknown>>;
}

function acceptsAction(events: readonly string[], action: string): boolean {
  if (events.length === 0) return action.toLowerCase() === 'push';
  return events.some((event) => equalsIgnoreCase(event, action));
}

/** Whether one git trigger accepts the event, signature aside. */
export function gitTriggerAccepts(trigger: GitTrigger, event: GitEvent): boolean {
  const { config } = trigger;
  return (
    equalsIgnoreCase(config.source, event.source) &&
    equalsIgnoreCase(config.project, event.project) &&
    equalsIgnoreCase(config.slug, event.slug) &&
    (isBlank(config.branch) || fullMatch(config.branch as string, event.branch)) &&
    acceptsAction(config.events, event.action)
  );
}

/** The pipelines a git event starts (before the signature rule). */
export function matchGitTrigger(pipelines: readonly Pipeline[], event: GitEvent): TriggerMatch<GitTrigger>[] {
  return matchFirstTriggers<GitTrigger, true>(pipelines, 'git', (trigger) => (gitTriggerAccepts(trigger, event) ? true : undefined)).map(
    ({ pipeline, definition }) => ({
      pipeline,
      definition,
      // A redelivered push carries the same commit, so the key is the commit, not the delivery id.
      idempotencyKey: [
        'git',
        keyPart(event.source.toLowerCase()),
        keyPart(`${event.project}/${event.slug}`.toLowerCase()),
        keyPart(event.branch),
        keyPart(event.action),
        keyPart(event.hash),
        keyPart(pipelineRef(pipeline)),
      ].join(':'),
      trigger: {
        ...publicTriggerFields(definition),
        type: 'git',
        user: `[${event.source.toLowerCase()}]`,
        source: event.source.toLowerCase(),
        project: event.project,
        slug: event.slug,
        branch: event.branch,
        hash: event.hash,
        action: event.action,
        ...(event.deliveryId === undefined ? {} : { eventId: event.deliveryId }),
        properties: { hash: event.hash, branch: event.branch, action: event.action, ...(event.properties ?? {}) },
        parameters: {},
        artifacts: [],
      },
    }),
  );
}
