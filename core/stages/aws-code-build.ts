/**
 * The tasks of `awsCodeBuild` (core/pipeline/stage-types/aws-code-build.ts), as Orca's:
 *
 * 1. startAwsCodeBuildTask: StartBuild with Orca's overrides (StartAwsCodeBuildTask) and an
 *    idempotency token named after the execution and the stage, so a step delivered twice starts
 *    one build: the intent (token, time) is saved before the call, a twin delivery sends the same
 *    token and CodeBuild answers the same build; an intent older than CodeBuild's 5-minute token
 *    window with no build recorded is not sent again (the build may exist) but fails saying where
 *    to look. `buildInfo` goes to the context.
 * 2. monitorAwsCodeBuildTask: BatchGetBuilds every 10 s, then every 30 s; IN_PROGRESS keeps
 *    waiting, SUCCEEDED goes on, FAILED, FAULT, TIMED_OUT, STOPPED (and a status CodeBuild adds
 *    later) fail the stage with the failed phase's reason and the logs link (Orca's
 *    AwsCodeBuildExecution.Status).
 * 3. getAwsCodeBuildArtifactsTask: the build's S3 artifacts as `s3/object` artifacts in the
 *    stage's `artifacts` output (igor's getArtifacts: `s3://bucket/key`).
 *
 * Throttling and CodeBuild's 5xx (`unavailable`) raise the retryable Gennaker.TargetUnavailable.
 */
import { GennakerError } from '../errors.ts';
import type { BuildFailure, BuildInfo, BuildPort, BuildRef, SecondaryBuildSource, StartBuildRequest } from '../ports/builds.ts';
import type { JsonObject } from '../ports/execution-store.ts';
import type { TargetLookup } from '../ports/target.ts';
import type { AwsCodeBuildStage, CodeBuildSource } from '../pipeline/stage-types/index.ts';
import { getStageType } from '../pipeline/stage-types/index.ts';
import { issuesFromZod, safeParse } from '../pipeline/zod-issues.ts';
import { artifactScopeOf, boundStageArtifact } from './stage-artifacts.ts';
import { failed, running, succeeded, type TaskInput, type TaskResult } from './task-result.ts';

/** What the CodeBuild tasks need, handed in by the runner. */
export interface CodeBuildTaskDeps {
  readonly targets: TargetLookup;
  /** The accounts that exist, for the message when a stage names another. */
  readonly accounts?: () => readonly string[];
}

/** The runtime key of the stage's progress: `{ token, requestedAt, buildId? }`. */
export const CODE_BUILD_PROGRESS_KEY = 'codeBuild';

/** How long CodeBuild keeps an idempotency token (its documented window), less a margin for clocks. */
export const TOKEN_WINDOW_MS = 4.5 * 60_000;

/** Seconds before the next look at a running build: every 10 s for the first minute, then every 30 s. */
export function codeBuildWaitSeconds(poll: number): number {
  return poll <= 6 ? 10 : 30;
}

interface Progress {
  readonly token?: string;
  readonly requestedAt?: number;
  readonly buildId?: string;
}

function progressOf(input: TaskInput): Progress {
  const value = input.record.runtime[CODE_BUILD_PROGRESS_KEY];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const raw = value as Record<string, unknown>;
  return {
    ...(typeof raw['token'] === 'string' ? { token: raw['token'] } : {}),
    ...(typeof raw['requestedAt'] === 'number' ? { requestedAt: raw['requestedAt'] } : {}),
    ...(typeof raw['buildId'] === 'string' ? { buildId: raw['buildId'] } : {}),
  };
}

/** The console page of a build (Orca's AwsCodeBuildExecution.buildUrl). */
export function buildConsoleUrl(arn: string): string | undefined {
  const match = /^arn:aws[a-z-]*:codebuild:([a-z0-9-]+):\d+:build\/(([^:]+):.+)$/.exec(arn);
  if (!match) return undefined;
  const [, region, buildId, project] = match;
  return `https://${region}.console.aws.amazon.com/codesuite/codebuild/projects/${project}/build/${encodeURIComponent(buildId!)}/log?region=${region}`;
}

/** `buildInfo` in Orca's shape (AwsCodeBuildExecution), kept in the stage's context. */
export function buildInfoContext(build: BuildInfo): JsonObject {
  const url = buildConsoleUrl(build.arn);
  return {
    arn: build.arn,
    id: build.id,
    status: build.status,
    ...(build.currentPhase !== undefined ? { currentPhase: build.currentPhase } : {}),
    ...(build.buildNumber !== undefined ? { buildNumber: build.buildNumber } : {}),
    logs: { ...build.logs },
    ...(url !== undefined ? { buildUrl: url } : {}),
    exportedEnvironmentVariables: build.exportedEnvironmentVariables.map((variable) => ({ ...variable })),
  };
}

/** An S3 artifact location (`arn:aws:s3:::bucket/key`) as Spinnaker's `s3/object` artifact. */
export function s3ArtifactOf(location: string): JsonObject {
  const path = location.startsWith('arn:') ? location.split(':').slice(5).join(':') : location.replace(/^s3:\/\//, '');
  const reference = `s3://${path}`;
  return { type: 's3/object', reference, name: reference, artifactAccount: 's3' };
}

/** CodeBuild's source type for an artifact (Orca's getSourceType), or why there is none. */
export function sourceTypeOf(artifact: JsonObject): { ok: true; type: string } | { ok: false; message: string } {
  const reference = typeof artifact['reference'] === 'string' ? artifact['reference'] : '';
  switch (artifact['type']) {
    case 's3/object':
      return { ok: true, type: 'S3' };
    case 'git/repo':
      if (/^(https?:\/\/)github\.com\//.test(reference)) return { ok: true, type: 'GITHUB' };
      if (/^(https?:\/\/)(.*@)?bitbucket\.org\//.test(reference)) return { ok: true, type: 'BITBUCKET' };
      if (/^https:\/\/git-codecommit\..*\.amazonaws\.com\//.test(reference)) return { ok: true, type: 'CODECOMMIT' };
      return { ok: false, message: `the source type of git/repo '${reference}' cannot be inferred (GitHub, Bitbucket and CodeCommit URLs can); set sourceType` };
    default:
      return { ok: false, message: `artifact type ${JSON.stringify(artifact['type'] ?? null)} cannot be a CodeBuild source; use an s3/object or git/repo artifact` };
  }
}

/** Where CodeBuild reads an artifact (Orca's getSourceLocation): bucket/key for S3, the URL for git. */
function sourceLocationOf(artifact: JsonObject): string {
  const reference = typeof artifact['reference'] === 'string' ? artifact['reference'] : '';
  return artifact['type'] === 's3/object' && reference.startsWith('s3://') ? reference.slice('s3://'.length) : reference;
}

const blankToUndefined = (value: string | undefined): string | undefined => (value !== undefined && value.trim() !== '' ? value : undefined);

/** A source's artifact, bound in this execution, with its CodeBuild type and location. */
function resolveSource(input: TaskInput, source: CodeBuildSource, field: string): { ok: true; type: string; location: string; version?: string } | { ok: false; message: string } {
  const bound = boundStageArtifact(artifactScopeOf(input), {
    id: source.sourceArtifact?.artifactId,
    artifact: source.sourceArtifact?.artifact,
    idField: `${field}.sourceArtifact.artifactId`,
    artifactField: `${field}.sourceArtifact.artifact`,
  });
  if (!bound.ok) return bound;
  const metadata = bound.artifact['metadata'];
  if (typeof metadata === 'object' && metadata !== null && 'subPath' in metadata) return { ok: false, message: `${field}: an artifact with a subPath cannot be a CodeBuild source (as in Spinnaker); point the artifact at the repository or object itself` };
  const given = blankToUndefined(source.sourceType);
  const type = given !== undefined ? ({ ok: true, type: given } as const) : sourceTypeOf(bound.artifact);
  if (!type.ok) return { ok: false, message: `${field}: ${type.message}` };
  const version = typeof bound.artifact['version'] === 'string' && bound.artifact['version'] !== '' ? bound.artifact['version'] : undefined;
  return { ok: true, type: type.type, location: sourceLocationOf(bound.artifact), ...(version !== undefined ? { version } : {}) };
}

type Scope = { readonly port: BuildPort; readonly ref: BuildRef; readonly label: string };

function scopeOf(input: TaskInput<AwsCodeBuildStage>, config: AwsCodeBuildStage['config'], deps: CodeBuildTaskDeps): { ok: true; scope: Scope } | { ok: false; message: string } {
  const label = `stage '${input.stage.name}'`;
  const target = deps.targets({ account: config.account });
  if (!target) {
    const known = deps.accounts?.() ?? [];
    return { ok: false, message: `${label}: account is '${config.account}', which no configured account serves${known.length > 0 ? ` (known accounts: ${known.join(', ')})` : ''}; set account to the AWS account of the CodeBuild project` };
  }
  const port = target.builds;
  if (!port) return { ok: false, message: `${label}: account '${config.account}' (${target.cloudProvider}) runs no CodeBuild builds; name an AWS account (cloudProvider aws)` };
  const region = blankToUndefined(config.region) ?? port.regions[0];
  if (region === undefined || !port.regions.includes(region)) {
    return { ok: false, message: `${label}: region is '${region ?? ''}', not one of account '${config.account}' (its regions: ${port.regions.join(', ') || 'none'}); set region to one of them` };
  }
  return { ok: true, scope: { port, ref: { account: config.account, region }, label } };
}

/** The stage's fields as evaluated at stage start, read by the stage type's schema. */
function evaluatedConfig(input: TaskInput<AwsCodeBuildStage>): { ok: true; config: AwsCodeBuildStage['config'] } | { ok: false; message: string } {
  const parsed = safeParse(getStageType('awsCodeBuild')!.schema, input.record.context);
  if (parsed.success) return { ok: true, config: parsed.data as AwsCodeBuildStage['config'] };
  const first = issuesFromZod(parsed.error, input.record.context, '')[0];
  return { ok: false, message: `stage '${input.stage.name}': ${first ? `${first.pointer.slice(1) || 'the stage'}: ${first.message}` : 'its fields are invalid after evaluating expressions'}` };
}

/** `unavailable` is retried by the state machine; anything else fails the stage with CodeBuild's reason. */
function afterFailure(result: BuildFailure, label: string, hint = ''): TaskResult {
  if (result.reason === 'unavailable') throw new GennakerError('Gennaker.TargetUnavailable', `${label}: ${result.message}; retrying`, { cause: result.cause });
  return failed(`${label}: ${result.message}${hint}`);
}

/** The StartBuild request of the stage (Orca's StartAwsCodeBuildTask), or why it cannot be made. */
export function startRequestOf(input: TaskInput<AwsCodeBuildStage>, config: AwsCodeBuildStage['config'], token: string): { ok: true; request: StartBuildRequest } | { ok: false; message: string } {
  const label = `stage '${input.stage.name}'`;
  let sourceOverride: StartBuildRequest['source'];
  let sourceVersion = blankToUndefined(config.source?.sourceVersion);
  if (config.source?.sourceOverride && config.source.sourceArtifact) {
    const resolved = resolveSource(input, config.source, 'source');
    if (!resolved.ok) return { ok: false, message: `${label}: ${resolved.message}` };
    sourceOverride = { type: resolved.type, location: resolved.location };
    sourceVersion ??= resolved.version;
  }
  const secondarySources: SecondaryBuildSource[] = [];
  for (const [index, secondary] of (config.secondarySources ?? []).entries()) {
    const resolved = resolveSource(input, secondary, `secondarySources[${index}]`);
    if (!resolved.ok) return { ok: false, message: `${label}: ${resolved.message}` };
    const version = blankToUndefined(secondary.sourceVersion) ?? resolved.version;
    secondarySources.push({ type: resolved.type, location: resolved.location, sourceIdentifier: String(index), ...(version !== undefined ? { sourceVersion: version } : {}) });
  }
  const buildspec = blankToUndefined(config.source?.buildspec) ?? blankToUndefined(config.buildspec);
  const image = blankToUndefined(config.image);
  return {
    ok: true,
    request: {
      projectName: config.projectName,
      idempotencyToken: token,
      ...(sourceOverride ? { source: sourceOverride } : {}),
      ...(sourceVersion !== undefined ? { sourceVersion } : {}),
      ...(buildspec !== undefined ? { buildspec } : {}),
      ...(secondarySources.length > 0 ? { secondarySources } : {}),
      ...(Object.keys(config.environmentVariables).length > 0 ? { environmentVariables: config.environmentVariables } : {}),
      ...(image !== undefined ? { image } : {}),
    },
  };
}

/** Runs one task of an `awsCodeBuild` stage. */
export async function runAwsCodeBuildTask(input: TaskInput<AwsCodeBuildStage>, deps: CodeBuildTaskDeps): Promise<TaskResult> {
  const evaluated = evaluatedConfig(input);
  if (!evaluated.ok) return failed(evaluated.message);
  const config = evaluated.config;
  const scoped = scopeOf(input, config, deps);
  if (!scoped.ok) return failed(scoped.message);
  const { port, ref, label } = scoped.scope;
  const progress = progressOf(input);

  switch (input.task) {
    case 'startAwsCodeBuildTask': {
      if (progress.buildId !== undefined) return succeeded(undefined, {});
      const token = progress.token ?? `gennaker-${input.execution.id}-${input.record.id}`.slice(0, 128);
      if (progress.requestedAt !== undefined && input.now - progress.requestedAt > TOKEN_WINDOW_MS) {
        return failed(
          `${label}: a build of '${config.projectName}' was requested at ${new Date(progress.requestedAt).toISOString()} and its id was not recorded; it may be running, so no second build is started: look for it in the project's build history (idempotency token '${token}'), then restart this stage`,
        );
      }
      const built = startRequestOf(input, config, token);
      if (!built.ok) return failed(built.message);
      if (progress.requestedAt === undefined) {
        // Plan before acting: a twin delivery that lost this race sends the same token, which CodeBuild answers with the same build.
        await input.saveRuntime(CODE_BUILD_PROGRESS_KEY, { token, requestedAt: input.now });
      }
      const started = await port.start(ref, built.request);
      if (!started.ok) {
        const hint = started.reason === 'not-found' ? `; check projectName, or create the project in account '${ref.account}', region ${ref.region}` : '';
        return afterFailure(started, label, hint);
      }
      return succeeded(undefined, {
        context: { buildInfo: buildInfoContext(started.value) },
        runtime: { [CODE_BUILD_PROGRESS_KEY]: { token, requestedAt: progress.requestedAt ?? input.now, buildId: started.value.id } },
      });
    }
    case 'monitorAwsCodeBuildTask': {
      if (progress.buildId === undefined) return failed(`${label}: no build was recorded for this stage; restart the stage to start one`);
      const read = await port.get(ref, progress.buildId);
      if (!read.ok) return afterFailure(read, label);
      if (read.value === undefined) return failed(`${label}: build '${progress.buildId}' is not known to CodeBuild in account '${ref.account}', region ${ref.region}; it may have been deleted; restart the stage to build again`);
      const build = read.value;
      const context = { buildInfo: buildInfoContext(build) };
      if (build.status === 'IN_PROGRESS') return running(codeBuildWaitSeconds(input.poll), { context });
      if (build.status === 'SUCCEEDED') return succeeded(undefined, { context });
      const logs = build.logs.deepLink ?? buildConsoleUrl(build.arn);
      return failed(`${label}: build '${build.id}' of '${config.projectName}' ended ${build.status}${build.failure !== undefined ? ` (${build.failure})` : ''}${logs !== undefined ? `; logs: ${logs}` : ''}`, { context });
    }
    case 'getAwsCodeBuildArtifactsTask': {
      if (progress.buildId === undefined) return failed(`${label}: no build was recorded for this stage; restart the stage to start one`);
      const read = await port.get(ref, progress.buildId);
      if (!read.ok) return afterFailure(read, label);
      const artifacts = (read.value?.artifactLocations ?? []).map(s3ArtifactOf);
      return succeeded({ artifacts, ...(read.value ? { buildInfo: buildInfoContext(read.value) } : {}) });
    }
    default:
      return failed(`${label}: awsCodeBuild has no task '${input.task}'`);
  }
}
