/**
 * The StateMachineEngine on AWS Step Functions (DESIGN.md §4, §10). Each pipeline is one
 * Standard state machine, `<prefix>-<pipelineConfigId>`; each saved version is published as a
 * Step Functions version described `v<version> of <app>/<name>`, and the `live` alias points at
 * the latest one. Executions start on the alias, named by their execution id, so a duplicate
 * start (EventBridge delivers at least once) is answered `ExecutionAlreadyExists` and ignored.
 *
 * The definition published is exactly `compilePipeline(...).json` with its `${...}` definition
 * substitutions (the stage runner's ARN) replaced, nothing else.
 *
 * A stage run as a child state machine (`PublishRequest.children`) is its own machine,
 * `<prefix>.<pipelineConfigId>.<key>` (names.ts: outside `<prefix>-*`, so its end never reaches
 * the reconciler as the parent's), published first with the same description and `live` alias.
 * The parent's `${ChildStateMachineArn_<key>}` becomes the child's VERSION ARN published with
 * it (`StartExecution`, and so `states:startExecution.sync:2`, accepts machine, version and
 * alias ARNs): a run of parent version N always runs the children of version N, also a restart
 * of an older version after newer saves moved the children's aliases.
 *
 * Control-plane calls are rate-limited (one per second refill): publishing runs through a
 * bounded queue with throttling retries, and a save waits for it at most `publishWaitMs`. A
 * publish that has not finished by then (or found the queue full) does not fail the save: the
 * first start of that version publishes it (`loadPublishRequest`), and so does the publisher
 * function when it is asked to.
 *
 * An engine built with `startTargetVia` never publishes (the stage runner's: it runs user
 * expressions and calls user webhooks, so it holds no right to create or change state machines).
 * A start whose version is live runs on the alias as above; any other start asks `startTargetVia`
 * (the publisher function) for the ARN to start on, which publishes the version first when it
 * must. `publish` and `publishNow` then fail as wiring bugs.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import {
  CreateStateMachineAliasCommand,
  CreateStateMachineCommand,
  DescribeStateMachineAliasCommand,
  DescribeStateMachineCommand,
  ListStateMachineVersionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  UpdateStateMachineAliasCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { GennakerError } from '../../core/errors.ts';
import type { PublishedPipeline, PublishRequest, StateMachineEngine } from '../../core/ports/state-machine-engine.ts';
import { createControlPlaneQueue, retryThrottled, type RetryPolicy } from './control-plane.ts';
import {
  childStateMachineName,
  executionArn,
  isExecutionName,
  LIVE_ALIAS,
  stateMachineArn,
  stateMachineName,
  statesLocation,
  versionDescription,
  versionOfDescription,
  type StatesLocation,
} from './names.ts';

/** The part of the SDK client the engine uses (the real SFNClient, or a fake in tests). */
export type SfnClient = Pick<SFNClient, 'send'>;

export interface StepFunctionsEngineOptions {
  readonly client: SfnClient;
  /** The role every pipeline state machine runs under (allowed to invoke Gennaker's functions only). */
  readonly stateMachineRoleArn: string;
  /** The Region of the state machines (the Lambda's AWS_REGION). */
  readonly region: string;
  /** @default 'gennaker' */
  readonly namePrefix?: string;
  /** Values of the definitions' `${Name}` placeholders, e.g. `{ StageRunnerFunctionArn }`. */
  readonly substitutions: Readonly<Record<string, string>>;
  /** The pipeline config id of an execution (the store's record): stopping needs its state machine. */
  readonly pipelineOf: (executionId: string) => Promise<string | undefined>;
  /**
   * The publish request of a saved version (compiled from the store): lets a start publish a
   * version whose publish was deferred, or find an older version a restart runs.
   */
  readonly loadPublishRequest?: (pipelineConfigId: string, version: number) => Promise<PublishRequest | undefined>;
  /**
   * Where the ARN to start a version that is not live comes from, when this engine must not
   * publish (the publisher function answers it, publishing first when needed). Given: this
   * engine never calls a control-plane write, and `loadPublishRequest` is not used.
   */
  readonly startTargetVia?: (pipelineConfigId: string, version: number) => Promise<string>;
  /** How long `publish` waits for the control plane before deferring. @default 20000 */
  readonly publishWaitMs?: number;
  /** Publishes queued or running at most in this process; more are deferred. @default 50 */
  readonly queueLimit?: number;
  /** Throttling retries. @default 8 attempts, 250 ms doubling to 8 s, full jitter */
  readonly retry?: RetryPolicy;
  /** Told when a publish is deferred (the composition root logs it). */
  readonly onDeferred?: (request: PublishRequest, reason: string) => void;
  /** Tags for new state machines. */
  readonly tags?: Readonly<Record<string, string>>;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

export interface StepFunctionsEngine extends StateMachineEngine {
  /** Publishes and waits for it however long throttling lasts (the publisher function). */
  publishNow(request: PublishRequest): Promise<PublishedPipeline>;
  /**
   * The ARN a start of this version runs on: the live alias, or the version published for it
   * (publishing it first when needed). What the publisher answers an engine with `startTargetVia`.
   */
  startTargetOf(pipelineConfigId: string, version: number): Promise<string>;
  /** Publishes queued or running. */
  pendingPublishes(): number;
  /** Settles when every queued publish has finished. */
  idle(): Promise<void>;
}

/** How many published versions a restart of an older version looks through for an identical definition. */
const VERSIONS_SEARCHED = 25;

/** Step Functions' limits on SendTaskFailure's `error` and `cause`. */
const MAX_ERROR_LENGTH = 256;
const MAX_CAUSE_LENGTH = 32_768;

function nameOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string' ? (error as { name: string }).name : undefined;
}

function isNamed(error: unknown, ...names: string[]): boolean {
  const name = nameOf(error);
  return name !== undefined && names.includes(name);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The definition substitution a parent names its child `key` by (statemachines/children.ts). */
function childPlaceholder(key: string): string {
  return `ChildStateMachineArn_${key}`;
}

/** A state machine the engine publishes: a pipeline's, or one of its children. */
interface MachineRef {
  readonly name: string;
  readonly arn: string;
}

/** Replaces every `${Name}` of `definition`; a placeholder without a value is a wiring bug. */
export function applySubstitutions(definition: string, substitutions: Readonly<Record<string, string>>): string {
  return definition.replace(/\$\{([^}]+)\}/g, (_whole, name: string) => {
    const value = substitutions[name];
    if (value === undefined) {
      throw new GennakerError('Gennaker.InvariantViolated', `the definition uses \${${name}}, which the engine has no value for; known: ${Object.keys(substitutions).join(', ') || 'none'}`);
    }
    // A value is placed inside a JSON string: keep it one.
    return JSON.stringify(value).slice(1, -1);
  });
}

export function createStepFunctionsEngine(options: StepFunctionsEngineOptions): StepFunctionsEngine {
  const { client } = options;
  const location: StatesLocation = statesLocation(options.stateMachineRoleArn, options.region);
  const prefix = options.namePrefix ?? 'gennaker';
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(prefix)) throw new Error(`state machine name prefix '${prefix}' must be 1-40 letters, digits, '-' or '_'`);
  const retryDeps = { sleep: options.sleep ?? defaultSleep, random: options.random ?? Math.random, ...(options.retry ? { policy: options.retry } : {}) };
  const queue = createControlPlaneQueue({ limit: options.queueLimit ?? 50 });
  const publishWaitMs = options.publishWaitMs ?? 20_000;
  // The version the live alias points at, per pipeline, as this process last saw it.
  const liveVersion = new Map<string, number>();

  const send = <T>(call: () => Promise<T>) => retryThrottled(call, retryDeps);
  const machineName = (pipelineConfigId: string) => stateMachineName(prefix, pipelineConfigId);
  const machineArn = (pipelineConfigId: string) => stateMachineArn(location, machineName(pipelineConfigId));
  const aliasArn = (pipelineConfigId: string) => `${machineArn(pipelineConfigId)}:${LIVE_ALIAS}`;
  const published = (request: { pipelineConfigId: string; version: number }): PublishedPipeline => ({
    pipelineConfigId: request.pipelineConfigId,
    version: request.version,
    ref: aliasArn(request.pipelineConfigId),
  });

  /** The Gennaker version the live alias points at, or undefined when there is no alias (or no machine). */
  const readLiveVersion = async (pipelineConfigId: string): Promise<number | undefined> => {
    try {
      const alias = await send(() => client.send(new DescribeStateMachineAliasCommand({ stateMachineAliasArn: aliasArn(pipelineConfigId) })));
      const version = versionOfDescription(alias.description);
      if (version !== undefined) liveVersion.set(pipelineConfigId, version);
      return version;
    } catch (error) {
      if (isNamed(error, 'ResourceNotFound', 'StateMachineDoesNotExist')) return undefined;
      throw error;
    }
  };

  const parentRef = (pipelineConfigId: string): MachineRef => ({ name: machineName(pipelineConfigId), arn: machineArn(pipelineConfigId) });
  const childRef = (pipelineConfigId: string, key: string): MachineRef => {
    const name = childStateMachineName(prefix, pipelineConfigId, key);
    return { name, arn: stateMachineArn(location, name) };
  };

  /** The parent's definition to publish, its children named by `childArns` (by key). */
  const parentDefinition = (request: PublishRequest, childArns: ReadonlyMap<string, string>): string =>
    applySubstitutions(request.definition, { ...options.substitutions, ...Object.fromEntries([...childArns].map(([key, arn]) => [childPlaceholder(key), arn])) });

  /** Publishes a new Step Functions version of the machine (creating the machine the first time); its ARN. */
  const publishVersion = async (machine: MachineRef, definition: string, description: string): Promise<string> => {
    const update = async () => {
      const out = await send(() =>
        client.send(
          new UpdateStateMachineCommand({
            stateMachineArn: machine.arn,
            definition,
            roleArn: options.stateMachineRoleArn,
            publish: true,
            versionDescription: description,
          }),
        ),
      );
      return out.stateMachineVersionArn;
    };
    let versionArn: string | undefined;
    try {
      versionArn = await update();
    } catch (error) {
      if (!isNamed(error, 'StateMachineDoesNotExist')) throw error;
      try {
        const created = await send(() =>
          client.send(
            new CreateStateMachineCommand({
              name: machine.name,
              definition,
              roleArn: options.stateMachineRoleArn,
              type: 'STANDARD',
              publish: true,
              versionDescription: description,
              ...(options.tags ? { tags: Object.entries(options.tags).map(([key, value]) => ({ key, value })) } : {}),
            }),
          ),
        );
        versionArn = created.stateMachineVersionArn;
      } catch (createError) {
        // Another function created it meanwhile: update that one.
        if (!isNamed(createError, 'StateMachineAlreadyExists')) throw createError;
        versionArn = await update();
      }
    }
    if (!versionArn) throw new GennakerError('Gennaker.InvariantViolated', `Step Functions published no version of ${machine.name}`);
    return versionArn;
  };

  /**
   * Points the machine's live alias at `versionArn`: updates it when it `probablyExists`
   * (creating it when it does not after all), else creates it (updating it when it does).
   */
  const pointAlias = async (machine: MachineRef, versionArn: string, description: string, probablyExists: boolean): Promise<void> => {
    const routingConfiguration = [{ stateMachineVersionArn: versionArn, weight: 100 }];
    const update = () => send(() => client.send(new UpdateStateMachineAliasCommand({ stateMachineAliasArn: `${machine.arn}:${LIVE_ALIAS}`, description, routingConfiguration })));
    const create = () => send(() => client.send(new CreateStateMachineAliasCommand({ name: LIVE_ALIAS, description, routingConfiguration })));
    try {
      await (probablyExists ? update() : create());
    } catch (error) {
      if (probablyExists ? !isNamed(error, 'ResourceNotFound') : !isNamed(error, 'ConflictException', 'ResourceAlreadyExists')) throw error;
      await (probablyExists ? create() : update());
    }
  };

  /** Publishes each child (a version, then its live alias); their version ARNs by key. */
  const publishChildren = async (request: PublishRequest, description: string, parentExisted: boolean): Promise<Map<string, string>> => {
    const versions = new Map<string, string>();
    for (const child of request.children ?? []) {
      const machine = childRef(request.pipelineConfigId, child.key);
      const versionArn = await publishVersion(machine, applySubstitutions(child.definition, options.substitutions), description);
      await pointAlias(machine, versionArn, description, parentExisted);
      versions.set(child.key, versionArn);
    }
    return versions;
  };

  /** The whole publish: idempotent per (pipeline, version), and never moves the alias back to an older version. */
  const publishLive = async (request: PublishRequest): Promise<PublishedPipeline> => {
    const live = await readLiveVersion(request.pipelineConfigId);
    if (live !== undefined && live >= request.version) return published(request);
    const description = versionDescription(request.version, request.application, request.name);
    // Children first: the parent's definition names their versions.
    const children = await publishChildren(request, description, live !== undefined);
    const parent = parentRef(request.pipelineConfigId);
    const versionArn = await publishVersion(parent, parentDefinition(request, children), description);
    await pointAlias(parent, versionArn, description, live !== undefined);
    liveVersion.set(request.pipelineConfigId, request.version);
    return published(request);
  };

  const publishNow = async (request: PublishRequest): Promise<PublishedPipeline> => {
    const queued = queue.enqueue(() => publishLive(request));
    // A full queue still publishes: this caller waits as long as it takes.
    return queued.accepted ? queued.done : publishLive(request);
  };

  /**
   * The ARN to start `version` on: the live alias when it points at that version; after a
   * deferred publish, the alias once published; for an older version (a restart), the published
   * version with the identical definition, published again when none is kept.
   */
  const startTarget = async (pipelineConfigId: string, version: number): Promise<string> => {
    let live = liveVersion.get(pipelineConfigId);
    if (live === version) return aliasArn(pipelineConfigId);
    live = await readLiveVersion(pipelineConfigId);
    if (live === version) return aliasArn(pipelineConfigId);
    if (options.startTargetVia) return options.startTargetVia(pipelineConfigId, version);
    const request = await options.loadPublishRequest?.(pipelineConfigId, version);
    if (!request) {
      throw new GennakerError('Gennaker.InvariantViolated', `version ${version} of pipeline ${pipelineConfigId} is not published in Step Functions (live: ${live ?? 'none'}); save the pipeline again`);
    }
    if (live === undefined || live < version) {
      await publishNow(request);
      return aliasArn(pipelineConfigId);
    }
    return olderVersionArn(request);
  };

  /** A published version of `machine` with exactly `definition`, published again (alias untouched) when none is kept. */
  const versionWith = async (machine: MachineRef, definition: string, description: string): Promise<string> => {
    const listed = await send(() => client.send(new ListStateMachineVersionsCommand({ stateMachineArn: machine.arn, maxResults: VERSIONS_SEARCHED })));
    for (const { stateMachineVersionArn } of listed.stateMachineVersions ?? []) {
      if (!stateMachineVersionArn) continue;
      const described = await send(() => client.send(new DescribeStateMachineCommand({ stateMachineArn: stateMachineVersionArn })));
      if (described.definition === definition) return stateMachineVersionArn;
    }
    const queued = queue.enqueue(() => publishVersion(machine, definition, description));
    return queued.accepted ? queued.done : publishVersion(machine, definition, description);
  };

  /** The version of an older pipeline version: its children's versions first, then the parent naming them. */
  const olderVersionArn = async (request: PublishRequest): Promise<string> => {
    const description = versionDescription(request.version, request.application, request.name);
    const children = new Map<string, string>();
    for (const child of request.children ?? []) {
      const definition = applySubstitutions(child.definition, options.substitutions);
      children.set(child.key, await versionWith(childRef(request.pipelineConfigId, child.key), definition, description));
    }
    return versionWith(parentRef(request.pipelineConfigId), parentDefinition(request, children), description);
  };

  /** This engine publishes nothing (`startTargetVia`): a call to publish is a wiring bug. */
  const notHere = (request: PublishRequest): never => {
    throw new GennakerError('Gennaker.InvariantViolated', `this function does not publish state machines (v${request.version} of pipeline ${request.pipelineConfigId}): the API and the publisher function do`);
  };

  return {
    async publish(request) {
      if (options.startTargetVia) return notHere(request);
      // Fail a wiring bug (an unknown placeholder, a bad child key) now, not in the queue.
      parentDefinition(request, new Map((request.children ?? []).map((child) => [child.key, childRef(request.pipelineConfigId, child.key).arn])));
      for (const child of request.children ?? []) applySubstitutions(child.definition, options.substitutions);
      const queued = queue.enqueue(() => publishLive(request));
      if (!queued.accepted) {
        options.onDeferred?.(request, `${queued.pending} publishes are already queued in this function`);
        return published(request);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<'deferred'>((resolve) => {
        timer = setTimeout(() => resolve('deferred'), publishWaitMs);
      });
      try {
        const outcome = await Promise.race([queued.done, deadline]);
        if (outcome === 'deferred') {
          // Keep the queued publish's failure from going unhandled; the next start publishes it again.
          queued.done.catch(() => undefined);
          options.onDeferred?.(request, `the Step Functions control plane stayed throttled for ${publishWaitMs} ms`);
          return published(request);
        }
        return outcome;
      } catch (error) {
        if (isNamed(error, 'ThrottlingException', 'TooManyRequestsException')) {
          options.onDeferred?.(request, 'the Step Functions control plane stayed throttled through every retry');
          return published(request);
        }
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },

    publishNow: (request) => (options.startTargetVia ? Promise.resolve().then(() => notHere(request)) : publishNow(request)),

    startTargetOf: startTarget,

    async startExecution(request) {
      if (!isExecutionName(request.executionId)) {
        throw new GennakerError('Gennaker.InvariantViolated', `execution id '${request.executionId}' cannot name a Step Functions execution (1-80 letters, digits, '-' or '_')`);
      }
      const target = await startTarget(request.pipelineConfigId, request.version);
      try {
        // The input is built from the id alone, so a duplicate start sends byte-identical input.
        await send(() => client.send(new StartExecutionCommand({ stateMachineArn: target, name: request.executionId, input: JSON.stringify({ executionId: request.executionId }) })));
      } catch (error) {
        if (isNamed(error, 'ExecutionAlreadyExists')) return;
        throw error;
      }
    },

    async stopExecution(executionId, { cause }) {
      const pipelineConfigId = await options.pipelineOf(executionId);
      if (pipelineConfigId === undefined) return;
      try {
        await send(() =>
          client.send(new StopExecutionCommand({ executionArn: executionArn(location, machineName(pipelineConfigId), executionId), cause: cause.slice(0, MAX_CAUSE_LENGTH) })),
        );
      } catch (error) {
        if (isNamed(error, 'ExecutionDoesNotExist')) return;
        throw error;
      }
    },

    async sendTaskSuccess(taskToken, output) {
      await send(() => client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })));
    },

    async sendTaskFailure(taskToken, error, cause) {
      await send(() => client.send(new SendTaskFailureCommand({ taskToken, error: error.slice(0, MAX_ERROR_LENGTH), cause: cause.slice(0, MAX_CAUSE_LENGTH) })));
    },

    pendingPublishes: () => queue.pending(),
    idle: () => queue.idle(),
  };
}
