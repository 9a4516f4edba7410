/**
 * `docker`: a new image tag in a registry repository (ECR included). `account` and `repository`
 * must match; `tag` is a full-match regex, and blank means any tag except `latest` (Spinnaker's rule).
 */
import { z } from 'zod';
import { anyText, optional, textList, withDefault } from '../fields.ts';
import { showValue } from '../../issues.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import type { TriggerBase } from './definition.ts';
import { defineTriggerType, regexText } from './definition.ts';

export interface DockerTriggerConfig {
  /** The registry account (Spinnaker's name for the registry credentials). */
  readonly account?: string;
  /** e.g. `123456789012.dkr.ecr.us-west-2.amazonaws.com`. */
  readonly registry?: string;
  readonly organization?: string;
  readonly repository?: string;
  /** Full-match regex; blank = any tag but `latest`. */
  readonly tag?: string;
  readonly expectedArtifactIds: readonly string[];
}

export type DockerTrigger = TriggerBase<'docker', DockerTriggerConfig>;

const schema: z.ZodType<DockerTriggerConfig> = z.looseObject({
  account: optional(anyText('the registry account')),
  registry: optional(anyText('the registry address')),
  organization: optional(anyText('the organization')),
  repository: optional(anyText("the repository, e.g. 'my-org/hello'")),
  tag: optional(regexText('the tag pattern', 'v\\d+\\.\\d+\\.\\d+')),
  expectedArtifactIds: withDefault(textList('expected artifact ids'), []),
});

export const dockerTriggerType = defineTriggerType({
  type: 'docker',
  description: 'Fires when a new tag is pushed to a container registry repository.',
  schema: () => schema,
  check: (config) => {
    const issues: ConfigIssue[] = [];
    if (config.repository === undefined || config.repository.trim() === '') {
      issues.push({ path: ['repository'], code: 'required', severity: 'warning', message: "no repository, so this trigger never fires; add the repository to watch, e.g. 'my-org/hello'" });
    }
    if (config.tag !== undefined && /^\^?latest\$?$/.test(config.tag)) {
      issues.push({ path: ['tag'], code: 'invalid-value', severity: 'warning', message: `tag ${showValue(config.tag)} only matches 'latest', which is mutable; match versioned tags instead, e.g. 'v\\d+\\.\\d+\\.\\d+'` });
    }
    return issues;
  },
});
