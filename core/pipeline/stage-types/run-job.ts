/**
 * `runJob`: run a container or job to completion (Orca's RunJobStage); with `propertyFile`, the
 * job's property file is read into the stage outputs. Provider fields pass through.
 *
 * With `cloudProvider: "local"` (core/stages/run-job.ts) the job is a process on the machine:
 * `command` (an argv) or `shell` (a command line for /bin/sh, only when asked for), `env`,
 * `image` (a baked image to run in) and `workingDirectory`.
 *
 * With `cloudProvider: "kubernetes"` it is Kubernetes' Run Job, exactly `runJobManifest`
 * (run-job-manifest.ts): Deck saves that stage under either name, and Orca runs both as this one.
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { anyText, isTemplate, optional, withDefault, flag, text, type Expression } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { safeParse } from '../zod-issues.ts';
import { defineStageType, error } from './definition.ts';
import { checkJobManifest, runJobManifestStageType } from './run-job-manifest.ts';

export interface RunJobConfig {
  readonly account?: string;
  readonly credentials?: string;
  readonly cloudProvider?: string;
  readonly propertyFile?: string;
  readonly skipExpressionEvaluation: boolean;
  /** Local: the program and its arguments, or an expression giving them. */
  readonly command?: readonly string[] | Expression;
  /** Local: a command line run by /bin/sh -c, instead of `command`. */
  readonly shell?: string;
  /** Local: environment variables of the job. */
  readonly env: Readonly<Record<string, string>>;
  /** Local: the name or id of a baked image the job runs in. */
  readonly image?: string;
  /** Local: the job's working directory (relative to the image when `image` is set). */
  readonly workingDirectory?: string;
}

export type RunJobStage = StageBase<'runJob', RunJobConfig>;

const schema: z.ZodType<RunJobConfig> = z.looseObject({
  account: optional(anyText('the account')),
  credentials: optional(anyText('the account')),
  cloudProvider: optional(anyText('the cloud provider')),
  propertyFile: optional(anyText('the property file to read')),
  skipExpressionEvaluation: withDefault(flag(), false),
  command: optional(
    z.custom<readonly string[] | Expression>((value) => (Array.isArray(value) && value.every((part) => typeof part === 'string')) || isTemplate(value), {
      error: (issue) => `expected the command as a list of arguments, e.g. ["node", "migrate.js"], or a \${...} expression giving one; got ${JSON.stringify(issue.input)}`,
    }),
  ),
  shell: optional(text("a command line, e.g. 'npm run migrate'")),
  env: withDefault(z.record(z.string(), anyText('an environment value')), {}),
  image: optional(text("an image name or id, e.g. 'hello-1.2.0-3f2a9c1e'")),
  workingDirectory: optional(text('a directory')),
});

/** A property file must be a relative path without `..`: the job's own output, never another file of the machine. */
export function propertyFileProblem(path: string): string | undefined {
  if (isTemplate(path)) return undefined;
  if (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.split(/[\\/]/).includes('..')) {
    return `propertyFile '${path}' must be a relative path inside the job's own directory (no leading '/', no '..'); name a file the job writes, e.g. 'out.properties'`;
  }
  return undefined;
}

/** Whether a runJob stage is Kubernetes' Run Job (the runJobManifest stage under Orca's name). */
export function isKubernetesRunJob(config: Pick<RunJobConfig, 'cloudProvider'>): boolean {
  return config.cloudProvider === 'kubernetes';
}

/** A Kubernetes runJob is checked as the runJobManifest it is. */
function checkKubernetes(raw: unknown): ConfigIssue[] {
  const parsed = safeParse(runJobManifestStageType.schema, raw);
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => error(issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol'), 'invalid-value', issue.message));
  }
  return checkJobManifest(parsed.data);
}

function check(config: RunJobConfig, raw: unknown): ConfigIssue[] {
  if (isKubernetesRunJob(config)) return checkKubernetes(raw);
  const propertyFile = config.propertyFile === undefined ? undefined : propertyFileProblem(config.propertyFile);
  if (propertyFile !== undefined) return [error(['propertyFile'], 'invalid-value', propertyFile)];
  if (config.cloudProvider !== 'local') return [];
  if (config.command !== undefined && config.shell !== undefined) {
    return [error(['shell'], 'invalid-value', "give either 'command' (an argv) or 'shell' (a command line), not both")];
  }
  if ((config.command === undefined || config.command.length === 0) && config.shell === undefined) {
    return [error(['command'], 'required', "'command' is required for a local job; add the program and its arguments, e.g. [\"node\", \"migrate.js\"], or a 'shell' command line")];
  }
  return [];
}

export const runJobStageType = defineStageType({
  type: 'runJob',
  description: 'Runs a job to completion and captures its outputs.',
  schema,
  expressionFields: ['command', 'shell', 'env', 'image', 'workingDirectory'],
  // A Kubernetes runJob's Job manifest (a local job has none).
  verbatimFields: ['manifest', 'manifests'],
  plan: (stage) =>
    isKubernetesRunJob(stage.config)
      ? runJobManifestStageType.plan({ ...stage, type: 'runJobManifest', config: stage.config as never })
      : [
          { name: 'runJob', kind: 'run' },
          { name: 'waitOnJobCompletion', kind: 'poll' },
        ],
  check,
});
