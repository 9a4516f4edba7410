/**
 * An account's build service (AWS CodeBuild), for Spinnaker's `awsCodeBuild` stage: start a build
 * of a project with overrides, read it back (a canceled execution leaves its build running, as
 * Gennaker has no cancellation hooks for stages yet). As every port here, results are values: the build, or
 * a failure with a reason (`not-found` project or build, `invalid` request, `unavailable` =
 * throttled/5xx, retried by the state machine, `failed` anything else), its message one line for
 * the pipeline author with CodeBuild's own reason.
 */
import type { PortFailureReason } from './server-groups.ts';

/** A source other than the project's (Orca's sourceTypeOverride/sourceLocationOverride). */
export interface BuildSourceOverride {
  /** CodeBuild's source type: `S3`, `GITHUB`, `BITBUCKET`, `CODECOMMIT`... */
  readonly type: string;
  /** Bucket/key for S3, the repository URL for git. */
  readonly location: string;
}

/** A secondary source, identified by its position (`"0"`, `"1"`... as Orca names them). */
export interface SecondaryBuildSource extends BuildSourceOverride {
  readonly sourceIdentifier: string;
  readonly sourceVersion?: string;
}

/** What StartBuild is asked for; absent fields keep the project's settings. */
export interface StartBuildRequest {
  readonly projectName: string;
  /**
   * Names the build for CodeBuild's idempotency window (5 minutes): the same token starts one
   * build however many times it is sent.
   */
  readonly idempotencyToken: string;
  readonly source?: BuildSourceOverride;
  readonly sourceVersion?: string;
  readonly buildspec?: string;
  readonly secondarySources?: readonly SecondaryBuildSource[];
  /** Plain-text environment variables, overriding the project's of the same name. */
  readonly environmentVariables?: Readonly<Record<string, string>>;
  /** A build image; pulled with the project's service role, as Orca asks. */
  readonly image?: string;
}

/** CodeBuild's build statuses. */
export type BuildStatus = 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'FAULT' | 'TIMED_OUT' | 'STOPPED';

/** A build as read back. */
export interface BuildInfo {
  readonly id: string;
  readonly arn: string;
  /** An unknown status is kept as CodeBuild gave it (Orca reads it as UNKNOWN, a failure). */
  readonly status: BuildStatus | string;
  readonly currentPhase?: string;
  readonly buildNumber?: number;
  /** Where the logs are: CloudWatch Logs and S3 console links. */
  readonly logs: { readonly deepLink?: string; readonly s3DeepLink?: string };
  /** S3 locations of the primary and secondary artifacts (`arn:aws:s3:::bucket/key`). */
  readonly artifactLocations: readonly string[];
  readonly exportedEnvironmentVariables: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  /** The failed phase's reason when the build failed. */
  readonly failure?: string;
}

export interface BuildFailure {
  readonly ok: false;
  readonly reason: PortFailureReason;
  readonly message: string;
  readonly cause?: unknown;
}

export type BuildResult<T> = { readonly ok: true; readonly value: T } | BuildFailure;

/** Where a build runs: an account's region. */
export interface BuildRef {
  readonly account: string;
  readonly region: string;
}

export interface BuildPort {
  /** The regions builds may run in; a stage naming another is refused before any call. */
  readonly regions: readonly string[];
  /** Starts a build (the same idempotency token within 5 minutes answers the same build). */
  start(ref: BuildRef, request: StartBuildRequest): Promise<BuildResult<BuildInfo>>;
  /** The build now; `undefined` when CodeBuild does not know it. */
  get(ref: BuildRef, buildId: string): Promise<BuildResult<BuildInfo | undefined>>;
  /** Stops a build still running (one that ended is answered as it is): a canceled execution's build goes no further. */
  stop(ref: BuildRef, buildId: string): Promise<BuildResult<BuildInfo | undefined>>;
}
