/**
 * The simulated AWS CodeBuild (AWS JSON 1.1, `X-Amz-Target: CodeBuild_20161006.<Op>`), served by
 * the AWS simulator under the signing name `codebuild` (SPEC.md beside this file): projects, and
 * builds that walk CodeBuild's phases on the simulator's clock (QUEUED → PROVISIONING → … →
 * COMPLETED), end SUCCEEDED unless a `failNext` side-door command made them fail, honour
 * `idempotencyToken` as CodeBuild does, and report their logs link, artifacts and exported
 * variables as BatchGetBuilds answers them.
 */
import type { AwsProtocol, AwsServiceSim, SimContext, SimRequest, SimResponse } from '../aws/service.ts';
import { AwsError, cloneJson, epochSeconds, jsonTarget, optInt, optString, parseJsonBody, reqString, runJsonOperation, unknownOperation, uuidId, type JsonProtocol } from '../aws/json-rpc.ts';

const PROTOCOL: JsonProtocol = { version: '1.1', namespace: 'com.amazonaws.codebuild' };
const WIRE: AwsProtocol = { kind: 'awsJson', jsonVersion: '1.1' };
const TARGET_PREFIX = 'CodeBuild_20161006';
const OPERATIONS = ['CreateProject', 'BatchGetProjects', 'StartBuild', 'BatchGetBuilds', 'StopBuild'] as const;
type Operation = (typeof OPERATIONS)[number];
type Body = Record<string, unknown>;

/** CodeBuild's phases in order; each but the last takes its time from `phaseMs`. */
export const BUILD_PHASES = ['SUBMITTED', 'QUEUED', 'PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING', 'COMPLETED'] as const;
type Phase = (typeof BUILD_PHASES)[number];

/** How long each phase takes, ms (COMPLETED has no length). */
export type PhaseTimings = Readonly<Record<Exclude<Phase, 'COMPLETED'>, number>>;

const DEFAULT_PHASE_MS: PhaseTimings = {
  SUBMITTED: 1_000,
  QUEUED: 4_000,
  PROVISIONING: 10_000,
  DOWNLOAD_SOURCE: 3_000,
  INSTALL: 5_000,
  PRE_BUILD: 2_000,
  BUILD: 30_000,
  POST_BUILD: 2_000,
  UPLOAD_ARTIFACTS: 2_000,
  FINALIZING: 1_000,
};

/** How long an idempotency token names its build (CodeBuild: 5 minutes). */
const TOKEN_LIFETIME_MS = 5 * 60_000;

export interface CodeBuildServiceOptions {
  /** Phase lengths, ms. @default about a minute in all, 30 s of it BUILD */
  readonly phaseMs?: Partial<PhaseTimings>;
}

interface Project {
  readonly name: string;
  readonly arn: string;
  readonly region: string;
  readonly created: number;
  readonly source: Body;
  readonly secondarySources: Body[];
  readonly artifacts: Body;
  readonly secondaryArtifacts: Body[];
  readonly environment: Body;
  readonly serviceRole: string;
  readonly timeoutInMinutes: number;
  buildNumber: number;
}

interface Build {
  readonly id: string;
  readonly arn: string;
  readonly region: string;
  readonly project: string;
  readonly buildNumber: number;
  readonly startTime: number;
  /** The phase that fails, when the build fails. */
  readonly failsIn?: Phase;
  stoppedAt?: number;
  readonly request: Body;
  readonly source: Body;
  readonly secondarySources: Body[];
  readonly secondarySourceVersions: Body[];
  readonly sourceVersion?: string;
  readonly environment: Body;
  readonly artifacts: Body;
  readonly secondaryArtifacts: Body[];
  readonly exportedNames: readonly string[];
  completedEventSent: boolean;
}

/** The side-door view of the service, for tests and `gennaker sandbox describe`. */
export interface CodeBuildSim extends AwsServiceSim {
  /** Creates a project off the wire (the same as CreateProject). */
  createProject(region: string, input: Body, ctx: SimContext): Body;
}

const asBody = (value: unknown): Body => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Body) : {});
const asBodies = (value: unknown, field: string): Body[] => {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new AwsError('InvalidInputException', `${field} must be a list`);
  return value.map(asBody);
};

/** The names a buildspec exports (`env: exported-variables: [- NAME]`), read line by line as CodeBuild's YAML would list them. */
export function exportedVariableNames(buildspec: string | undefined): string[] {
  if (buildspec === undefined) return [];
  const lines = buildspec.split(/\r?\n/);
  const start = lines.findIndex((line) => /^\s*exported-variables\s*:\s*$/.test(line));
  if (start < 0) {
    const inline = /exported-variables\s*:\s*\[([^\]]*)\]/.exec(buildspec);
    return inline ? inline[1]!.split(',').map((name) => name.trim().replace(/^["']|["']$/g, '')).filter(Boolean) : [];
  }
  const names: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const item = /^\s*-\s*["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*$/.exec(line);
    if (!item) break;
    names.push(item[1]!);
  }
  return names;
}

/** Creates the simulated CodeBuild. */
export function createCodeBuildService(options: CodeBuildServiceOptions = {}): CodeBuildSim {
  const phaseMs: PhaseTimings = { ...DEFAULT_PHASE_MS, ...options.phaseMs };
  const projects = new Map<string, Project>();
  const builds = new Map<string, Build>();
  const tokens = new Map<string, { readonly buildId: string; readonly request: string; readonly at: number }>();
  /** Builds still to start that `failNext` marked: project name ('' any) → phase it fails in. */
  const failNext: Array<{ readonly project: string; readonly phase: Phase }> = [];
  let counter = 0;

  const projectKey = (region: string, name: string) => `${region}|${name}`;
  const projectOf = (region: string, nameOrArn: string, ctx: SimContext): Project => {
    const name = nameOrArn.startsWith('arn:') ? nameOrArn.split('/').slice(1).join('/') : nameOrArn;
    const project = projects.get(projectKey(region, name));
    if (!project) throw new AwsError('ResourceNotFoundException', `Project cannot be found: arn:aws:codebuild:${region}:${ctx.accountId}:project/${name}`);
    return project;
  };

  const createProject = (region: string, input: Body, ctx: SimContext): Body => {
    const name = reqString(input, 'name', 'InvalidInputException');
    if (!/^[A-Za-z0-9][A-Za-z0-9\-_]{1,254}$/.test(name)) throw new AwsError('InvalidInputException', `Invalid project name: ${name}`);
    if (projects.has(projectKey(region, name))) throw new AwsError('ResourceAlreadyExistsException', `Project already exists: ${name}`);
    const source = asBody(input['source']);
    if (typeof source['type'] !== 'string') throw new AwsError('InvalidInputException', 'source.type is required');
    const environment = asBody(input['environment']);
    const project: Project = {
      name,
      arn: `arn:aws:codebuild:${region}:${ctx.accountId}:project/${name}`,
      region,
      created: ctx.now(),
      source: cloneJson(source),
      secondarySources: cloneJson(asBodies(input['secondarySources'], 'secondarySources')),
      artifacts: cloneJson(Object.keys(asBody(input['artifacts'])).length > 0 ? asBody(input['artifacts']) : { type: 'NO_ARTIFACTS' }),
      secondaryArtifacts: cloneJson(asBodies(input['secondaryArtifacts'], 'secondaryArtifacts')),
      environment: { type: 'LINUX_CONTAINER', image: 'aws/codebuild/standard:7.0', computeType: 'BUILD_GENERAL1_SMALL', environmentVariables: [], ...cloneJson(environment) },
      serviceRole: optString(input, 'serviceRole', 'InvalidInputException') ?? `arn:aws:iam::${ctx.accountId}:role/codebuild-${name}`,
      timeoutInMinutes: optInt(input, 'timeoutInMinutes', 'InvalidInputException') ?? 60,
      buildNumber: 0,
    };
    projects.set(projectKey(region, name), project);
    ctx.event('ProjectCreated', { region, project: name });
    return projectView(project);
  };

  const projectView = (project: Project): Body => ({
    name: project.name,
    arn: project.arn,
    source: cloneJson(project.source),
    secondarySources: cloneJson(project.secondarySources),
    artifacts: cloneJson(project.artifacts),
    secondaryArtifacts: cloneJson(project.secondaryArtifacts),
    environment: cloneJson(project.environment),
    serviceRole: project.serviceRole,
    timeoutInMinutes: project.timeoutInMinutes,
    created: epochSeconds(project.created),
  });

  /** The S3 location an artifacts block of a project puts a build's output at (`arn:aws:s3:::bucket/path/name`). */
  const artifactOf = (artifacts: Body, build: { project: string; buildNumber: number }): Body | undefined => {
    if (artifacts['type'] !== 'S3' || typeof artifacts['location'] !== 'string') return undefined;
    const parts = [artifacts['location'], artifacts['path'], artifacts['name'] ?? build.project].filter((part): part is string => typeof part === 'string' && part !== '');
    return {
      location: `arn:aws:s3:::${parts.join('/')}`,
      ...(typeof artifacts['artifactIdentifier'] === 'string' ? { artifactIdentifier: artifacts['artifactIdentifier'] } : {}),
    };
  };

  const startBuild = (req: SimRequest, input: Body, ctx: SimContext): Body => {
    const project = projectOf(req.region, reqString(input, 'projectName', 'InvalidInputException'), ctx);
    const token = optString(input, 'idempotencyToken', 'InvalidInputException');
    const { idempotencyToken: _token, ...parameters } = input;
    const requestKey = JSON.stringify(parameters);
    if (token !== undefined) {
      const known = tokens.get(`${req.region}|${token}`);
      if (known && ctx.now() - known.at < TOKEN_LIFETIME_MS) {
        if (known.request !== requestKey) throw new AwsError('InvalidInputException', `Idempotency token ${token} was used with different request parameters`);
        return { build: buildView(builds.get(known.buildId)!, ctx.now()) };
      }
    }
    for (const variable of asBodies(input['environmentVariablesOverride'], 'environmentVariablesOverride')) {
      if (typeof variable['name'] !== 'string' || typeof variable['value'] !== 'string') throw new AwsError('InvalidInputException', 'environmentVariablesOverride entries need a name and a value');
      if (variable['type'] !== undefined && !['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER'].includes(String(variable['type']))) {
        throw new AwsError('InvalidInputException', `Invalid environment variable type: ${String(variable['type'])}`);
      }
    }
    const sourceType = optString(input, 'sourceTypeOverride', 'InvalidInputException');
    if (sourceType !== undefined && !['CODECOMMIT', 'CODEPIPELINE', 'GITHUB', 'GITHUB_ENTERPRISE', 'GITLAB', 'GITLAB_SELF_MANAGED', 'BITBUCKET', 'S3', 'NO_SOURCE'].includes(sourceType)) {
      throw new AwsError('InvalidInputException', `Invalid source type: ${sourceType}`);
    }
    counter += 1;
    project.buildNumber += 1;
    const uuid = uuidId('codebuild-build', counter);
    const id = `${project.name}:${uuid}`;
    const now = ctx.now();
    const failIndex = failNext.findIndex((entry) => entry.project === '' || entry.project === project.name);
    const failing = failIndex >= 0 ? failNext.splice(failIndex, 1)[0] : undefined;
    const buildspec = optString(input, 'buildspecOverride', 'InvalidInputException') ?? (typeof project.source['buildspec'] === 'string' ? project.source['buildspec'] : undefined);
    const overrides = asBodies(input['environmentVariablesOverride'], 'environmentVariablesOverride');
    const projectVariables = asBodies(project.environment['environmentVariables'], 'environment.environmentVariables');
    const variables = [...projectVariables.filter((variable) => !overrides.some((override) => override['name'] === variable['name'])), ...overrides];
    const secondarySources = input['secondarySourcesOverride'] !== undefined ? asBodies(input['secondarySourcesOverride'], 'secondarySourcesOverride') : project.secondarySources;
    const sourceVersion = optString(input, 'sourceVersion', 'InvalidInputException');
    const imageOverride = optString(input, 'imageOverride', 'InvalidInputException');
    const pullCredentials = optString(input, 'imagePullCredentialsTypeOverride', 'InvalidInputException');
    const build: Build = {
      id,
      arn: `arn:aws:codebuild:${req.region}:${ctx.accountId}:build/${id}`,
      region: req.region,
      project: project.name,
      buildNumber: project.buildNumber,
      startTime: now,
      ...(failing ? { failsIn: failing.phase } : {}),
      request: cloneJson(parameters),
      source: {
        ...cloneJson(project.source),
        ...(sourceType !== undefined ? { type: sourceType } : {}),
        ...(typeof input['sourceLocationOverride'] === 'string' ? { location: input['sourceLocationOverride'] } : {}),
        ...(buildspec !== undefined ? { buildspec } : {}),
      },
      secondarySources: cloneJson(secondarySources),
      secondarySourceVersions: cloneJson(asBodies(input['secondarySourcesVersionOverride'], 'secondarySourcesVersionOverride')),
      ...(sourceVersion !== undefined ? { sourceVersion } : {}),
      environment: {
        ...cloneJson(project.environment),
        ...(imageOverride !== undefined ? { image: imageOverride } : {}),
        ...(pullCredentials !== undefined ? { imagePullCredentialsType: pullCredentials } : {}),
        environmentVariables: cloneJson(variables),
      },
      artifacts: artifactOf(project.artifacts, { project: project.name, buildNumber: project.buildNumber }) ?? {},
      secondaryArtifacts: project.secondaryArtifacts.map((artifacts) => artifactOf(artifacts, { project: project.name, buildNumber: project.buildNumber })).filter((value): value is Body => value !== undefined),
      exportedNames: exportedVariableNames(buildspec),
      completedEventSent: false,
    };
    builds.set(id, build);
    if (token !== undefined) tokens.set(`${req.region}|${token}`, { buildId: id, request: requestKey, at: now });
    ctx.event('BuildStarted', { region: req.region, project: project.name, buildId: id, ...(failing ? { failsIn: failing.phase } : {}) });
    return { build: buildView(build, now) };
  };

  /**
   * The build's phases as planned at its start: every phase in order, or, for a build that fails,
   * the phases up to the failing one, then FINALIZING (CodeBuild skips the rest); a stop cuts the
   * running phase short (STOPPED) and completes the build at once.
   */
  const timelineOf = (build: Build): Array<{ phase: Phase; start: number; end: number; status: string }> => {
    const failedIndex = build.failsIn !== undefined ? BUILD_PHASES.indexOf(build.failsIn) : -1;
    const planned: Array<{ phase: Phase; start: number; end: number; status: string }> = [];
    let at = build.startTime;
    for (let index = 0; index < BUILD_PHASES.length - 1; index += 1) {
      const phase = BUILD_PHASES[index] as Exclude<Phase, 'COMPLETED'>;
      if (failedIndex >= 0 && index > failedIndex && phase !== 'FINALIZING') continue;
      planned.push({ phase, start: at, end: at + phaseMs[phase], status: index === failedIndex ? 'FAILED' : 'SUCCEEDED' });
      at += phaseMs[phase];
    }
    if (build.stoppedAt === undefined) return [...planned, { phase: 'COMPLETED', start: at, end: at, status: '' }];
    const stopped = build.stoppedAt;
    const cut = planned.filter((entry) => entry.start < stopped || (entry.start === stopped && entry === planned[0])).map((entry) => (entry.end > stopped ? { ...entry, end: stopped, status: 'STOPPED' } : entry));
    return [...cut, { phase: 'COMPLETED', start: stopped, end: stopped, status: '' }];
  };

  /** When the build ends (COMPLETED starts). */
  const endOf = (build: Build): number => timelineOf(build).at(-1)!.start;

  const statusOf = (build: Build, now: number): string => {
    if (now < endOf(build)) return 'IN_PROGRESS';
    if (build.stoppedAt !== undefined) return 'STOPPED';
    return build.failsIn !== undefined ? 'FAILED' : 'SUCCEEDED';
  };

  /** The phases as BatchGetBuilds lists them at `now`: the finished ones with their status and length, then the current one. */
  const phasesOf = (build: Build, now: number): { phases: Body[]; current: Phase } => {
    const phases: Body[] = [];
    let current: Phase = 'SUBMITTED';
    for (const entry of timelineOf(build)) {
      if (entry.start > now) break;
      current = entry.phase;
      if (entry.phase === 'COMPLETED' || entry.end > now) {
        phases.push({ phaseType: entry.phase, startTime: epochSeconds(entry.start) });
        continue;
      }
      phases.push({
        phaseType: entry.phase,
        phaseStatus: entry.status,
        startTime: epochSeconds(entry.start),
        endTime: epochSeconds(entry.end),
        durationInSeconds: Math.round((entry.end - entry.start) / 1000),
        ...(entry.status === 'FAILED' ? { contexts: [{ statusCode: 'COMMAND_EXECUTION_ERROR', message: 'Error while executing command: ./build.sh. Reason: exit status 1' }] } : {}),
      });
    }
    return { phases, current };
  };

  const buildView = (build: Build, now: number): Body => {
    const status = statusOf(build, now);
    const { phases, current } = phasesOf(build, now);
    const complete = status !== 'IN_PROGRESS';
    const variables = asBodies(build.environment['environmentVariables'], 'environmentVariables');
    const logStream = build.id.split(':')[1]!;
    const group = `/aws/codebuild/${build.project}`;
    return {
      id: build.id,
      arn: build.arn,
      buildNumber: build.buildNumber,
      startTime: epochSeconds(build.startTime),
      ...(complete ? { endTime: epochSeconds(endOf(build)) } : {}),
      currentPhase: current,
      buildStatus: status,
      ...(build.sourceVersion !== undefined ? { sourceVersion: build.sourceVersion } : {}),
      ...(complete && status === 'SUCCEEDED' ? { resolvedSourceVersion: build.sourceVersion ?? 'refs/heads/main' } : {}),
      projectName: build.project,
      phases,
      source: cloneJson(build.source),
      secondarySources: cloneJson(build.secondarySources),
      secondarySourceVersions: cloneJson(build.secondarySourceVersions),
      ...(Object.keys(build.artifacts).length > 0 && status === 'SUCCEEDED' ? { artifacts: cloneJson(build.artifacts) } : {}),
      ...(build.secondaryArtifacts.length > 0 && status === 'SUCCEEDED' ? { secondaryArtifacts: cloneJson(build.secondaryArtifacts) } : {}),
      environment: cloneJson(build.environment),
      logs: {
        groupName: group,
        streamName: logStream,
        deepLink: `https://console.aws.amazon.com/cloudwatch/home?region=${build.region}#logEvent:group=${encodeURIComponent(group)};stream=${logStream}`,
        cloudWatchLogsArn: `arn:aws:logs:${build.region}:${build.arn.split(':')[4]}:log-group:${group}:log-stream:${logStream}`,
      },
      timeoutInMinutes: 60,
      queuedTimeoutInMinutes: 480,
      buildComplete: complete,
      initiator: 'sandbox',
      ...(complete && status === 'SUCCEEDED' && build.exportedNames.length > 0
        ? { exportedEnvironmentVariables: build.exportedNames.map((name) => ({ name, value: String(variables.find((variable) => variable['name'] === name)?.['value'] ?? '') })) }
        : {}),
    };
  };

  const buildOf = (id: string): Build | undefined => builds.get(id.startsWith('arn:') ? id.split('/').slice(1).join('/') : id);

  const handlers: Record<Operation, (body: Body, req: SimRequest, ctx: SimContext) => Body> = {
    CreateProject: (body, req, ctx) => ({ project: createProject(req.region, body, ctx) }),
    BatchGetProjects: (body, req) => {
      const names = body['names'];
      if (!Array.isArray(names) || names.length === 0 || names.length > 100) throw new AwsError('InvalidInputException', 'names must list 1 to 100 projects');
      const found: Body[] = [];
      const missing: string[] = [];
      for (const name of names.map(String)) {
        const project = projects.get(projectKey(req.region, name.startsWith('arn:') ? name.split('/').slice(1).join('/') : name));
        if (project) found.push(projectView(project));
        else missing.push(name);
      }
      return { projects: found, projectsNotFound: missing };
    },
    StartBuild: (body, req, ctx) => startBuild(req, body, ctx),
    BatchGetBuilds: (body, req, ctx) => {
      const ids = body['ids'];
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100) throw new AwsError('InvalidInputException', 'ids must list 1 to 100 builds');
      const found: Body[] = [];
      const missing: string[] = [];
      for (const id of ids.map(String)) {
        const build = buildOf(id);
        if (build && build.region === req.region) found.push(buildView(build, ctx.now()));
        else missing.push(id);
      }
      return { builds: found, buildsNotFound: missing };
    },
    StopBuild: (body, req, ctx) => {
      const id = reqString(body, 'id', 'InvalidInputException');
      const build = buildOf(id);
      if (!build || build.region !== req.region) throw new AwsError('ResourceNotFoundException', `Build ${id} does not exist`);
      if (statusOf(build, ctx.now()) === 'IN_PROGRESS') {
        build.stoppedAt = ctx.now();
        ctx.event('BuildStopped', { region: build.region, project: build.project, buildId: build.id });
      }
      return { build: buildView(build, ctx.now()) };
    },
  };

  return {
    signingName: 'codebuild',
    protocol: WIRE,
    operations: OPERATIONS,
    createProject,
    async handle(req: SimRequest, ctx: SimContext): Promise<SimResponse> {
      const operation = jsonTarget(req, TARGET_PREFIX);
      if (operation === undefined || !(OPERATIONS as readonly string[]).includes(operation)) return unknownOperation(PROTOCOL, ctx.requestId);
      return runJsonOperation(PROTOCOL, ctx.requestId, () => handlers[operation as Operation](parseJsonBody(req), req, ctx));
    },
    reconcile(ctx: SimContext): void {
      for (const build of builds.values()) {
        if (build.completedEventSent || ctx.now() < endOf(build)) continue;
        build.completedEventSent = true;
        ctx.event('BuildCompleted', { region: build.region, project: build.project, buildId: build.id, buildStatus: statusOf(build, ctx.now()) });
      }
    },
    nextChangeAt(): number | undefined {
      let next: number | undefined;
      for (const build of builds.values()) {
        if (build.completedEventSent) continue;
        const end = endOf(build);
        if (next === undefined || end < next) next = end;
      }
      return next;
    },
    snapshot(): Record<string, unknown> {
      return {
        projects: [...projects.values()].map((project) => ({ region: project.region, name: project.name, arn: project.arn })),
        builds: [...builds.values()].map((build) => ({ region: build.region, id: build.id, project: build.project, request: cloneJson(build.request), completed: build.completedEventSent })),
        failNext: failNext.map((entry) => ({ ...entry })),
      };
    },
    control(command: string, input: Record<string, unknown>, ctx: SimContext): unknown {
      if (command === 'createProject') {
        const region = typeof input['region'] === 'string' ? input['region'] : 'us-east-1';
        return { project: createProject(region, input, ctx) };
      }
      if (command === 'failNext') {
        const project = typeof input['projectName'] === 'string' ? input['projectName'] : '';
        const phase = input['phase'] === undefined ? 'BUILD' : input['phase'];
        const failable = BUILD_PHASES.filter((candidate) => candidate !== 'SUBMITTED' && candidate !== 'FINALIZING' && candidate !== 'COMPLETED');
        if (typeof phase !== 'string' || !(failable as readonly string[]).includes(phase)) throw new Error(`failNext: phase must be one of ${failable.join(', ')}, got ${JSON.stringify(phase)}`);
        failNext.push({ project, phase: phase as Phase });
        return { pending: failNext.length };
      }
      throw new Error(`codebuild has no side-door command '${command}' (createProject, failNext)`);
    },
  };
}
