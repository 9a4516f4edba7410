/**
 * The API: one Hono app, served by API Gateway + Lambda in the cloud (handler.ts) and by a Node
 * HTTP server locally (local/server.ts). Commands go through the ExecutionService, queries read
 * the store; applications have no service command, so their documents are written to the store
 * here. Every answer is JSON (but the canary report, an HTML page); errors are `{ error }` with one line that names the field, the
 * value and the fix, and never carry a stack trace or SDK text (those go to `log`).
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { Caller, CommandResult, ExecutionService, StartPipelineResult } from '../../core/execution/execution-service-api.ts';
import { toOrcaExecution, unexpanded, type OrcaExecution, type OrcaShapeOptions } from '../../core/execution/orca-shape.ts';
import { stepsOfPipeline } from '../../core/execution/orca-steps.ts';
import type { ClusterDescription, ServerGroupDescription } from '../../core/ports/server-groups.ts';
import type { ClusterPlace } from '../../core/deploy/known-clusters.ts';
import type { ClusterReads, DescribedPlace, ReadTargetLookup } from './cluster-reads.ts';
import type { EvaluationOutcome, EvaluationPlace } from '../../core/execution/evaluate-expression.ts';
import { parseVariableList, splitRefIds } from '../../core/execution/variable-requests.ts';
import type { CanaryConfigStore, StoredCanaryConfig } from '../../core/ports/canary-config-store.ts';
import { parseClusterName, parseServerGroupName } from '../../core/deploy/names.ts';
import type { PipelineTemplateStore } from '../../core/ports/pipeline-template-store.ts';
import { createPipelineTemplates, type TemplateCommandResult } from '../../core/pipeline/templates/template-service.ts';
import { isTemplatedPipeline, parseTemplatedPipeline, renderedIssues } from '../../core/pipeline/templates/model.ts';
import { parsePipeline } from '../../core/pipeline/parse.ts';
import { compilePipeline } from '../../statemachines/index.ts';
import type { ServerGroup } from '../../core/deploy/model.ts';
import { emptyClusterMessage, isOrchestration, rollbackPipelineConfig } from '../../core/deploy/rollback-request.ts';
import { toGateAccount } from '../../core/accounts/gate-shape.ts';
import { unknownAccountIssues, unknownAccountMessage } from '../../core/accounts/pipeline-accounts.ts';
import { unknownRegionIssues } from '../../core/deploy/save-checks.ts';
import { holds, PERMISSIONS } from '../../core/authz/permissions.ts';
import { createAccountRegistry } from '../../core/accounts/registry.ts';
import type { AccountRegistry } from '../../core/ports/accounts.ts';
import { runAsUserOf } from '../../core/authz/service-accounts.ts';
import { createGuardedCanaryConfigs } from '../../core/canary/guarded-configs.ts';
import { createExecutionQueries, type ExecutionQueries } from '../../core/execution/queries.ts';
import type { AuditLog } from '../../core/ports/audit-log.ts';
import { isGennakerError } from '../../core/errors.ts';
import { showValue } from '../../core/issues.ts';
import type { Pipeline } from '../../core/pipeline/model.ts';
import type { Authenticator } from '../../core/ports/authenticator.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { runnableConfigOf, type Application, type Execution, type ExecutionStore, type PipelineConfigVersion } from '../../core/ports/execution-store.ts';
import { parseGitWebhook } from '../../core/triggers/git-webhook.ts';
import { matchGitTrigger } from '../../core/triggers/git-match.ts';
import type { TriggerMatch } from '../../core/triggers/match.ts';
import { pipelineRef } from '../../core/triggers/match.ts';
import { pipelinesFromConfigs } from '../../core/triggers/pipeline-source.ts';
import { gitTriggerKey, webhookTriggerKey } from '../../core/triggers/trigger-keys.ts';
import type { EventSignature, HeaderMap, SignatureVerifier } from '../../core/triggers/signature.ts';
import { acceptsSignature, header, pipelinesSignedFor, readEventSignature, triggerSecret } from '../../core/triggers/signature.ts';
import { openTriggerSecrets } from '../../core/execution/config-secrets.ts';
import { preconfiguredWebhookListing, type PreconfiguredWebhook } from '../../core/pipeline/preconfigured-webhooks.ts';
import type { SecretCipher } from '../../core/ports/secret-cipher.ts';
import type { NotificationTypeMetadata } from '../../core/notifications/metadata.ts';
import { applicationNotificationsProblem } from '../../core/notifications/preferences.ts';
import { matchWebhookTrigger } from '../../core/triggers/webhook-match.ts';
import { createSignatureVerifier } from '../../adapters/crypto/signature-verifier.ts';
import { boundedPathParameters, CONFIG_LIMIT_SETTING, sha256Hex, WEBHOOK_LIMIT_SETTING } from './bounded-input.ts';
import { DEFAULT_BODY_LIMITS, jsonShapeProblem, readBoundedText, type BodyLimits } from './input-limits.ts';
import type { OperationId, RouteDeclaration } from './routes.ts';
import { ROUTES, toHonoPath } from './routes.ts';
import {
  applicationNameProblem,
  parseApplicationInput,
  parseExpectVersion,
  parseFlag,
  parseJsonObject,
  parseLimit,
  parseStagePatch,
  parseStartBody,
  parseStatuses,
  parseWaitSeconds,
} from './requests.ts';

export interface ApiLogEntry {
  readonly level: 'error' | 'warn' | 'info';
  readonly message: string;
  readonly error?: unknown;
}

export interface ApiDeps {
  readonly service: ExecutionService;
  readonly store: ExecutionStore;
  readonly auth: Authenticator;
  readonly clock: Clock;
  /** @default HMAC and token verification with node:crypto (adapters/crypto) */
  readonly verifySignature?: SignatureVerifier;
  /** Ids for webhook deliveries that bring none. @default crypto.randomUUID */
  readonly newEventId?: () => string;
  /** The pipelines a delivery filed under a trigger key can match. @default the store's trigger index */
  readonly listPipelines?: (key: string) => Promise<readonly Pipeline[]>;
  /** What a 401 says about how to authenticate. */
  readonly authHint?: string;
  /** Where faults go (stack traces, SDK text); never to the client. @default nowhere */
  readonly log?: (entry: ApiLogEntry) => void;
  /** The deploy target of each account, for the cluster routes (on AWS, read-only sessions in the accounts). @default none: those routes answer 404 for every account */
  readonly targets?: ReadTargetLookup;
  /** Saved canary configs (`/v2/canaryConfig`). @default none: those routes answer 404 */
  readonly canaryConfigs?: CanaryConfigStore;
  /** Saved pipeline templates (`/v2/pipelineTemplates`). @default none: those routes answer 404 */
  readonly pipelineTemplates?: PipelineTemplateStore;
  /** Request body limits. @default DEFAULT_BODY_LIMITS (webhooks 1 MiB, everything else 512 KiB) */
  readonly bodyLimits?: Partial<BodyLimits>;
  /** The accounts pipelines may name (`/credentials`). @default none known */
  readonly accounts?: AccountRegistry;
  /** The audit log `GET /audit` reads (the service writes it); canary config saves are recorded here too. @default none */
  readonly audit?: AuditLog;
  /** Reads with access checks. @default createExecutionQueries over `store` and `audit` */
  readonly queries?: ExecutionQueries;
  /** The preconfigured webhooks `GET /webhooks/preconfigured` lists (the execution service expands them at save). @default none */
  readonly preconfiguredWebhooks?: readonly PreconfiguredWebhook[];
  /** Opens the sealed trigger secrets a delivery's signature is checked with (core/execution/config-secrets.ts). @default none: sealed secrets verify nothing */
  readonly triggerSecrets?: SecretCipher;
  /** The notification types this deployment sends (`GET /notifications/metadata`), asked when first listed. @default those that need no settings: Slack webhooks, Teams, webhooks */
  readonly notificationTypes?: () => Promise<readonly NotificationTypeMetadata[]>;
}

interface ApiEnv {
  Variables: { caller: Caller | undefined };
}

type ApiContext = Context<ApiEnv>;
type Handler = (c: ApiContext) => Promise<Response> | Response;

/** The status of each refusal of a template command. */
const TEMPLATE_REFUSALS = { invalid: 400, 'not-found': 404, conflict: 409, 'too-large': 413 } as const satisfies Record<Exclude<TemplateCommandResult, { ok: true }>['reason'], number>;

const NO_PIPELINE_TEMPLATES = 'this Gennaker keeps no pipeline templates; save rendered pipelines instead (gennaker template plan --template renders one)';

/** The routes that describe clusters through the accounts' deploy targets. */
const CLUSTER_READS: readonly OperationId[] = [
  'listClusters',
  'listAccountClusters',
  'getCluster',
  'listClusterServerGroups',
  'getClusterServerGroup',
  'getTargetServerGroup',
  'listServerGroups',
  'listServerGroupsAcross',
  'getServerGroup',
];

const NO_TARGETS = 'this API has no deploy accounts, so it has no cluster to describe; configure them (CDK context accounts on AWS, .gennaker/accounts.json with gennaker up)';

const NO_CANARY_CONFIGS = 'this Gennaker keeps no canary configs; give the config inline as canaryConfig.config in the stage';

/** The answer to a pipeline name or id that names none of the application's. */
const noPipeline = (application: string, nameOrId: string) => `application '${application}' has no pipeline named or with id '${nameOrId}'; GET /applications/${application}/pipelineConfigs lists them`;

/** The answer to an execution id that names none. */
const noExecution = (id: string) => `execution '${id}' does not exist; GET /applications/{application}/pipelines lists executions`;

/** How often a long-poll of an execution reads the store again. */
const WATCH_POLL_MS = 250;

/** Canary config ids end up in keys and URLs (adapters/dynamodb/canary-configs.ts). */
const CANARY_CONFIG_ID = /^[A-Za-z0-9._:-]{1,256}$/;

const DEFAULT_AUTH_HINT = "send 'Authorization: Bearer <token>' with the token in .gennaker/token (or GENNAKER_TOKEN)";

export { toHonoPath };

/**
 * The client's address, for the audit log: the socket's peer locally (Hono's Node server), the
 * source IP API Gateway saw on AWS. Headers such as X-Forwarded-For are not trusted.
 */
function sourceAddressOf(c: ApiContext): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: unknown } }; requestContext?: { identity?: { sourceIp?: unknown }; http?: { sourceIp?: unknown } } } | undefined;
  const address = env?.incoming?.socket?.remoteAddress ?? env?.requestContext?.identity?.sourceIp ?? env?.requestContext?.http?.sourceIp;
  return typeof address === 'string' && address !== '' ? address : undefined;
}

/** The on-demand module that evaluates expressions against an execution. */
type Evaluation = typeof import('../../core/execution/evaluate-expression.ts');

function fail(c: ApiContext, status: 400 | 401 | 403 | 404 | 409 | 413 | 500 | 502 | 503, error: string, extra: Record<string, unknown> = {}): Response {
  return c.json({ error, ...extra }, status);
}

function lowerCaseHeaders(c: ApiContext): HeaderMap {
  const headers: Record<string, string> = {};
  c.req.raw.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  return headers;
}

function commandFailure(c: ApiContext, result: Exclude<CommandResult, { ok: true }>): Response {
  switch (result.reason) {
    case 'not-found':
      return fail(c, 404, result.message);
    case 'conflict':
      return fail(c, 409, result.message);
    case 'forbidden':
      return fail(c, 403, result.message);
    case 'invalid':
      return fail(c, 400, result.message);
    default: {
      const unreachable: never = result.reason;
      return fail(c, 500, `unexpected result ${String(unreachable)}`);
    }
  }
}

function startFailure(c: ApiContext, result: Exclude<StartPipelineResult, { ok: true }>): Response {
  switch (result.reason) {
    case 'not-found':
      return fail(c, 404, result.message);
    case 'forbidden':
      return fail(c, 403, result.message);
    case 'disabled':
      return fail(c, 409, result.message);
    case 'invalid':
      return fail(c, 400, result.message, result.issues ? { issues: result.issues.map(({ pointer, code, message, severity }) => ({ pointer, code, message, severity })) } : {});
    default: {
      const unreachable: never = result.reason;
      return fail(c, 500, `unexpected result ${String(unreachable)}`);
    }
  }
}

function applicationJson(application: Application): Record<string, unknown> {
  return {
    ...application.raw,
    name: application.name,
    ...(application.email === undefined ? {} : { email: application.email }),
    accounts: application.accounts,
    trafficGuards: application.trafficGuards,
    permissions: application.permissions,
    createTs: application.createdAt,
    updateTs: application.updatedAt,
    revision: application.revision,
  };
}

/** An application's notification preferences as Front50 serves them: at least the application's name. */
function applicationNotificationsJson(application: Application): Record<string, unknown> {
  const saved = application.raw.notifications;
  return { ...(typeof saved === 'object' && saved !== null && !Array.isArray(saved) ? saved : {}), application: application.name };
}

/** A saved version as Front50 serves it: the document, with its id, version and save stamp. */
function pipelineConfigJson(version: PipelineConfigVersion): Record<string, unknown> {
  return {
    ...version.config,
    id: version.id,
    application: version.application,
    name: version.name,
    version: version.version,
    updateTs: version.savedAt,
    ...(version.savedBy === undefined ? {} : { lastModifiedBy: version.savedBy }),
  };
}

/** Fields the store sets; a config read with GET and sent back keeps none of them. */
const CANARY_CONFIG_SERVER_FIELDS = ['id', 'revision', 'createdTimestamp', 'createdTimestampIso', 'updatedTimestamp', 'updatedTimestampIso'];

/** A saved canary config as Kayenta serves it: the document, with its id and stamps. */
function canaryConfigJson(stored: StoredCanaryConfig): Record<string, unknown> {
  return {
    ...stored.config,
    id: stored.id,
    name: stored.name,
    revision: stored.revision,
    createdTimestamp: stored.createdTimestamp,
    createdTimestampIso: new Date(stored.createdTimestamp).toISOString(),
    updatedTimestamp: stored.updatedTimestamp,
    updatedTimestampIso: new Date(stored.updatedTimestamp).toISOString(),
  };
}

/** The canary config of a request body, validated by the judge's own parser; every problem in one line. */
async function canaryConfigBody(body: Record<string, unknown>): Promise<{ ok: true; config: Record<string, unknown> } | { ok: false; message: string }> {
  // The judge's parser loads with the first save (scripts/build.js ON_DEMAND_MODULES): most calls never need it.
  const { parseCanaryConfig } = await import('../../core/canary/config.ts');
  const parsed = parseCanaryConfig(body);
  const errors = parsed.issues.filter((issue) => issue.severity === 'error');
  if (!parsed.config || errors.length > 0) {
    return { ok: false, message: `the canary config is invalid; nothing was saved: ${errors.map((issue) => `${issue.pointer || '/'}: ${issue.message}`).join('; ')}` };
  }
  if (typeof body.name !== 'string' || body.name.trim() === '') {
    return { ok: false, message: `/name: is ${showValue(body.name)}; a saved canary config needs a name, e.g. "name": "hello-canary"` };
  }
  const config = { ...body };
  for (const field of CANARY_CONFIG_SERVER_FIELDS) delete config[field];
  return { ok: true, config };
}

/** The app. */
export function createApiApp(deps: ApiDeps): Hono<ApiEnv> {
  const { service, store, auth } = deps;
  const verify = deps.verifySignature ?? createSignatureVerifier();
  const newEventId = deps.newEventId ?? (() => globalThis.crypto.randomUUID());
  const listIndexed = deps.listPipelines ?? (async (key: string) => pipelinesFromConfigs(await store.listPipelineConfigsByTrigger(key)));
  // Trigger secrets are stored sealed: opened here, for the signature check, and nowhere else.
  const listPipelines = async (key: string) => openTriggerSecrets(await listIndexed(key), deps.triggerSecrets);
  const authHint = deps.authHint ?? DEFAULT_AUTH_HINT;
  const log = deps.log ?? (() => undefined);
  const accounts = deps.accounts ?? createAccountRegistry([]);
  // The document is built at its first request (on AWS from openapi.mjs, beside the API's index.mjs).
  let openApi: Promise<unknown> | undefined;
  const limits: BodyLimits = { ...DEFAULT_BODY_LIMITS, ...deps.bodyLimits };
  const queries = deps.queries ?? createExecutionQueries({ store, ...(deps.audit ? { audit: deps.audit } : {}) });
  // The cluster routes' code (Clouddriver's shapes, targeting, the known clusters) loads with the first of them (cluster-reads.mjs on AWS).
  let clusterModule: Promise<typeof import('./cluster-reads.ts')> | undefined;
  const clusterCode = () => (clusterModule ??= import('./cluster-reads.ts'));
  let clusterReadsMade: ClusterReads | undefined;
  const logTargetFault = (message: string, error: unknown) => log({ level: 'error', message, error });
  const clusterReadsNow = async (): Promise<ClusterReads> =>
    (clusterReadsMade ??= (await clusterCode()).createClusterReads({ store, accounts, ...(deps.targets ? { targets: deps.targets } : {}), log: logTargetFault }));
  const canaryConfigs = deps.canaryConfigs
    ? createGuardedCanaryConfigs({ configs: deps.canaryConfigs, store, clock: deps.clock, ...(deps.audit ? { audit: deps.audit } : {}), onAuditError: (error) => log({ level: 'error', message: 'appending to the audit log failed', error }) })
    : undefined;

  const pipelineTemplates = deps.pipelineTemplates
    ? createPipelineTemplates({
        templates: deps.pipelineTemplates,
        pipelines: store,
        sha256: sha256Hex,
        clock: deps.clock,
        ...(deps.audit ? { audit: deps.audit } : {}),
        onAuditError: (error) => log({ level: 'error', message: 'appending to the audit log failed', error }),
      })
    : undefined;

  const app = new Hono<ApiEnv>();

  app.onError((error, c) => {
    if (isGennakerError(error, 'Gennaker.StoreUnavailable')) {
      log({ level: 'warn', message: `${c.req.method} ${c.req.path}: store unavailable`, error });
      // Each such message is one line naming what did not answer (the table, the KMS key), never data.
      return fail(c, 503, `${error.message}; retry in a moment`);
    }
    const id = newEventId();
    log({ level: 'error', message: `${c.req.method} ${c.req.path} failed (error id ${id})`, error });
    return fail(c, 500, `internal error (error id ${id}); the server log has the details`);
  });

  app.notFound((c) => fail(c, 404, `no route ${c.req.method} ${c.req.path}; see GET /openapi.json for the routes`));

  const callerOf = (c: ApiContext): Caller => {
    const caller = c.get('caller');
    if (caller === undefined) throw new Error('route needs a caller but authentication did not run');
    return caller;
  };

  async function authenticate(c: ApiContext): Promise<Caller | undefined> {
    const env = c.env as { requestContext?: unknown } | undefined;
    const caller = await auth.authenticate({ headers: lowerCaseHeaders(c), requestContext: env?.requestContext });
    const source = sourceAddressOf(c);
    return caller === undefined || source === undefined ? caller : { ...caller, source };
  }

  /** The body as a JSON object: 413 past the size limit (before reading on), 400 when it is not one. */
  async function readBody(
    c: ApiContext,
    what: string,
    options?: { readonly emptyOk?: boolean },
  ): Promise<{ ok: true; value: Record<string, unknown> } | { ok: false; status: 400 | 413; message: string }> {
    const text = await readBoundedText(c.req.raw, limits.configBytes, 'the request body', CONFIG_LIMIT_SETTING);
    if (!text.ok) return { ok: false, status: 413, message: text.message };
    const parsed = parseJsonObject(text.value, what, options);
    return parsed.ok ? parsed : { ok: false, status: 400, message: parsed.message };
  }

  /**
   * Replaces the application's `notifications` (Front50's notification save; undefined removes
   * them): the application must exist, the caller hold WRITE on it, and the preferences pass the
   * checks of an application save. The service saves the document, so the save is audited.
   */
  async function changeApplicationNotifications(c: ApiContext, notifications: Record<string, unknown> | undefined): Promise<Response> {
    const name = c.req.param('application')!;
    const caller = callerOf(c);
    const existing = await store.getApplication(name);
    if (existing === undefined) return fail(c, 404, `application '${name}' does not exist; create it first (POST /applications)`);
    const denied = await queries.checkPermission(existing.name, 'WRITE', caller);
    if (denied) return fail(c, 403, denied.message);
    const problem = applicationNotificationsProblem(notifications);
    if (problem !== undefined) return fail(c, 400, problem);
    const { notifications: _replaced, ...rest } = existing.raw;
    const document =
      notifications === undefined
        ? rest
        : { ...rest, notifications: { ...notifications, application: existing.name, lastModified: deps.clock.now(), lastModifiedBy: caller.user } };
    const input = parseApplicationInput({ ...document, name: existing.name });
    if (!input.ok) return fail(c, 400, input.message);
    const saved = await service.saveApplication({ application: input.value, create: false }, caller);
    if (saved.ok) return c.json(applicationNotificationsJson(saved.application));
    return fail(c, saved.reason === 'forbidden' ? 403 : saved.reason === 'conflict' ? 409 : 413, saved.message);
  }

  async function ensureApplication(name: string): Promise<void> {
    if ((await store.getApplication(name)) !== undefined) return;
    // Front50 needs the application first; Gennaker creates a bare one so triggers can find the pipeline.
    await store.saveApplication({ name, accounts: [], trafficGuards: [], permissions: {}, raw: { name } }, { expectRevision: 0 });
  }

  /** Starts every accepted match as its trigger's service account; a failed start is reported in the answer, not as an error of the delivery. */
  async function startMatches(matches: readonly TriggerMatch[], source: string) {
    return Promise.all(
      matches.map(async (match) => {
        const runAsUser = runAsUserOf(match.definition.raw);
        const result = await service.startTriggered(
          { application: match.pipeline.application, pipeline: pipelineRef(match.pipeline), trigger: match.trigger, idempotencyKey: match.idempotencyKey },
          { source, ...(runAsUser !== undefined ? { runAsUser } : {}) },
        );
        const base = { application: match.pipeline.application, pipelineConfigId: pipelineRef(match.pipeline), pipelineName: match.pipeline.name };
        return result.ok
          ? { ...base, executionId: result.executionId, ref: `/pipelines/${result.executionId}`, status: result.status, duplicate: result.duplicate }
          : { ...base, error: result.message };
      }),
    );
  }

  /**
   * The signature rule for a delivery: which matches may start. A request that proves nothing
   * (no signature, no caller) was refused before matching.
   */
  function signatureProblem(candidates: readonly TriggerMatch[], accepted: readonly TriggerMatch[], signature: EventSignature | undefined): string | undefined {
    if (candidates.length === 0 || accepted.length > 0) return undefined;
    return signature === undefined
      ? "the matching triggers have a secret, so the request must be signed: send X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body with the trigger's secret>"
      : 'the signature does not verify with the secret of any matching trigger (a trigger without a secret refuses signed requests); check the secret and sign the exact body';
  }

  async function deliver(
    c: ApiContext,
    kind: 'webhook' | 'git',
    match: (
      pipelines: readonly Pipeline[],
      raw: string,
      body: Record<string, unknown>,
      caller: Caller | undefined,
      headers: HeaderMap,
      signedDigest: string | undefined,
    ) => { eventId: string; matches: TriggerMatch[] } | Response,
  ): Promise<Response> {
    const headers = lowerCaseHeaders(c);
    const signature = readEventSignature(headers);
    const caller = await authenticate(c);
    if (signature === undefined && caller === undefined) {
      return fail(c, 401, `the ${kind} request is neither signed nor authenticated; sign it with the trigger's secret (X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>, or X-Gitlab-Token) or ${authHint}`);
    }
    const read = await readBoundedText(c.req.raw, limits.webhookBytes, `the ${kind} payload`, WEBHOOK_LIMIT_SETTING);
    if (!read.ok) return fail(c, 413, read.message);
    const raw = read.value;
    // Only the pipelines filed under this delivery's key, never every pipeline of every application.
    const source = c.req.param('source') ?? '';
    let pipelines = await listPipelines(kind === 'webhook' ? webhookTriggerKey(source) : gitTriggerKey(source));
    let signedDigest: string | undefined;
    if (signature !== undefined) {
      // The signature first: nothing of a delivery is parsed or matched until a trigger's secret vouches for it.
      pipelines = pipelinesSignedFor(pipelines, kind, source, signature, raw, verify);
      if (pipelines.length === 0) {
        return fail(c, 401, `the signature does not verify with the secret of any enabled ${kind} trigger for source '${source}'; check the secret and sign the exact body (a trigger without a secret takes only unsigned requests with the API token)`);
      }
      signedDigest = await sha256Hex(raw);
    }
    const body = parseJsonObject(raw, `the ${kind} payload`, { emptyOk: kind === 'webhook' });
    if (!body.ok) return fail(c, 400, body.message);
    const outcome = match(pipelines, raw, body.value, caller, headers, signedDigest);
    if (outcome instanceof Response) return outcome;
    const accepted = outcome.matches.filter((candidate) => acceptsSignature(triggerSecret(candidate.definition.raw), signature, raw, verify));
    const problem = signatureProblem(outcome.matches, accepted, signature);
    if (problem !== undefined) return fail(c, 401, problem);
    const address = sourceAddressOf(c);
    const executions = await startMatches(accepted, `${kind}:${source}${caller ? ` by ${caller.user}` : ''}${address ? ` from ${address}` : ''}`);
    return c.json({ eventProcessed: true, eventId: outcome.eventId, executions });
  }

  /** The server groups described, in one of Clouddriver's views: those of `cloudProvider` (all when not given) that `keep` keeps. */
  function serverGroupViews(
    described: readonly DescribedPlace[],
    cloudProvider: string | undefined,
    view: (group: ServerGroupDescription, place: { cloudProvider: string }) => Record<string, unknown>,
    keep: (place: ClusterPlace, group: ServerGroupDescription) => boolean = () => true,
  ): Array<Record<string, unknown>> {
    const wanted = cloudProvider === undefined || cloudProvider === '' ? undefined : cloudProvider.toLowerCase();
    return described
      .filter((entry) => wanted === undefined || entry.cloudProvider.toLowerCase() === wanted)
      .flatMap((entry) => entry.cluster.serverGroups.filter((group) => keep(entry.place, group)).map((group) => view(group, { cloudProvider: entry.cloudProvider })));
  }

  /** A cluster of the path (`{application}/clusters/{account}/{cluster}`), described in every region asked for (or known). */
  async function readCluster(
    c: ApiContext,
    locations?: readonly string[],
  ): Promise<Response | { application: string; account: string; cluster: string; cloudProvider: string; regions: readonly ClusterDescription[] }> {
    const application = c.req.param('application')!;
    const account = c.req.param('account')!;
    const cluster = c.req.param('cluster')!;
    const parsed = parseClusterName(cluster);
    if (parsed === undefined || parsed.app.toLowerCase() !== application.toLowerCase()) {
      return fail(c, 400, `cluster '${cluster}' is not a cluster of application '${application}'; use ${application}[-stack[-detail]]`);
    }
    const denied = await queries.checkRead(application, callerOf(c));
    if (denied) return fail(c, 403, denied.message);
    const target = deps.targets?.({ account });
    if (target === undefined) return fail(c, 404, accounts.get(account) === undefined ? unknownAccountMessage(account, accounts) : `account '${account}' has no deploy target here`);
    const clusterReads = await clusterReadsNow();
    const asked = locations?.join(',') ?? c.req.query('regions');
    const regions =
      asked === undefined ? clusterReads.locationsFor(account, cluster, await clusterReads.knownPlaces(application)) : asked.split(',').map((region) => region.trim()).filter((region) => region !== '');
    if (regions.length === 0) return fail(c, 400, "regions is empty; name at least one region, e.g. '?regions=local'");
    const described = await clusterReads.describe(regions.map((location) => ({ account, location, cluster })));
    if (!described.ok) return fail(c, described.status, described.message);
    return { application, account, cluster, cloudProvider: target.cloudProvider, regions: described.described.map((entry) => entry.cluster) };
  }

  /** An execution in Orca's shape, each stage with its tasks from the pipeline version it runs (read once per version). */
  async function orcaExecutions(executions: readonly Execution[], expand = true): Promise<OrcaExecution[]> {
    const steps = new Map<string, Promise<OrcaShapeOptions['stepsOf']>>();
    const stepsFor = (execution: Execution) => {
      const key = `${execution.pipelineConfigId}@${execution.pipelineVersion}`;
      if (!steps.has(key)) steps.set(key, store.getPipelineConfig(execution.pipelineConfigId, execution.pipelineVersion).then((version) => (version === undefined ? undefined : stepsOfPipeline(runnableConfigOf(version)))));
      return steps.get(key)!;
    };
    return Promise.all(
      executions.map(async (execution) => {
        const stepsOf = await stepsFor(execution);
        const document = toOrcaExecution(execution, stepsOf ? { stepsOf } : {});
        return expand ? document : unexpanded(document);
      }),
    );
  }
  const orcaExecution = async (execution: Execution): Promise<OrcaExecution> => (await orcaExecutions([execution]))[0]!;
  /**
   * Evaluates against execution `id` once the caller may read it (the same check as reading the
   * execution): 403 without READ, 404 for an unknown execution or stage, 400 for bad input.
   */
  async function evaluated(c: ApiContext, id: string, run: (execution: Execution, evaluation: Evaluation) => EvaluationOutcome): Promise<Response> {
    const read = await queries.getExecution(id, callerOf(c));
    if (!read.ok) return fail(c, 403, read.message);
    if (read.value === undefined) return fail(c, 404, noExecution(id));
    // Loaded on first use: the expression evaluator stays out of the API's cold start (scripts/build.js bundles it apart).
    const outcome = run(read.value, await import('../../core/execution/evaluate-expression.ts'));
    if (!outcome.ok) return fail(c, outcome.reason === 'not-found' ? 404 : 400, outcome.message);
    return c.json(outcome.answer);
  }

  const evaluateAt = (c: ApiContext, place: EvaluationPlace, expression: string | undefined): Promise<Response> | Response =>
    expression === undefined
      ? fail(c, 400, "expression is missing; send it as ?expression=${...}, as {\"expression\": \"${...}\"} or as a text/plain body")
      : evaluated(c, c.req.param('id')!, (execution, evaluation) => evaluation.evaluateAgainstExecution(execution, expression, place, deps.clock.now()));

  /** The expression of a POST: the text/plain body, `{"expression": ...}`, or the query parameter. */
  async function expressionOf(c: ApiContext): Promise<{ ok: true; value: string | undefined } | { ok: false; status: 400 | 413; message: string }> {
    const text = await readBoundedText(c.req.raw, limits.configBytes, 'the request body', CONFIG_LIMIT_SETTING);
    if (!text.ok) return { ok: false, status: 413, message: text.message };
    if (text.value.trim() === '') return { ok: true, value: c.req.query('expression') };
    if ((c.req.header('content-type') ?? '').toLowerCase().startsWith('text/plain')) return { ok: true, value: text.value };
    const body = parseJsonObject(text.value, '{"expression": "${...}"}');
    if (!body.ok) return { ok: false, status: 400, message: body.message };
    const expression = body.value.expression;
    if (expression !== undefined && typeof expression !== 'string') return { ok: false, status: 400, message: `expression is ${showValue(expression)}; send the expression as a string, e.g. {"expression": "\${trigger.user}"}` };
    return { ok: true, value: expression ?? c.req.query('expression') };
  }

  const handlers: Record<OperationId, Handler> = {
    health: (c) => c.json({ status: 'ok' }),
    openapi: async (c) => c.json(await (openApi ??= import('./openapi.ts').then((module) => module.buildOpenApiDocument()))),

    listApplications: async (c) => c.json((await queries.listApplications(callerOf(c))).map(applicationJson)),

    createApplication: async (c) => {
      const body = await readBody(c, 'the application');
      if (!body.ok) return fail(c, body.status, body.message);
      const input = parseApplicationInput(body.value);
      if (!input.ok) return fail(c, 400, input.message);
      const saved = await service.saveApplication({ application: input.value, create: true }, callerOf(c));
      if (saved.ok) return c.json(applicationJson(saved.application), 201);
      return fail(c, saved.reason === 'forbidden' ? 403 : saved.reason === 'conflict' ? 409 : 413, saved.message);
    },

    getApplication: async (c) => {
      const name = c.req.param('application')!;
      const read = await queries.getApplication(name, callerOf(c));
      if (!read.ok) return fail(c, 403, read.message);
      return read.value === undefined ? fail(c, 404, `application '${name}' does not exist; GET /applications lists them`) : c.json(applicationJson(read.value));
    },

    saveApplication: async (c) => {
      const name = c.req.param('application')!;
      const body = await readBody(c, 'the application');
      if (!body.ok) return fail(c, body.status, body.message);
      if (body.value.name !== undefined && (typeof body.value.name !== 'string' || body.value.name.toLowerCase() !== name.toLowerCase())) {
        return fail(c, 400, `'name' is ${showValue(body.value.name)} but the path names '${name}'; leave 'name' out or make them equal`);
      }
      const input = parseApplicationInput({ ...body.value, name: typeof body.value.name === 'string' ? body.value.name : name });
      if (!input.ok) return fail(c, 400, input.message);
      const saved = await service.saveApplication({ application: input.value, create: false }, callerOf(c));
      if (saved.ok) return c.json(applicationJson(saved.application));
      return fail(c, saved.reason === 'forbidden' ? 403 : saved.reason === 'conflict' ? 409 : 413, saved.message);
    },

    savePipelineConfig: async (c) => {
      const body = await readBody(c, 'the pipeline');
      if (!body.ok) return fail(c, body.status, body.message);
      const expectVersion = parseExpectVersion(c.req.query('expectVersion'));
      if (!expectVersion.ok) return fail(c, 400, expectVersion.message);
      const caller = callerOf(c);
      const application = body.value.application;
      // The application must be valid before anything is written (the service validates the rest).
      if (typeof application === 'string' && applicationNameProblem(application) === undefined) {
        const result = await service.savePipeline(
          expectVersion.value === undefined ? { config: body.value } : { config: body.value, expectVersion: expectVersion.value },
          caller,
        );
        if (result.ok) {
          await ensureApplication(result.saved.application);
          return c.json({ id: result.saved.id, application: result.saved.application, name: result.saved.name, version: result.saved.version, warnings: result.warnings });
        }
        if (result.reason === 'invalid') {
          const errors = result.issues.filter((issue) => issue.severity === 'error');
          const first = errors[0] ?? result.issues[0];
          return fail(c, 400, `the pipeline has ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was saved${first ? ` (first: ${first.pointer || '/'}: ${first.message})` : ''}`, {
            issues: result.issues.map(({ pointer, code, message, severity }) => ({ pointer, code, message, severity })),
          });
        }
        if (result.reason === 'too-large') return fail(c, 413, result.message);
        if (result.reason === 'forbidden') return fail(c, 403, result.message);
        return fail(c, 409, result.message);
      }
      const problem = applicationNameProblem(application, "'application'")!;
      return fail(c, 400, `the pipeline is invalid; nothing was saved (${problem})`, {
        issues: [{ pointer: '/application', code: application === undefined ? 'required' : 'invalid-value', message: problem, severity: 'error' }],
      });
    },

    listPipelineConfigs: async (c) => {
      const read = await queries.listPipelineConfigs(c.req.param('application')!, callerOf(c));
      if (!read.ok) return fail(c, 403, read.message);
      return c.json((read.value ?? []).filter((version) => !isOrchestration(version.config)).map(pipelineConfigJson));
    },

    getPipelineConfig: async (c) => {
      const application = c.req.param('application')!;
      const nameOrId = c.req.param('pipelineNameOrId')!;
      const read = await queries.getPipelineConfig(application, nameOrId, callerOf(c));
      if (!read.ok) return fail(c, 403, read.message);
      return read.value === undefined ? fail(c, 404, noPipeline(application, nameOrId)) : c.json(pipelineConfigJson(read.value));
    },

    getPipelineConfigHistory: async (c) => {
      const application = c.req.param('application')!;
      const nameOrId = c.req.param('pipelineNameOrId')!;
      const limit = parseLimit(c.req.query('limit'), 100);
      if (!limit.ok) return fail(c, 400, limit.message);
      const read = await queries.listPipelineConfigVersions(application, nameOrId, limit.value, callerOf(c));
      if (!read.ok) return fail(c, 403, read.message);
      if (read.value === undefined) return fail(c, 404, noPipeline(application, nameOrId));
      return c.json(read.value.map(pipelineConfigJson));
    },

    startPipeline: async (c) => {
      const caller = callerOf(c);
      const body = await readBody(c, 'the parameters', { emptyOk: true });
      if (!body.ok) return fail(c, body.status, body.message);
      const trigger = parseStartBody(body.value, caller.user);
      if (!trigger.ok) return fail(c, 400, trigger.message);
      const result = await service.startPipeline({ application: c.req.param('application')!, pipeline: c.req.param('pipelineNameOrId')!, trigger: trigger.value }, caller);
      return result.ok ? c.json({ ref: `/pipelines/${result.executionId}` }, 202) : startFailure(c, result);
    },

    deletePipelineConfig: async (c) => {
      const application = c.req.param('application')!;
      const pipeline = c.req.param('pipelineNameOrId')!;
      const result = await service.deletePipeline({ application, pipeline }, callerOf(c));
      if (!result.ok) return fail(c, 403, result.message);
      return c.json(result.deleted === undefined ? { deleted: false, application, name: pipeline } : { deleted: true, application: result.deleted.application, name: result.deleted.name, id: result.deleted.id });
    },

    searchExecutions: (c) => searchExecutions(c),
    searchExecutionsGate: (c) => searchExecutions(c),

    listAccounts: async (c) => c.json(accounts.list().map(toGateAccount)),

    getAccount: async (c) => {
      const name = c.req.param('account')!;
      const account = accounts.get(name);
      return account === undefined ? fail(c, 404, unknownAccountMessage(name, accounts)) : c.json(toGateAccount(account));
    },

    listClusters: async (c) => {
      const application = c.req.param('application')!;
      const denied = await queries.checkRead(application, callerOf(c));
      if (denied) return fail(c, 403, denied.message);
      const clusterReads = await clusterReadsNow();
      const described = await clusterReads.describe(await clusterReads.knownPlaces(application));
      if (!described.ok) return fail(c, described.status, described.message);
      const names: Record<string, string[]> = {};
      for (const { place, cluster } of described.described) {
        if (cluster.serverGroups.length === 0) continue;
        const listed = (names[place.account] ??= []);
        if (!listed.includes(place.cluster)) listed.push(place.cluster);
      }
      return c.json(names);
    },

    listAccountClusters: async (c) => {
      const application = c.req.param('application')!;
      const account = c.req.param('account')!;
      const denied = await queries.checkRead(application, callerOf(c));
      if (denied) return fail(c, 403, denied.message);
      const clusterReads = await clusterReadsNow();
      const described = await clusterReads.describe((await clusterReads.knownPlaces(application)).filter((place) => place.account === account));
      if (!described.ok) return fail(c, described.status, described.message);
      const byCluster = new Map<string, { cloudProvider: string; regions: ClusterDescription[] }>();
      for (const { place, cloudProvider, cluster } of described.described) {
        if (cluster.serverGroups.length === 0) continue;
        const entry = byCluster.get(place.cluster) ?? { cloudProvider, regions: [] };
        entry.regions.push(cluster);
        byCluster.set(place.cluster, entry);
      }
      if (byCluster.size === 0) return fail(c, 404, `no clusters found (application: ${application}, account: ${account}); GET /applications/${application}/clusters lists the accounts that have some`);
      const { toClusterSummary } = await clusterCode();
      return c.json([...byCluster].map(([name, { cloudProvider, regions }]) => toClusterSummary(name, account, { cloudProvider }, regions)));
    },

    getCluster: async (c) => {
      const read = await readCluster(c);
      if (read instanceof Response) return read;
      const { toClouddriverCluster } = await clusterCode();
      return c.json({
        ...toClouddriverCluster(read.cluster, read.account, { cloudProvider: read.cloudProvider }, read.regions),
        application: read.application,
        account: read.account,
        cluster: read.cluster,
        regions: read.regions.map(({ location, endpoint, serverGroups }) => ({ location, ...(endpoint ? { endpoint } : {}), serverGroups })),
      });
    },

    listClusterServerGroups: async (c) => {
      const read = await readCluster(c);
      if (read instanceof Response) return read;
      const { toClouddriverServerGroup } = await clusterCode();
      return c.json(read.regions.flatMap((region) => region.serverGroups.map((group) => toClouddriverServerGroup(group, { cloudProvider: read.cloudProvider }))));
    },

    getClusterServerGroup: async (c) => {
      const read = await readCluster(c);
      if (read instanceof Response) return read;
      const name = c.req.param('serverGroup')!;
      const { toClouddriverServerGroup } = await clusterCode();
      return c.json(read.regions.flatMap((region) => region.serverGroups.filter((group) => group.name === name).map((group) => toClouddriverServerGroup(group, { cloudProvider: read.cloudProvider }))));
    },

    listServerGroups: async (c) => {
      const application = c.req.param('application')!;
      const expand = parseFlag(c.req.query('expand'), 'expand', false);
      if (!expand.ok) return fail(c, 400, expand.message);
      const denied = await queries.checkRead(application, callerOf(c));
      if (denied) return fail(c, 403, denied.message);
      const clusterReads = await clusterReadsNow();
      const known = await clusterReads.knownPlaces(application);
      let places = known;
      const only = c.req.query('clusters');
      if (only !== undefined) {
        const wanted: Array<{ account: string; cluster: string }> = [];
        for (const item of only.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')) {
          const [account, cluster, ...rest] = item.split(':');
          if (!account || !cluster || rest.length > 0) return fail(c, 400, `clusters has '${item}'; name each cluster as account:cluster, e.g. 'local:${application}-prod'`);
          wanted.push({ account, cluster });
        }
        places = wanted.flatMap(({ account, cluster }) => clusterReads.locationsFor(account, cluster, known).map((location) => ({ account, location, cluster })));
      }
      const described = await clusterReads.describe(places);
      if (!described.ok) return fail(c, described.status, described.message);
      const { toExpandedServerGroup, toServerGroupSummary } = await clusterCode();
      return c.json(serverGroupViews(described.described, c.req.query('cloudProvider'), expand.value ? toExpandedServerGroup : toServerGroupSummary));
    },

    getTargetServerGroup: async (c) => {
      const targetText = c.req.param('target')!;
      const { parseTargetServerGroup, resolveTargetServerGroup, toClouddriverServerGroup } = await clusterCode();
      const target = parseTargetServerGroup(targetText);
      if (target === undefined) return fail(c, 400, `target '${targetText}' is not one of current_asg_dynamic, ancestor_asg_dynamic, oldest_asg_dynamic, largest_asg_dynamic, fail (or newest, previous, current, ancestor, oldest, largest)`);
      const onlyEnabled = parseFlag(c.req.query('onlyEnabled'), 'onlyEnabled', false);
      if (!onlyEnabled.ok) return fail(c, 400, onlyEnabled.message);
      const validateOldest = parseFlag(c.req.query('validateOldest'), 'validateOldest', true);
      if (!validateOldest.ok) return fail(c, 400, validateOldest.message);
      const read = await readCluster(c, [c.req.param('scope')!]);
      if (read instanceof Response) return read;
      if (read.cloudProvider.toLowerCase() !== c.req.param('cloudProvider')!.toLowerCase()) {
        return fail(c, 404, `account '${read.account}' is a ${read.cloudProvider} account, not ${c.req.param('cloudProvider')}; ask for /${read.cloudProvider}/ in the path`);
      }
      const serverGroups = read.regions.flatMap((region) => region.serverGroups);
      const resolved = resolveTargetServerGroup(serverGroups as readonly ServerGroup[], target, { onlyEnabled: onlyEnabled.value, validateOldest: validateOldest.value, cluster: read.cluster, location: c.req.param('scope')! });
      if (!resolved.ok) return fail(c, 404, resolved.message);
      const group = serverGroups.find((candidate) => candidate.name === resolved.serverGroup.name)!;
      return c.json(toClouddriverServerGroup(group, { cloudProvider: read.cloudProvider }));
    },

    listServerGroupsAcross: async (c) => {
      const list = (name: string) => (c.req.query(name) ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
      const applications = list('applications');
      const ids = list('ids');
      if ((applications.length > 0) === (ids.length > 0)) return fail(c, 400, "give either 'applications' (a,b) or 'ids' (account:region:name,...), not both and not neither");
      const caller = callerOf(c);
      const clusterReads = await clusterReadsNow();
      const places: ClusterPlace[] = [];
      const names = new Set<string>();
      for (const application of applications) {
        if ((await queries.checkRead(application, caller)) === undefined) places.push(...(await clusterReads.knownPlaces(application)));
      }
      for (const id of ids) {
        const [account, region, name, ...rest] = id.split(':');
        const parsed = name === undefined ? undefined : parseServerGroupName(name);
        if (!account || !region || parsed === undefined || rest.length > 0) return fail(c, 400, `ids has '${id}'; name each server group as account:region:name, e.g. 'local:local:hello-prod-v001'`);
        if ((await queries.checkRead(parsed.app, caller)) !== undefined) continue;
        places.push({ account, location: region, cluster: parsed.cluster });
        names.add(`${account}:${region}:${name}`);
      }
      const described = await clusterReads.describe(places);
      if (!described.ok) return fail(c, described.status, described.message);
      const { toServerGroupSummary } = await clusterCode();
      return c.json(serverGroupViews(described.described, c.req.query('cloudProvider'), toServerGroupSummary, (place, group) => names.size === 0 || names.has(`${place.account}:${place.location}:${group.name}`)));
    },

    getServerGroup: async (c) => {
      const application = c.req.param('application')!;
      const account = c.req.param('account')!;
      const region = c.req.param('region')!;
      const name = c.req.param('serverGroup')!;
      const parsed = parseServerGroupName(name);
      if (parsed === undefined || parsed.app.toLowerCase() !== application.toLowerCase()) {
        return fail(c, 400, `server group '${name}' is not a server group of application '${application}'; use ${application}[-stack[-detail]]-vNNN`);
      }
      const denied = await queries.checkRead(application, callerOf(c));
      if (denied) return fail(c, 403, denied.message);
      const target = deps.targets?.({ account });
      if (target === undefined) return fail(c, 404, accounts.get(account) === undefined ? unknownAccountMessage(account, accounts) : `account '${account}' has no deploy target here`);
      const { describeThrough, toClouddriverServerGroup } = await clusterCode();
      const described = await describeThrough(target, { account, location: region, cluster: parsed.cluster }, logTargetFault);
      if (!described.ok) return fail(c, described.status, described.message);
      const group = described.cluster.serverGroups.find((candidate) => candidate.name === name);
      if (group === undefined) return fail(c, 404, `server group '${name}' does not exist in account '${account}' (${region}); GET /applications/${application}/serverGroups lists the application's server groups`);
      return c.json({ ...toClouddriverServerGroup(group, { cloudProvider: target.cloudProvider }), insightActions: [] });
    },

    rollbackCluster: async (c) => {
      const caller = callerOf(c);
      const body = await readBody(c, 'the rollback request', { emptyOk: true });
      if (!body.ok) return fail(c, body.status, body.message);
      const { account, regions, reason } = body.value as { account?: unknown; regions?: unknown; reason?: unknown };
      if (account !== undefined && typeof account !== 'string') return fail(c, 400, `account is ${JSON.stringify(account)}; give the account name as a string, e.g. "local"`);
      if (regions !== undefined && !(Array.isArray(regions) && regions.every((region) => typeof region === 'string'))) {
        return fail(c, 400, `regions is ${JSON.stringify(regions)}; give a list of region names, e.g. ["local"]`);
      }
      if (reason !== undefined && typeof reason !== 'string') return fail(c, 400, `reason is ${JSON.stringify(reason)}; give it as text`);
      const application = c.req.param('application')!;
      // EXECUTE first: nothing about the cluster is told to a caller who may not roll it back.
      const denied = await queries.checkPermission(application, 'EXECUTE', caller);
      if (denied) return fail(c, 403, denied.message);
      const request = {
        application,
        cluster: c.req.param('cluster')!,
        ...(account !== undefined ? { account } : {}),
        ...(regions !== undefined ? { regions: regions as string[] } : {}),
        ...(reason !== undefined ? { reason } : {}),
      };
      const built = rollbackPipelineConfig(request);
      if (!built.ok) return fail(c, 400, built.message);
      // Refused before anything is saved when the cluster has no server group where it was asked for.
      const { where } = built;
      const target = deps.targets?.({ account: where.account });
      if (target !== undefined) {
        const { describeThrough } = await clusterCode();
        const described = await Promise.all(where.regions.map((location) => describeThrough(target, { account: where.account, location, cluster: where.cluster }, logTargetFault)));
        if (described.every((region) => region.ok && region.cluster.serverGroups.length === 0)) return fail(c, 404, emptyClusterMessage(where));
      }
      const started = await service.startRollback(request, caller);
      if (started.ok) await ensureApplication(application);
      return started.ok ? c.json({ ref: `/pipelines/${started.executionId}` }, 202) : startFailure(c, started);
    },

    getExecution: async (c) => {
      const id = c.req.param('id')!;
      const read = await queries.getExecution(id, callerOf(c));
      if (!read.ok) return fail(c, 403, read.message);
      return read.value === undefined ? fail(c, 404, noExecution(id)) : c.json(await orcaExecution(read.value));
    },

    evaluateExpression: (c) => evaluateAt(c, { kind: 'execution' }, c.req.query('expression')),

    evaluateExpressionPost: async (c) => {
      const expression = await expressionOf(c);
      return expression.ok ? evaluateAt(c, { kind: 'execution' }, expression.value) : fail(c, expression.status, expression.message);
    },

    evaluateExpressionAtStage: (c) => evaluateAt(c, { kind: 'stage', stageId: c.req.param('stageId')! }, c.req.query('expression')),

    evaluateVariables: async (c) => {
      const spelVersion = c.req.query('spelVersion');
      if (spelVersion !== undefined && spelVersion !== '' && spelVersion !== 'v4') {
        return fail(c, 400, `spelVersion is '${spelVersion}'; Gennaker evaluates expressions as SpEL v4 only: leave it out or send v4`);
      }
      const text = await readBoundedText(c.req.raw, limits.configBytes, 'the request body', CONFIG_LIMIT_SETTING);
      if (!text.ok) return fail(c, 413, text.message);
      const shape = jsonShapeProblem(text.value);
      if (shape !== undefined) return fail(c, 400, shape);
      let body: unknown;
      try {
        body = JSON.parse(text.value);
      } catch {
        return fail(c, 400, 'the request body is not valid JSON; send the variables as a JSON list, e.g. [{"key": "a", "value": "${trigger.user}"}]');
      }
      const variables = parseVariableList(body);
      if (!variables.ok) return fail(c, 400, variables.message);
      // Gate takes the execution as a query parameter; the path's id is the fallback.
      const id = c.req.query('executionId') || c.req.param('id')!;
      const after = splitRefIds(c.req.query('requisiteStageRefIds'));
      return evaluated(c, id, (execution, evaluation) => evaluation.evaluateVariablesAgainstExecution(execution, variables.value, after, deps.clock.now()));
    },

    watchExecution: async (c) => {
      const id = c.req.param('id')!;
      const since = c.req.query('since');
      const wait = parseWaitSeconds(c.req.query('waitSeconds'));
      if (!wait.ok) return fail(c, 400, wait.message);
      // The store is read again every WATCH_POLL_MS until the answer differs from `since`: the
      // local engine and Step Functions both write progress only to the store.
      const polls = Math.ceil((wait.value * 1000) / WATCH_POLL_MS);
      for (let poll = 0; ; poll++) {
        const read = await queries.getExecution(id, callerOf(c));
        if (!read.ok) return fail(c, 403, read.message);
        if (read.value === undefined) return fail(c, 404, noExecution(id));
        const execution = await orcaExecution(read.value);
        const version = (await sha256Hex(JSON.stringify(execution))).slice(0, 24);
        if (version !== since || poll >= polls || c.req.raw.signal.aborted) return c.json({ version, execution });
        await new Promise((resolve) => setTimeout(resolve, WATCH_POLL_MS));
      }
    },

    listPreconfiguredWebhooks: (c) => c.json(preconfiguredWebhookListing(deps.preconfiguredWebhooks ?? [])),

    getNotificationTypeMetadata: async (c) =>
      c.json(await (deps.notificationTypes ?? (async () => (await import('./notification-types.ts')).notificationTypesOf(undefined, 'local')))()),

    getApplicationNotifications: async (c) => {
      const name = c.req.param('application')!;
      const read = await queries.getApplication(name, callerOf(c));
      if (!read.ok) return fail(c, 403, read.message);
      if (read.value === undefined) return fail(c, 404, `application '${name}' does not exist; GET /applications lists them`);
      return c.json(applicationNotificationsJson(read.value));
    },

    saveApplicationNotifications: async (c) => {
      const body = await readBody(c, 'the notification preferences');
      if (!body.ok) return fail(c, body.status, body.message);
      return changeApplicationNotifications(c, body.value);
    },

    deleteApplicationNotifications: (c) => changeApplicationNotifications(c, undefined),

    getApplicationPermissions: async (c) => {
      const name = c.req.param('application')!;
      const caller = callerOf(c);
      const application = await store.getApplication(name);
      const rights = Object.fromEntries(PERMISSIONS.map((permission) => [permission, holds(caller, permission, application?.permissions)]));
      return c.json({ application: application?.name ?? name, user: caller.user, admin: caller.admin === true, ...rights });
    },

    validatePipelineConfig: async (c) => {
      const body = await readBody(c, 'the pipeline');
      if (!body.ok) return fail(c, body.status, body.message);
      const input = body.value;
      // The checks a save runs on the document itself (a templated pipeline is checked as one; its rendering needs the template).
      const parsed = isTemplatedPipeline(input) ? { ...parseTemplatedPipeline(input), pipeline: undefined } : parsePipeline(input);
      const issues = [...parsed.issues, ...unknownAccountIssues(input, accounts), ...unknownRegionIssues(input, accounts)];
      // A pipeline that parses is compiled too: what it costs against Step Functions' limits.
      const compiled = parsed.pipeline && !issues.some((issue) => issue.severity === 'error') ? compilePipeline(parsed.pipeline) : undefined;
      if (compiled) issues.push(...compiled.issues);
      const valid = !issues.some((issue) => issue.severity === 'error');
      const report = compiled && valid ? compiled.report : undefined;
      return c.json({
        valid,
        issues: issues.map(({ pointer, code, message, severity }) => ({ pointer, code, message, severity })),
        ...(report
          ? {
              compile: {
                states: report.states,
                definitionBytes: report.definitionBytes,
                worstCaseHistoryEvents: report.worstCaseHistoryEvents,
                limits: { definitionBytes: report.limits.definitionBytes, historyEvents: report.limits.historyEvents },
                children: report.children,
                addedOrderingEdges: report.addedOrderingEdges,
              },
            }
          : {}),
      });
    },

    deleteExecution: async (c) => {
      const id = c.req.param('id')!;
      const result = await service.deleteExecution(id, callerOf(c));
      return result.ok ? c.json({ deleted: true, id }) : commandFailure(c, result);
    },

    getCanaryReport: async (c) => {
      const id = c.req.param('id')!;
      const read = await queries.getExecution(id, callerOf(c));
      if (!read.ok) return fail(c, 403, read.message);
      const execution = read.value;
      if (execution === undefined) return fail(c, 404, noExecution(id));
      // The report's renderer loads on first use (on AWS, canary-report.mjs beside the API's index.mjs).
      const { canaryStagesOf, noCanaryStageMessage, renderCanaryReport } = await import('../../core/canary/report.ts');
      const stages = canaryStagesOf(execution);
      if (stages.length === 0) return fail(c, 404, noCanaryStageMessage(id));
      const html = renderCanaryReport({ execution, stages, generatedAt: new Date(deps.clock.now()).toISOString() });
      return c.body(html, 200, { 'content-type': 'text/html; charset=utf-8' });
    },

    listExecutions: async (c) => {
      const limit = parseLimit(c.req.query('limit'), 25);
      if (!limit.ok) return fail(c, 400, limit.message);
      const statuses = parseStatuses(c.req.query('statuses'));
      if (!statuses.ok) return fail(c, 400, statuses.message);
      const expand = parseFlag(c.req.query('expand'), 'expand', true);
      if (!expand.ok) return fail(c, 400, expand.message);
      const application = c.req.param('application')!;
      const read = await queries.listExecutions(statuses.value === undefined ? { application } : { application, statuses: statuses.value }, limit.value, callerOf(c));
      if (!read.ok) return fail(c, 403, read.message);
      return c.json(await orcaExecutions(read.value ?? [], expand.value));
    },

    listExecutionSummaries: async (c) => {
      const limit = parseLimit(c.req.query('limit'), 10);
      if (!limit.ok) return fail(c, 400, limit.message);
      const application = c.req.param('application')!;
      const denied = await queries.checkRead(application, callerOf(c));
      if (denied) return fail(c, 403, denied.message);
      // Loaded on first use, out of the API's cold start (scripts/build.js bundles it apart).
      return c.json(await (await import('./execution-summaries.ts')).listExecutionSummaries(store, application, limit.value));
    },

    cancelExecution: async (c) => {
      const id = c.req.param('id')!;
      const reason = c.req.query('reason');
      const result = await service.cancelExecution(id, callerOf(c), reason === undefined || reason === '' ? {} : { reason });
      return result.ok ? c.json({ ref: `/pipelines/${id}` }, 202) : commandFailure(c, result);
    },

    patchStage: async (c) => {
      const id = c.req.param('id')!;
      const stageId = c.req.param('stageId')!;
      const body = await readBody(c, 'the judgment');
      if (!body.ok) return fail(c, body.status, body.message);
      const patch = parseStagePatch(body.value);
      if (!patch.ok) return fail(c, 400, patch.message);
      const result =
        patch.value.kind === 'judge'
          ? await service.judgeStage(id, stageId, patch.value.judgment, callerOf(c))
          : await service.skipWait(id, stageId, callerOf(c));
      if (!result.ok) return commandFailure(c, result);
      const read = await queries.getExecution(id, callerOf(c));
      if (!read.ok) return fail(c, 403, read.message);
      return read.value === undefined ? fail(c, 404, `execution '${id}' does not exist`) : c.json(await orcaExecution(read.value));
    },

    restartStage: async (c) => {
      const result = await service.restartStage(c.req.param('id')!, c.req.param('stageId')!, callerOf(c));
      return result.ok ? c.json({ ref: `/pipelines/${result.executionId}` }, 202) : startFailure(c, result);
    },

    saveCanaryConfig: async (c) => {
      if (!canaryConfigs) return fail(c, 404, NO_CANARY_CONFIGS);
      const body = await readBody(c, 'the canary config');
      if (!body.ok) return fail(c, body.status, body.message);
      const id = body.value.id ?? globalThis.crypto.randomUUID();
      if (typeof id !== 'string' || !CANARY_CONFIG_ID.test(id)) return fail(c, 400, `/id: is ${showValue(id)}; use 1-256 letters, digits, '.', '_', ':' or '-', or leave it out for a generated id`);
      return saveCanaryConfig(c, id, body.value, 0);
    },

    updateCanaryConfig: async (c) => {
      if (!canaryConfigs) return fail(c, 404, NO_CANARY_CONFIGS);
      const id = c.req.param('id')!;
      if (!CANARY_CONFIG_ID.test(id)) return fail(c, 400, `canary config id '${id}' in the path must be 1-256 letters, digits, '.', '_', ':' or '-'`);
      const body = await readBody(c, 'the canary config');
      if (!body.ok) return fail(c, body.status, body.message);
      if (body.value.id !== undefined && body.value.id !== id) return fail(c, 400, `/id: is ${showValue(body.value.id)} but the path names '${id}'; leave 'id' out or make them equal`);
      return saveCanaryConfig(c, id, body.value, undefined);
    },

    getCanaryConfig: async (c) => {
      if (!canaryConfigs) return fail(c, 404, NO_CANARY_CONFIGS);
      const id = c.req.param('id')!;
      const read = await canaryConfigs.get(callerOf(c), id);
      if (!read.ok) return fail(c, 403, read.message);
      return read.value === undefined ? fail(c, 404, `canary config '${id}' does not exist; GET /v2/canaryConfig lists them`) : c.json(canaryConfigJson(read.value));
    },

    listCanaryConfigs: async (c) => {
      if (!canaryConfigs) return fail(c, 404, NO_CANARY_CONFIGS);
      const application = c.req.query('application');
      const all = await canaryConfigs.list(callerOf(c));
      const listed = application === undefined || application === '' ? all : all.filter((summary) => summary.applications.some((name) => name.toLowerCase() === application.toLowerCase()));
      return c.json(listed.map((summary) => ({ ...summary, updatedTimestampIso: new Date(summary.updatedTimestamp).toISOString() })));
    },

    listPipelineTemplates: async (c) => (pipelineTemplates ? c.json(await pipelineTemplates.list(scopesQuery(c))) : fail(c, 404, NO_PIPELINE_TEMPLATES)),
    listPipelineTemplateVersions: async (c) => (pipelineTemplates ? c.json(await pipelineTemplates.versions(scopesQuery(c))) : fail(c, 404, NO_PIPELINE_TEMPLATES)),
    savePipelineTemplate: saveTemplate,
    createPipelineTemplate: saveTemplate,
    updatePipelineTemplate: updateTemplate,
    updatePipelineTemplateByPost: updateTemplate,
    getPipelineTemplate: async (c) => (pipelineTemplates ? templateAnswer(c, await pipelineTemplates.get(versionQuery(c))) : fail(c, 404, NO_PIPELINE_TEMPLATES)),
    deletePipelineTemplate: async (c) => (pipelineTemplates ? templateAnswer(c, await pipelineTemplates.remove(callerOf(c), versionQuery(c))) : fail(c, 404, NO_PIPELINE_TEMPLATES)),
    listPipelineTemplateDependents: async (c) => (pipelineTemplates ? c.json(await pipelineTemplates.dependents(c.req.param('id')!)) : fail(c, 404, NO_PIPELINE_TEMPLATES)),

    planPipelineTemplate: async (c) => {
      if (!pipelineTemplates) return fail(c, 404, NO_PIPELINE_TEMPLATES);
      const body = await readBody(c, 'the templated pipeline');
      if (!body.ok) return fail(c, body.status, body.message);
      const resolved = await pipelineTemplates.plan(body.value);
      const checked = resolved.pipeline ? parsePipeline(resolved.pipeline) : undefined;
      const issues = [...resolved.issues, ...(checked ? renderedIssues(checked.issues) : [])];
      const errors = issues.filter((issue) => issue.severity === 'error');
      if (!resolved.pipeline || errors.length > 0) {
        const first = errors[0]!;
        return fail(c, 400, `the templated pipeline has ${errors.length} error${errors.length === 1 ? '' : 's'} (first: ${first.pointer || '/'}: ${first.message})`, {
          issues: issues.map(({ pointer, code, message, severity }) => ({ pointer, code, message, severity })),
        });
      }
      return c.json(resolved.pipeline);
    },

    listAudit: async (c) => {
      const limit = parseLimit(c.req.query('limit'), 100);
      if (!limit.ok) return fail(c, 400, limit.message);
      const application = c.req.query('application');
      const read = await queries.listAudit({ limit: limit.value, ...(application !== undefined && application !== '' ? { application } : {}) }, callerOf(c));
      if (!read.ok) return fail(c, 403, read.message);
      return c.json((read.value ?? []).map((entry) => ({ ...entry, timeIso: new Date(entry.time).toISOString() })));
    },

    webhook: (c) =>
      deliver(c, 'webhook', (pipelines, _raw, payload, caller, headers, signedDigest) => {
        const eventId = header(headers, 'idempotency-key') ?? header(headers, 'x-event-id') ?? newEventId();
        const source = c.req.param('source')!;
        // A signed delivery is deduplicated by what was signed, never by an unsigned header.
        const dedup = signedDigest === undefined ? {} : { dedupId: `sha256-${signedDigest}` };
        const event = caller === undefined ? { source, payload, eventId, ...dedup } : { source, payload, eventId, user: caller.user, ...dedup };
        return { eventId, matches: matchWebhookTrigger(pipelines, event) };
      }),

    gitWebhook: (c) =>
      deliver(c, 'git', (pipelines, _raw, body, _caller, headers) => {
        const parsed = parseGitWebhook(c.req.param('source')!, headers, body);
        if (!parsed.ok) {
          return parsed.reason === 'invalid' ? fail(c, 400, parsed.message) : c.json({ eventProcessed: true, eventId: newEventId(), ignored: parsed.message, executions: [] });
        }
        const eventId = parsed.events[0]?.deliveryId ?? newEventId();
        return { eventId, matches: parsed.events.flatMap((event) => matchGitTrigger(pipelines, event)) };
      }),
  };

  /** Orca's `GET /pipelines?pipelineConfigIds=` (Gate's `GET /executions`): nothing asked, nothing answered. */
  async function searchExecutions(c: ApiContext): Promise<Response> {
    const list = (name: string) => (c.req.query(name) ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
    const limit = parseLimit(c.req.query('limit'), 1);
    if (!limit.ok) return fail(c, 400, limit.message);
    const statuses = parseStatuses(c.req.query('statuses'));
    if (!statuses.ok) return fail(c, 400, statuses.message);
    const expand = parseFlag(c.req.query('expand'), 'expand', true);
    if (!expand.ok) return fail(c, 400, expand.message);
    const pipelineConfigIds = list('pipelineConfigIds');
    const executionIds = list('executionIds');
    if (pipelineConfigIds.length === 0 && executionIds.length === 0) return c.json([]);
    const found = await queries.searchExecutions({ pipelineConfigIds, executionIds, limit: limit.value, ...(statuses.value !== undefined ? { statuses: statuses.value } : {}) }, callerOf(c));
    return c.json(await orcaExecutions(found, expand.value));
  }

  /** One template command's answer: the template, or the status its refusal maps to (issues with an invalid one). */
  function templateAnswer(c: ApiContext, result: TemplateCommandResult): Response {
    if (result.ok) return c.json(result.template);
    const issues = result.issues ? { issues: result.issues.map(({ pointer, code, message, severity }) => ({ pointer, code, message, severity })) } : {};
    return fail(c, TEMPLATE_REFUSALS[result.reason], result.message, issues);
  }

  const scopesQuery = (c: ApiContext): string[] | undefined => {
    const scopes = c.req.queries('scopes')?.flatMap((value) => value.split(',')).map((scope) => scope.trim()).filter((scope) => scope !== '');
    return scopes === undefined || scopes.length === 0 ? undefined : scopes;
  };

  const versionQuery = (c: ApiContext) => {
    const tag = c.req.query('tag');
    const digest = c.req.query('digest');
    return { id: c.req.param('id')!, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
  };

  async function saveTemplate(c: ApiContext): Promise<Response> {
    if (!pipelineTemplates) return fail(c, 404, NO_PIPELINE_TEMPLATES);
    const body = await readBody(c, 'the pipeline template');
    if (!body.ok) return fail(c, body.status, body.message);
    const tag = c.req.query('tag');
    return templateAnswer(c, await pipelineTemplates.save(callerOf(c), body.value, tag ? { tag } : {}));
  }

  async function updateTemplate(c: ApiContext): Promise<Response> {
    if (!pipelineTemplates) return fail(c, 404, NO_PIPELINE_TEMPLATES);
    const body = await readBody(c, 'the pipeline template');
    if (!body.ok) return fail(c, body.status, body.message);
    const tag = c.req.query('tag');
    return templateAnswer(c, await pipelineTemplates.update(callerOf(c), c.req.param('id')!, body.value, tag ? { tag } : {}));
  }

  async function saveCanaryConfig(c: ApiContext, id: string, body: Record<string, unknown>, expectRevision: number | undefined): Promise<Response> {
    const checked = await canaryConfigBody(body);
    if (!checked.ok) return fail(c, 400, checked.message);
    const saved = await canaryConfigs!.save(callerOf(c), id, checked.config, expectRevision === undefined ? {} : { expectRevision });
    if (saved.ok) return c.json({ canaryConfigId: saved.id });
    switch (saved.reason) {
      case 'forbidden':
        return fail(c, 403, saved.message);
      case 'conflict':
        return fail(c, 409, expectRevision === 0 ? `canary config '${id}' exists already; change it with PUT /v2/canaryConfig/${id}` : saved.message);
      case 'name-taken':
        return fail(c, 409, saved.message);
      case 'too-large':
        return fail(c, 413, saved.message);
      default: {
        const unreachable: never = saved;
        return fail(c, 500, `unexpected result ${JSON.stringify(unreachable)}`);
      }
    }
  }

  // Without deploy targets (the API function on AWS: only the stage runner holds them) no cluster can be described: say so, after the permission check.
  if (deps.targets === undefined) {
    for (const operationId of CLUSTER_READS) {
      handlers[operationId] = async (c) => {
        const application = c.req.param('application');
        const denied = application === undefined ? undefined : await queries.checkRead(application, callerOf(c));
        return denied ? fail(c, 403, denied.message) : fail(c, 404, NO_TARGETS);
      };
    }
  }

  for (const route of ROUTES as readonly RouteDeclaration[]) {
    const handler = handlers[route.operationId as OperationId];
    const guarded: Handler =
      route.auth === 'caller'
        ? async (c) => {
            const caller = await authenticate(c);
            if (caller === undefined) return fail(c, 401, `not authenticated; ${authHint}`);
            c.set('caller', caller);
            return handler(c);
          }
        : handler;
    app.on(route.method.toUpperCase(), toHonoPath(route.path), boundedPathParameters, guarded);
  }
  return app;
}
