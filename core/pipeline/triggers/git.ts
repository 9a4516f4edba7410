/**
 * `git`: a push (or pull-request event) on a repository of GitHub, GitLab, Bitbucket or Stash.
 * Source, project and slug match case-insensitively; `branch` is a regex that must match the whole
 * branch name (blank = any); with `secret`, the payload's HMAC signature must verify.
 */
import { z } from 'zod';
import { anyText, oneOf, optional, text, textList, withDefault } from '../fields.ts';
import type { TriggerBase } from './definition.ts';
import { defineTriggerType, regexText } from './definition.ts';

/**
 * `codecommit` arrives through EventBridge on AWS (CodeCommit Repository State Change), never as a
 * webhook: its `project` is the repository's AWS account id and its `slug` the repository name.
 */
export const GIT_SOURCES = ['github', 'gitlab', 'bitbucket', 'stash', 'codecommit'] as const;
export type GitSource = (typeof GIT_SOURCES)[number];

export interface GitTriggerConfig {
  readonly source: GitSource;
  /** Organization or user. */
  readonly project: string;
  /** Repository name. */
  readonly slug: string;
  /** Full-match regex; absent or blank = any branch. */
  readonly branch?: string;
  readonly secret?: string;
  /** Event actions to accept (e.g. pull-request events); empty = pushes. */
  readonly events: readonly string[];
  readonly expectedArtifactIds: readonly string[];
}

export type GitTrigger = TriggerBase<'git', GitTriggerConfig>;

const schema: z.ZodType<GitTriggerConfig> = z.looseObject({
  source: oneOf(GIT_SOURCES, 'the git host'),
  project: text("the organization or user, e.g. 'my-org'"),
  slug: text("the repository name, e.g. 'hello'"),
  branch: optional(regexText('the branch pattern', 'main|release-.*')),
  secret: optional(anyText('the webhook secret')),
  events: withDefault(textList('event names'), []),
  expectedArtifactIds: withDefault(textList('expected artifact ids'), []),
});

export const gitTriggerType = defineTriggerType({
  type: 'git',
  description: 'Fires on a push to a repository branch (GitHub, GitLab, Bitbucket, Stash; CodeCommit on AWS).',
  schema: () => schema,
});
