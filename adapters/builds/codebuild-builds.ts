/**
 * The build port (core/ports/builds.ts) over AWS CodeBuild with `@aws-sdk/client-codebuild`:
 * StartBuild with Orca's overrides (StartAwsCodeBuildTask: source type and location, source
 * version, buildspec, secondary sources and their versions, plain-text environment variables, an
 * image pulled with the service role) and the port's idempotency token; BatchGetBuilds reads back. CodeBuild's errors map to the port's reasons:
 *
 * | CodeBuild answers | reason |
 * |---|---|
 * | `ResourceNotFoundException` | `not-found` (`get` answers `undefined` for an unknown build) |
 * | `InvalidInputException` | `invalid` |
 * | `ThrottlingException`, `AccountLimitExceededException` (too many concurrent builds), 5xx, network faults | `unavailable`, after the SDK's own retries |
 * | anything else (`AccessDeniedException`, `OAuthProviderException`...) | `failed` |
 *
 * (The AWS error reading is the EC2 target's, adapters/targets/aws-ec2/aws-errors.ts.)
 *
 * Clients are built by the composition root (the account's role credentials, an endpoint override
 * for the sandbox), one per region, and handed in.
 */
import { BatchGetBuildsCommand, StartBuildCommand, StopBuildCommand, type Build, type CodeBuildClient, type StartBuildCommandInput } from '@aws-sdk/client-codebuild';
import type { BuildFailure, BuildInfo, BuildPort, BuildRef, BuildResult, StartBuildRequest } from '../../core/ports/builds.ts';
import type { PortFailureReason } from '../../core/ports/server-groups.ts';
import { awsFailure } from '../targets/aws-ec2/aws-errors.ts';

export interface CodeBuildBuildsOptions {
  /** The regions the account runs builds in. */
  readonly regions: readonly string[];
  /** The CodeBuild client of a region (only asked for the regions above). */
  readonly clientFor: (region: string) => CodeBuildClient;
}

/** CodeBuild's concurrent-build limit: a build can start once another ends. */
const unavailableAtLimit = (code: string): PortFailureReason | undefined => (code === 'AccountLimitExceededException' ? 'unavailable' : undefined);

function failure(error: unknown, what: string): BuildFailure {
  return awsFailure(error, what, unavailableAtLimit);
}

/** The StartBuild input of a request: Orca's field names, only what the request sets. */
export function startBuildInput(request: StartBuildRequest): StartBuildCommandInput {
  const variables = Object.entries(request.environmentVariables ?? {});
  const secondary = request.secondarySources ?? [];
  return {
    projectName: request.projectName,
    idempotencyToken: request.idempotencyToken,
    ...(request.source ? { sourceTypeOverride: request.source.type as StartBuildCommandInput['sourceTypeOverride'], sourceLocationOverride: request.source.location } : {}),
    ...(request.sourceVersion !== undefined ? { sourceVersion: request.sourceVersion } : {}),
    ...(request.buildspec !== undefined ? { buildspecOverride: request.buildspec } : {}),
    ...(secondary.length > 0
      ? {
          secondarySourcesOverride: secondary.map((source) => ({ type: source.type as 'S3', location: source.location, sourceIdentifier: source.sourceIdentifier })),
          secondarySourcesVersionOverride: secondary.filter((source) => source.sourceVersion !== undefined).map((source) => ({ sourceIdentifier: source.sourceIdentifier, sourceVersion: source.sourceVersion! })),
        }
      : {}),
    ...(variables.length > 0 ? { environmentVariablesOverride: variables.map(([name, value]) => ({ name, value, type: 'PLAINTEXT' as const })) } : {}),
    ...(request.image !== undefined ? { imageOverride: request.image, imagePullCredentialsTypeOverride: 'SERVICE_ROLE' as const } : {}),
  };
}

/** A CodeBuild build as the port's BuildInfo. */
export function buildInfoOf(build: Build): BuildInfo {
  const failedPhase = (build.phases ?? []).find((phase) => phase.phaseStatus !== undefined && phase.phaseStatus !== 'SUCCEEDED');
  const reason = failedPhase?.contexts?.map((context) => [context.statusCode, context.message].filter(Boolean).join(': ')).find((text) => text !== '');
  const locations = [build.artifacts?.location, ...(build.secondaryArtifacts ?? []).map((artifact) => artifact.location)].filter((location): location is string => typeof location === 'string' && location !== '');
  return {
    id: build.id ?? '',
    arn: build.arn ?? '',
    status: build.buildStatus ?? 'UNKNOWN',
    ...(build.currentPhase !== undefined ? { currentPhase: build.currentPhase } : {}),
    ...(build.buildNumber !== undefined ? { buildNumber: build.buildNumber } : {}),
    logs: { ...(build.logs?.deepLink ? { deepLink: build.logs.deepLink } : {}), ...(build.logs?.s3DeepLink ? { s3DeepLink: build.logs.s3DeepLink } : {}) },
    artifactLocations: locations,
    exportedEnvironmentVariables: (build.exportedEnvironmentVariables ?? []).map((variable) => ({ name: variable.name ?? '', value: variable.value ?? '' })),
    ...(failedPhase && reason ? { failure: `${failedPhase.phaseType ?? 'a phase'} ${failedPhase.phaseStatus}: ${reason}` } : failedPhase ? { failure: `${failedPhase.phaseType ?? 'a phase'} ${failedPhase.phaseStatus}` } : {}),
  };
}

/** Creates the build port of one account. */
export function createCodeBuildBuilds(options: CodeBuildBuildsOptions): BuildPort {
  const ok = <T>(value: T): BuildResult<T> => ({ ok: true, value });
  return {
    regions: [...options.regions],
    async start(ref: BuildRef, request: StartBuildRequest) {
      try {
        const answer = await options.clientFor(ref.region).send(new StartBuildCommand(startBuildInput(request)));
        if (!answer.build) return { ok: false, reason: 'failed', message: `starting a build of '${request.projectName}': CodeBuild answered no build` };
        return ok(buildInfoOf(answer.build));
      } catch (error) {
        return failure(error, `starting a build of '${request.projectName}' in ${ref.region}`);
      }
    },
    async get(ref: BuildRef, buildId: string) {
      try {
        const answer = await options.clientFor(ref.region).send(new BatchGetBuildsCommand({ ids: [buildId] }));
        const build = answer.builds?.find((candidate) => candidate.id === buildId || candidate.arn === buildId);
        return ok(build ? buildInfoOf(build) : undefined);
      } catch (error) {
        return failure(error, `reading build '${buildId}'`);
      }
    },
    async stop(ref: BuildRef, buildId: string) {
      try {
        const answer = await options.clientFor(ref.region).send(new StopBuildCommand({ id: buildId }));
        return ok(answer.build ? buildInfoOf(answer.build) : undefined);
      } catch (error) {
        // A build CodeBuild no longer knows needs no stopping.
        if ((error as { name?: string }).name === 'ResourceNotFoundException') return ok(undefined);
        return failure(error, `stopping build '${buildId}'`);
      }
    },
  };
}
