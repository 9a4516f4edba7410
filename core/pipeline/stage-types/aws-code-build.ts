/**
 * `awsCodeBuild` (Orca's AwsCodeBuildStage, run by igor's AWSCodeBuildService): start a build of
 * an AWS CodeBuild project in `account` with overrides — a source from an artifact
 * (`source.sourceOverride` + `source.sourceArtifact`), `source.sourceVersion`, a buildspec,
 * `secondarySources`, plain-text `environmentVariables`, a build `image` — wait for it, and output
 * `buildInfo` (status, logs links, exported variables) and the build's S3 artifacts. The runtime is
 * core/stages/aws-code-build.ts; three steps as Orca's tasks (start, monitor, get artifacts).
 */
import { z } from 'zod';
import { showValue } from '../../issues.ts';
import type { StageBase } from '../model.ts';
import { anyObject, anyText, flag, optional, text, withDefault } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { defineStageType, error } from './definition.ts';

/** Which artifact a source comes from: an expected artifact's id, or one written inline. */
export interface CodeBuildSourceArtifact {
  readonly artifactId?: string;
  readonly artifact?: Readonly<Record<string, unknown>>;
}

/** Orca's AwsCodeBuildSource. */
export interface CodeBuildSource {
  /** Build from `sourceArtifact` instead of the project's source. */
  readonly sourceOverride: boolean;
  /** CodeBuild's source type; inferred from the artifact when absent (s3/object → S3, git/repo → GITHUB, BITBUCKET or CODECOMMIT by URL). */
  readonly sourceType?: string;
  readonly sourceArtifact?: CodeBuildSourceArtifact;
  /** A commit, branch or S3 object version; else the artifact's `version`. */
  readonly sourceVersion?: string;
  /** A buildspec overriding the project's (inline YAML or a path in the source). */
  readonly buildspec?: string;
}

export interface AwsCodeBuildConfig {
  /** The AWS account the project lives in (an `aws` account of the accounts configuration). */
  readonly account: string;
  /** The region of the project. @default the account's first region */
  readonly region?: string;
  readonly projectName: string;
  readonly source?: CodeBuildSource;
  readonly secondarySources?: readonly CodeBuildSource[];
  readonly environmentVariables: Readonly<Record<string, string>>;
  /** A build image overriding the project's, pulled with the project's service role. */
  readonly image?: string;
  /** A buildspec overriding the project's when `source.buildspec` is not set. */
  readonly buildspec?: string;
}

export type AwsCodeBuildStage = StageBase<'awsCodeBuild', AwsCodeBuildConfig>;

/** Longest a build may run, as Orca's MonitorAwsCodeBuildTask (CodeBuild's own maximum is 8 hours). */
export const CODE_BUILD_TIMEOUT_MS = 8 * 60 * 60 * 1000;

/** Polls of the monitor step: 8 hours at the 30-second interval it settles on. */
export const CODE_BUILD_MAX_POLLS = 1000;

const sourceArtifact: z.ZodType<CodeBuildSourceArtifact> = z.looseObject(
  {
    artifactId: optional(anyText('the id of an expected artifact')),
    artifact: optional(anyObject('an artifact')),
  },
  { error: (issue) => `expected a source artifact {"artifactId": "<expected artifact id>"} or {"artifact": {...}}, got ${showValue(issue.input)}` },
);

const source: z.ZodType<CodeBuildSource> = z.looseObject(
  {
    sourceOverride: withDefault(flag(), false),
    sourceType: optional(anyText("CodeBuild's source type, e.g. 'S3' or 'GITHUB'")),
    sourceArtifact: optional(sourceArtifact),
    sourceVersion: optional(anyText('a source version (commit, branch or object version)')),
    buildspec: optional(anyText('a buildspec')),
  },
  { error: (issue) => `expected a source {"sourceOverride": true, "sourceArtifact": {...}}, got ${showValue(issue.input)}` },
);

const schema: z.ZodType<AwsCodeBuildConfig> = z.looseObject({
  account: text("the AWS account of the project, e.g. 'prod'"),
  region: optional(anyText("the project's region, e.g. 'us-east-1'")),
  projectName: text("the CodeBuild project's name, e.g. 'app-build'"),
  source: optional(source),
  secondarySources: optional(z.array(source, { error: (issue) => `expected a list of sources, got ${showValue(issue.input)}` })),
  environmentVariables: withDefault(
    z.record(z.string(), z.string({ error: (issue) => `expected a text value, got ${showValue(issue.input)}; quote it` }), {
      error: (issue) => `expected environment variables (an object of name → text), got ${showValue(issue.input)}`,
    }),
    {},
  ),
  image: optional(anyText('a build image')),
  buildspec: optional(anyText('a buildspec')),
});

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function check(config: AwsCodeBuildConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const name of Object.keys(config.environmentVariables)) {
    if (name.startsWith('CODEBUILD_')) issues.push(error(['environmentVariables', name], 'invalid-value', `'${name}' starts with CODEBUILD_, which CodeBuild reserves for its own variables; rename it`));
    else if (!ENV_NAME.test(name) && !name.includes('${')) issues.push(error(['environmentVariables', name], 'invalid-value', `'${name}' is not an environment variable name; use letters, digits and '_', not starting with a digit`));
  }
  if (config.source?.sourceOverride && !config.source.sourceArtifact) {
    issues.push(error(['source', 'sourceArtifact'], 'required', "'sourceArtifact' is required when sourceOverride is true; name the artifact to build, e.g. {\"artifactId\": \"<expected artifact id>\"}"));
  }
  (config.secondarySources ?? []).forEach((secondary, index) => {
    if (!secondary.sourceArtifact) issues.push(error(['secondarySources', index, 'sourceArtifact'], 'required', "'sourceArtifact' is required for a secondary source; name its artifact, e.g. {\"artifactId\": \"<expected artifact id>\"}"));
  });
  return issues;
}

export const awsCodeBuildStageType = defineStageType({
  type: 'awsCodeBuild',
  description: 'Starts an AWS CodeBuild build with overrides, waits for it, and outputs its artifacts and logs link.',
  schema,
  expressionFields: ['projectName', 'source', 'secondarySources', 'environmentVariables', 'image', 'buildspec'],
  plan: () => [
    { name: 'startAwsCodeBuildTask', kind: 'run' },
    { name: 'monitorAwsCodeBuildTask', kind: 'poll', maxPolls: CODE_BUILD_MAX_POLLS },
    { name: 'getAwsCodeBuildArtifactsTask', kind: 'run' },
  ],
  check,
});
