/**
 * Every route of the API, declared once: the app registers its handlers from this table and the
 * OpenAPI document is generated from it, so a route cannot exist without being documented.
 * Paths follow Spinnaker's Gate where it has one (reference/spinnaker.md §1.4).
 */

export type RouteAuth =
  /** A caller is required: bearer token locally, IAM (SigV4) on AWS. */
  | 'caller'
  /** Authenticated by the webhook's signature (HMAC or GitLab token), or by a caller. */
  | 'webhook'
  /** No authentication (health, the API description). */
  | 'public';

export interface RouteParameter {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly description: string;
  readonly required?: boolean;
  readonly schema?: Readonly<Record<string, unknown>>;
}

export interface RouteDeclaration {
  readonly operationId: string;
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI style: `/pipelines/{id}`. */
  readonly path: string;
  readonly summary: string;
  readonly auth: RouteAuth;
  readonly tag: string;
  readonly parameters?: readonly RouteParameter[];
  /** The request body's schema name in `components.schemas`, or a description of free-form JSON. */
  readonly body?: { readonly schema: string; readonly description: string };
  /** Status → description (and optionally the schema name of the answer, and its media type when not JSON). */
  readonly responses: Readonly<Record<string, string | { readonly description: string; readonly schema: string; readonly mediaType?: string }>>;
}

const path = (name: string, description: string): RouteParameter => ({ name, in: 'path', description, required: true });
const APP = path('application', 'The application name (case-insensitive).');
const EXECUTION_ID = path('id', 'The execution id.');
const STAGE_ID = path('stageId', 'The stage id (`stages[].id` of the execution).');
const LIMIT: RouteParameter = { name: 'limit', in: 'query', description: 'At most this many items (1 to 1000).', schema: { type: 'integer', minimum: 1, maximum: 1000 } };

const ACCOUNT = path('account', 'The account (`local` on this machine).');
const CLUSTER = path('cluster', 'The Frigga cluster name, `app[-stack[-detail]]`.');
const SERVER_GROUP = path('serverGroup', 'The server group name, `app[-stack[-detail]]-vNNN`.');
const UNAVAILABLE = { description: "An account's deploy target did not answer; the message names it. Retry.", schema: 'Error' } as const;
const EXPAND_EXECUTIONS: RouteParameter = { name: 'expand', in: 'query', description: "false: stages without context, outputs and tasks (Orca's unexpanded form). Default true.", schema: { type: 'boolean' } };
const EXECUTION_SEARCH: readonly RouteParameter[] = [
  { name: 'pipelineConfigIds', in: 'query', description: 'Comma-separated pipeline config ids.', schema: { type: 'string' } },
  { name: 'executionIds', in: 'query', description: 'Comma-separated execution ids (instead of, or beside, pipelineConfigIds).', schema: { type: 'string' } },
  { name: 'limit', in: 'query', description: 'Executions per pipeline config (1 to 1000, default 1).', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
  { name: 'statuses', in: 'query', description: 'Comma-separated statuses to keep, e.g. `RUNNING,SUCCEEDED`.', schema: { type: 'string' } },
  EXPAND_EXECUTIONS,
];
const EXPRESSION: RouteParameter = { name: 'expression', in: 'query', description: "The expression, e.g. `${trigger.parameters.env}` (text without `${` comes back unchanged, as in Spinnaker).", required: true };

const ERRORS = {
  '400': { description: 'Bad input: the message names the field, the value and the fix.', schema: 'Error' },
  '401': { description: 'No caller: missing or wrong credentials.', schema: 'Error' },
  '404': { description: 'Unknown application, pipeline or execution.', schema: 'Error' },
} as const;

const TEMPLATE_ID = path('id', 'The pipeline template id (without a tag or digest).');
const TEMPLATE_TAG: RouteParameter = { name: 'tag', in: 'query', description: 'A tag: latest, stable, unstable, experimental, test or canary.', schema: { type: 'string' } };
const TEMPLATE_DIGEST: RouteParameter = { name: 'digest', in: 'query', description: 'The SHA-256 content digest of a saved version (not together with `tag`).', schema: { type: 'string' } };
const TEMPLATE_SAVED = { description: 'Saved: the template as stored, with its `digest`.', schema: 'PipelineTemplate' } as const;
const TEMPLATE_INVALID = { description: 'The template is invalid (every issue with its JSON pointer), or the tag is not one Front50 accepts; nothing was written.', schema: 'ValidationError' } as const;
const TEMPLATE_BODY = { schema: 'PipelineTemplate', description: 'A v2 template: `schema: "v2"`, `id`, `metadata`, `variables`, `pipeline`, `protect`; on an update, `id` (when given) must be the one in the path.' } as const;
/** Front50's create and Gate's path of it share all but their path. */
const TEMPLATE_CREATE = {
  method: 'post',
  auth: 'caller',
  tag: 'pipeline templates',
  parameters: [TEMPLATE_TAG],
  body: TEMPLATE_BODY,
  responses: { '200': TEMPLATE_SAVED, '400': TEMPLATE_INVALID, '401': ERRORS['401'], '409': { description: 'A template with this id (and tag) exists; change it with PUT.', schema: 'Error' } },
} as const;
/** Front50's update and Gate's path of it share all but their method and path. */
const TEMPLATE_UPDATE = { auth: 'caller', tag: 'pipeline templates', parameters: [TEMPLATE_ID, TEMPLATE_TAG], body: TEMPLATE_BODY, responses: { '200': TEMPLATE_SAVED, '400': TEMPLATE_INVALID, '401': ERRORS['401'] } } as const;

const EVALUATION_RESPONSES = {
  '200': { description: 'Evaluated: `result` is the value; when an expression failed, `result` keeps its text and `detail` says why.', schema: 'ExpressionEvaluation' },
  '400': ERRORS['400'],
  '401': ERRORS['401'],
  '403': { description: 'The caller may not read the application of this execution.', schema: 'Error' },
  '404': ERRORS['404'],
} as const;

export const ROUTES = [
  {
    operationId: 'health',
    method: 'get',
    path: '/health',
    summary: 'Liveness check.',
    auth: 'public',
    tag: 'meta',
    responses: { '200': { description: 'The API is up: `{ "status": "ok" }`.', schema: 'Health' } },
  },
  {
    operationId: 'openapi',
    method: 'get',
    path: '/openapi.json',
    summary: 'This document.',
    auth: 'public',
    tag: 'meta',
    responses: { '200': { description: 'The OpenAPI 3.1 description of the API.', schema: 'OpenApiDocument' } },
  },
  {
    operationId: 'listApplications',
    method: 'get',
    path: '/applications',
    summary: 'Every application, by name.',
    auth: 'caller',
    tag: 'applications',
    responses: { '200': { description: 'The applications.', schema: 'ApplicationList' }, '401': ERRORS['401'] },
  },
  {
    operationId: 'createApplication',
    method: 'post',
    path: '/applications',
    summary: 'Creates an application.',
    auth: 'caller',
    tag: 'applications',
    body: { schema: 'ApplicationInput', description: 'The application document (name, email, accounts, trafficGuards, permissions; other attributes are kept).' },
    responses: { '201': { description: 'Created.', schema: 'Application' }, '400': ERRORS['400'], '401': ERRORS['401'], '409': { description: 'An application with this name exists.', schema: 'Error' } },
  },
  {
    operationId: 'getApplication',
    method: 'get',
    path: '/applications/{application}',
    summary: 'One application.',
    auth: 'caller',
    tag: 'applications',
    parameters: [APP],
    responses: { '200': { description: 'The application.', schema: 'Application' }, '401': ERRORS['401'], '404': ERRORS['404'] },
  },
  {
    operationId: 'saveApplication',
    method: 'put',
    path: '/applications/{application}',
    summary: 'Creates or replaces an application.',
    auth: 'caller',
    tag: 'applications',
    parameters: [APP],
    body: { schema: 'ApplicationInput', description: 'The application document; `name`, when given, must be the one in the path.' },
    responses: { '200': { description: 'Saved.', schema: 'Application' }, '400': ERRORS['400'], '401': ERRORS['401'] },
  },
  {
    operationId: 'getApplicationPermissions',
    method: 'get',
    path: '/applications/{application}/permissions',
    summary: 'What the caller may do on the application (READ, WRITE, EXECUTE), so a page shows only the buttons that work.',
    auth: 'caller',
    tag: 'applications',
    parameters: [APP],
    responses: { '200': { description: "The caller's user name, admin flag and permissions.", schema: 'CallerPermissions' }, '401': ERRORS['401'] },
  },
  {
    operationId: 'validatePipelineConfig',
    method: 'post',
    path: '/pipelines/validate',
    summary: "Validates a pipeline config as a save would check its document, and compiles it, without saving anything: every issue with its JSON pointer, and a valid pipeline's compile report.",
    auth: 'caller',
    tag: 'pipeline configs',
    body: { schema: 'PipelineConfig', description: "Spinnaker's pipeline JSON (Front50 shape)." },
    responses: { '200': { description: 'The verdict: `valid` and the issues (errors and warnings).', schema: 'PipelineValidation' }, '400': ERRORS['400'], '401': ERRORS['401'] },
  },
  {
    operationId: 'savePipelineConfig',
    method: 'post',
    path: '/pipelines',
    summary: 'Validates and saves a pipeline config (a new version); creates its application when missing.',
    auth: 'caller',
    tag: 'pipeline configs',
    parameters: [{ name: 'expectVersion', in: 'query', description: 'Optimistic save: the version last read (0: the pipeline must be new).', schema: { type: 'integer', minimum: 0 } }],
    body: { schema: 'PipelineConfig', description: "Spinnaker's pipeline JSON (Front50 shape)." },
    responses: {
      '200': { description: 'Saved.', schema: 'SavedPipelineConfig' },
      '400': { description: 'The pipeline is invalid: every issue with its JSON pointer; nothing was written.', schema: 'ValidationError' },
      '401': ERRORS['401'],
      '409': { description: 'Another version was saved meanwhile, or another pipeline of the application has this name.', schema: 'Error' },
    },
  },
  {
    operationId: 'listPipelineConfigs',
    method: 'get',
    path: '/applications/{application}/pipelineConfigs',
    summary: "The latest version of every pipeline config of the application.",
    auth: 'caller',
    tag: 'pipeline configs',
    parameters: [APP],
    responses: { '200': { description: 'The pipeline configs, by name.', schema: 'PipelineConfigList' }, '401': ERRORS['401'] },
  },
  {
    operationId: 'getPipelineConfig',
    method: 'get',
    path: '/applications/{application}/pipelineConfigs/{pipelineNameOrId}',
    summary: 'The latest version of one pipeline config.',
    auth: 'caller',
    tag: 'pipeline configs',
    parameters: [APP, path('pipelineNameOrId', 'The pipeline config id, or its name.')],
    responses: { '200': { description: 'The pipeline config.', schema: 'PipelineConfig' }, '401': ERRORS['401'], '404': ERRORS['404'] },
  },
  {
    operationId: 'getPipelineConfigHistory',
    method: 'get',
    path: '/applications/{application}/pipelineConfigs/{pipelineNameOrId}/history',
    summary: 'Every saved version of one pipeline config, newest first.',
    auth: 'caller',
    tag: 'pipeline configs',
    parameters: [APP, path('pipelineNameOrId', 'The pipeline config id, or its name.'), LIMIT],
    responses: { '200': { description: 'The versions.', schema: 'PipelineConfigList' }, '401': ERRORS['401'], '404': ERRORS['404'] },
  },
  // Before startPipeline: `POST /pipelines/{id}/evaluateExpression` must not read as starting pipeline 'evaluateExpression'.
  {
    operationId: 'evaluateExpression',
    method: 'get',
    path: '/pipelines/{id}/evaluateExpression',
    summary: "Evaluates an expression against an execution, with the evaluator and context stages use (Gate's evaluateExpression): `{result}`, or `{result, detail}` with the text kept and the failures in Orca's expressionEvaluationSummary shape.",
    auth: 'caller',
    tag: 'executions',
    parameters: [EXECUTION_ID, EXPRESSION],
    responses: EVALUATION_RESPONSES,
  },
  {
    operationId: 'evaluateExpressionPost',
    method: 'post',
    path: '/pipelines/{id}/evaluateExpression',
    summary: 'Evaluates an expression against an execution, as the GET form; the expression in the body.',
    auth: 'caller',
    tag: 'executions',
    parameters: [EXECUTION_ID, { ...EXPRESSION, required: false, description: 'The expression, when the body does not carry it.' }],
    body: { schema: 'ExpressionRequest', description: '`{"expression": "${trigger.user}"}`; a `text/plain` body is the expression itself.' },
    responses: EVALUATION_RESPONSES,
  },
  {
    operationId: 'evaluateExpressionAtStage',
    method: 'get',
    path: '/pipelines/{id}/{stageId}/evaluateExpression',
    summary: "Evaluates an expression as one stage of the execution sees it: its context over its ancestors' outputs.",
    auth: 'caller',
    tag: 'executions',
    parameters: [EXECUTION_ID, path('stageId', 'The stage id (`stages[].id` of the execution), or its refId.'), EXPRESSION],
    responses: EVALUATION_RESPONSES,
  },
  {
    operationId: 'evaluateVariables',
    method: 'post',
    path: '/pipelines/{id}/evaluateVariables',
    summary: "Evaluates variables in order as an evaluateVariables stage placed after the given stages would (Gate's evaluateVariables): `{result}` (the variables with their values), or `{result, detail}`.",
    auth: 'caller',
    tag: 'executions',
    parameters: [
      EXECUTION_ID,
      { name: 'executionId', in: 'query', description: 'The execution, as Gate takes it; wins over the path.' },
      { name: 'requisiteStageRefIds', in: 'query', description: 'Comma-separated refIds the made-up stage follows: their outputs are visible (default none).' },
      { name: 'spelVersion', in: 'query', description: 'The SpEL evaluator version; only v4 (the default) is evaluated here.', schema: { enum: ['v4'] } },
    ],
    body: { schema: 'VariableList', description: '`[{"key": "a", "value": "1"}, {"key": "b", "value": "${a + 1}"}]`.' },
    responses: EVALUATION_RESPONSES,
  },
  {
    operationId: 'startPipeline',
    method: 'post',
    path: '/pipelines/{application}/{pipelineNameOrId}',
    summary: 'Starts a pipeline (manual trigger).',
    auth: 'caller',
    tag: 'executions',
    parameters: [APP, path('pipelineNameOrId', 'The pipeline config id, or its name.')],
    body: { schema: 'StartRequest', description: "`{ parameters, trigger }`, Gate's trigger map (`{ type, parameters, artifacts }`), or a flat parameter map." },
    responses: {
      '202': { description: 'Started (or queued): where to read the execution.', schema: 'ExecutionRef' },
      '400': ERRORS['400'],
      '401': ERRORS['401'],
      '403': { description: 'The caller may not execute this pipeline.', schema: 'Error' },
      '404': ERRORS['404'],
    },
  },
  {
    operationId: 'deletePipelineConfig',
    method: 'delete',
    path: '/pipelines/{application}/{pipelineNameOrId}',
    summary: "Deletes a pipeline config (Gate's delete by name): gone from every listing and trigger; its executions are kept. Idempotent: 200 whether or not it was there.",
    auth: 'caller',
    tag: 'pipeline configs',
    parameters: [APP, path('pipelineNameOrId', 'The pipeline name (case-insensitive), or its id.')],
    responses: {
      '200': { description: 'Deleted, or there was nothing to delete (`deleted: false`).', schema: 'DeletedPipelineConfig' },
      '401': ERRORS['401'],
      '403': { description: 'The caller lacks WRITE on the application.', schema: 'Error' },
    },
  },
  {
    operationId: 'searchExecutions',
    method: 'get',
    path: '/pipelines',
    summary: "Orca's executions search: the newest executions of each pipeline config, or the executions named by id, newest first (those of applications the caller may not READ are left out).",
    auth: 'caller',
    tag: 'executions',
    parameters: EXECUTION_SEARCH,
    responses: { '200': { description: 'The executions.', schema: 'ExecutionList' }, '400': ERRORS['400'], '401': ERRORS['401'] },
  },
  {
    operationId: 'searchExecutionsGate',
    method: 'get',
    path: '/executions',
    summary: "Gate's path of the executions search (`GET /pipelines?pipelineConfigIds=`), the same answer.",
    auth: 'caller',
    tag: 'executions',
    parameters: EXECUTION_SEARCH,
    responses: { '200': { description: 'The executions.', schema: 'ExecutionList' }, '400': ERRORS['400'], '401': ERRORS['401'] },
  },
  {
    operationId: 'getExecution',
    method: 'get',
    path: '/pipelines/{id}',
    summary: "One execution in Orca's shape.",
    auth: 'caller',
    tag: 'executions',
    parameters: [EXECUTION_ID],
    responses: { '200': { description: 'The execution.', schema: 'Execution' }, '401': ERRORS['401'], '404': ERRORS['404'] },
  },
  {
    operationId: 'watchExecution',
    method: 'get',
    path: '/pipelines/{id}/changes',
    summary: 'Long-poll for the live view: the execution as soon as it differs from the version the caller last saw (`since`), or as it is after `waitSeconds`.',
    auth: 'caller',
    tag: 'executions',
    parameters: [
      EXECUTION_ID,
      { name: 'since', in: 'query', description: 'The `version` of the last answer; absent: answer at once.', schema: { type: 'string' } },
      { name: 'waitSeconds', in: 'query', description: 'How long to wait for a change (0 to 25, default 20).', schema: { type: 'integer', minimum: 0, maximum: 25 } },
    ],
    responses: { '200': { description: "The execution in Orca's shape and its version (the same version: nothing changed in time).", schema: 'ExecutionChanges' }, '400': ERRORS['400'], '401': ERRORS['401'], '404': ERRORS['404'] },
  },
  {
    operationId: 'deleteExecution',
    method: 'delete',
    path: '/pipelines/{id}',
    summary: "Deletes a complete execution (Gate's delete of a pipeline execution); one still running must be canceled first.",
    auth: 'caller',
    tag: 'executions',
    parameters: [EXECUTION_ID],
    responses: {
      '200': { description: 'Deleted.', schema: 'DeletedExecution' },
      '401': ERRORS['401'],
      '403': { description: 'The caller lacks WRITE on the application.', schema: 'Error' },
      '404': ERRORS['404'],
      '409': { description: 'The execution is not complete: cancel it first.', schema: 'Error' },
    },
  },
  {
    operationId: 'getCanaryReport',
    method: 'get',
    path: '/pipelines/{id}/canaryReport',
    summary: "The canary report of an execution: one self-contained HTML page with each canary stage's verdict, score over intervals and per-metric plots.",
    auth: 'caller',
    tag: 'executions',
    parameters: [EXECUTION_ID],
    responses: {
      '200': { description: 'The report (inline CSS and SVG; no scripts, no external URLs).', schema: 'CanaryReport', mediaType: 'text/html' },
      '401': ERRORS['401'],
      '404': { description: 'The execution does not exist, or has no canary stage (kayentaCanary, or a deploy with strategy canary).', schema: 'Error' },
    },
  },
  {
    operationId: 'listExecutions',
    method: 'get',
    path: '/applications/{application}/pipelines',
    summary: "The application's executions, newest first.",
    auth: 'caller',
    tag: 'executions',
    parameters: [
      APP,
      { ...LIMIT, description: 'At most this many executions (1 to 1000, default 25).' },
      { name: 'statuses', in: 'query', description: 'Comma-separated statuses to keep, e.g. `RUNNING,NOT_STARTED`.', schema: { type: 'string' } },
      EXPAND_EXECUTIONS,
    ],
    responses: { '200': { description: 'The executions.', schema: 'ExecutionList' }, '400': ERRORS['400'], '401': ERRORS['401'] },
  },
  {
    operationId: 'cancelExecution',
    method: 'put',
    path: '/pipelines/{id}/cancel',
    summary: 'Cancels a running or queued execution.',
    auth: 'caller',
    tag: 'executions',
    parameters: [EXECUTION_ID, { name: 'reason', in: 'query', description: 'Why, kept as `cancellationReason`.', schema: { type: 'string' } }],
    responses: {
      '202': { description: 'Canceling.', schema: 'ExecutionRef' },
      '401': ERRORS['401'],
      '403': { description: 'Not allowed.', schema: 'Error' },
      '404': ERRORS['404'],
      '409': { description: 'The execution has completed.', schema: 'Error' },
    },
  },
  {
    operationId: 'patchStage',
    method: 'patch',
    path: '/pipelines/{id}/stages/{stageId}',
    summary: 'Answers a manual judgment, or skips the rest of a wait stage.',
    auth: 'caller',
    tag: 'executions',
    parameters: [EXECUTION_ID, STAGE_ID],
    body: { schema: 'StagePatch', description: '`{ judgmentStatus: "continue"|"stop", judgmentInput }` or `{ skipRemainingWait: true }`.' },
    responses: {
      '200': { description: 'Done: the execution as it is now.', schema: 'Execution' },
      '400': ERRORS['400'],
      '401': ERRORS['401'],
      '403': { description: 'The caller may not judge this stage.', schema: 'Error' },
      '404': ERRORS['404'],
      '409': { description: 'The stage is not waiting for this (already judged, or complete).', schema: 'Error' },
    },
  },
  {
    operationId: 'restartStage',
    method: 'put',
    path: '/pipelines/{id}/stages/{stageId}/restart',
    summary: 'Restarts a stage: a new execution that keeps the stages that succeeded outside its downstream.',
    auth: 'caller',
    tag: 'executions',
    parameters: [EXECUTION_ID, STAGE_ID],
    responses: {
      '202': { description: 'The new execution.', schema: 'ExecutionRef' },
      '401': ERRORS['401'],
      '403': { description: 'Not allowed.', schema: 'Error' },
      '404': ERRORS['404'],
      '409': { description: 'The execution cannot be restarted now.', schema: 'Error' },
    },
  },
  {
    operationId: 'listAccounts',
    method: 'get',
    path: '/credentials',
    summary: "The accounts pipelines may deploy to, in Gate's shape (name, type, accountType, environment, regions...).",
    auth: 'caller',
    tag: 'accounts',
    parameters: [{ name: 'expand', in: 'query', description: "Gate's flag for account details; they are always included.", schema: { type: 'boolean' } }],
    responses: { '200': { description: 'Every account, by name.', schema: 'AccountList' }, '401': ERRORS['401'] },
  },
  {
    operationId: 'getAccount',
    method: 'get',
    path: '/credentials/{account}',
    summary: "One account, in Gate's shape.",
    auth: 'caller',
    tag: 'accounts',
    parameters: [path('account', 'The account name.')],
    responses: { '200': { description: 'The account.', schema: 'Account' }, '401': ERRORS['401'], '404': { description: 'No such account: the message lists the known ones.', schema: 'Error' } },
  },
  {
    operationId: 'listClusters',
    method: 'get',
    path: '/applications/{application}/clusters',
    summary: "The application's cluster names by account, as Gate answers: the clusters its pipelines deploy to and its executions created, that hold server groups now.",
    auth: 'caller',
    tag: 'clusters',
    parameters: [APP],
    responses: { '200': { description: 'Account → cluster names.', schema: 'ClusterNames' }, '401': ERRORS['401'], '503': UNAVAILABLE },
  },
  {
    operationId: 'listAccountClusters',
    method: 'get',
    path: '/applications/{application}/clusters/{account}',
    summary: "The application's clusters in one account, as Clouddriver's ClusterViewModel: name, account, moniker, load balancer and server group names.",
    auth: 'caller',
    tag: 'clusters',
    parameters: [APP, ACCOUNT],
    responses: {
      '200': { description: 'The clusters.', schema: 'ClusterSummaryList' },
      '401': ERRORS['401'],
      '404': { description: 'The application has no cluster with a server group in this account (as Clouddriver answers).', schema: 'Error' },
      '503': UNAVAILABLE,
    },
  },
  {
    operationId: 'getCluster',
    method: 'get',
    path: '/applications/{application}/clusters/{account}/{cluster}',
    summary: "A cluster in Clouddriver's shape (name, accountName, type, moniker, serverGroups, loadBalancers), plus each region with its server groups, capacity, instances with health, and traffic.",
    auth: 'caller',
    tag: 'clusters',
    parameters: [
      APP,
      ACCOUNT,
      CLUSTER,
      { name: 'regions', in: 'query', description: "Comma-separated regions (default: the account's regions, and those its pipelines and executions used).", schema: { type: 'string' } },
    ],
    responses: { '200': { description: 'The cluster.', schema: 'Cluster' }, '400': ERRORS['400'], '401': ERRORS['401'], '404': ERRORS['404'], '503': UNAVAILABLE },
  },
  {
    operationId: 'listClusterServerGroups',
    method: 'get',
    path: '/applications/{application}/clusters/{account}/{cluster}/serverGroups',
    summary: "The server groups of a cluster, in Clouddriver's shape (Gate's cluster serverGroups route).",
    auth: 'caller',
    tag: 'clusters',
    parameters: [APP, ACCOUNT, CLUSTER],
    responses: { '200': { description: 'The server groups, oldest first in each region.', schema: 'ServerGroupList' }, '400': ERRORS['400'], '401': ERRORS['401'], '404': ERRORS['404'], '503': UNAVAILABLE },
  },
  {
    operationId: 'getClusterServerGroup',
    method: 'get',
    path: '/applications/{application}/clusters/{account}/{cluster}/serverGroups/{serverGroup}',
    summary: 'The server groups of a cluster with this name, one per region (a list, as Gate answers).',
    auth: 'caller',
    tag: 'clusters',
    parameters: [APP, ACCOUNT, CLUSTER, SERVER_GROUP],
    responses: { '200': { description: 'The server groups of that name (empty when none).', schema: 'ServerGroupList' }, '400': ERRORS['400'], '401': ERRORS['401'], '404': ERRORS['404'], '503': UNAVAILABLE },
  },
  {
    operationId: 'getTargetServerGroup',
    method: 'get',
    path: '/applications/{application}/clusters/{account}/{cluster}/{cloudProvider}/{scope}/serverGroups/target/{target}',
    summary: "The server group a target names in a cluster's region (clouddriver's TargetServerGroup: current/newest, previous/ancestor, oldest, largest, fail; `_asg` and `_asg_dynamic` suffixes read too), in Clouddriver's shape.",
    auth: 'caller',
    tag: 'clusters',
    parameters: [
      APP,
      ACCOUNT,
      CLUSTER,
      path('cloudProvider', "The account's cloud provider (aws, ecs, gce, kubernetes, local...)."),
      path('scope', 'The region.'),
      path('target', 'current_asg_dynamic, ancestor_asg_dynamic, oldest_asg_dynamic, largest_asg_dynamic, fail, or newest, previous...'),
      { name: 'onlyEnabled', in: 'query', description: 'Only enabled server groups are candidates.', schema: { type: 'boolean' } },
      { name: 'validateOldest', in: 'query', description: 'oldest must be another server group than the newest (default true).', schema: { type: 'boolean' } },
    ],
    responses: {
      '200': { description: 'The server group.', schema: 'ServerGroup' },
      '400': ERRORS['400'],
      '401': ERRORS['401'],
      '404': { description: 'No server group is that target (or the account has no deploy target here).', schema: 'Error' },
      '503': UNAVAILABLE,
    },
  },
  {
    operationId: 'listServerGroups',
    method: 'get',
    path: '/applications/{application}/serverGroups',
    summary: "The application's server groups in Clouddriver's shape: summaries (ServerGroupViewModel), or whole server groups with `expand=true`.",
    auth: 'caller',
    tag: 'clusters',
    parameters: [
      APP,
      { name: 'expand', in: 'query', description: 'true: each whole server group with accountName, cluster, application, stack and freeFormDetail.', schema: { type: 'boolean' } },
      { name: 'cloudProvider', in: 'query', description: 'Only server groups of this cloud provider (aws, ecs, gce, kubernetes, local...).', schema: { type: 'string' } },
      { name: 'clusters', in: 'query', description: 'Only these clusters: comma-separated `account:cluster`.', schema: { type: 'string' } },
    ],
    responses: { '200': { description: 'The server groups.', schema: 'ServerGroupList' }, '400': ERRORS['400'], '401': ERRORS['401'], '503': UNAVAILABLE },
  },
  {
    operationId: 'listServerGroupsAcross',
    method: 'get',
    path: '/serverGroups',
    summary: "Server groups of several applications (`applications=a,b`), or named by id (`ids=account:region:name,...`), as Clouddriver's summaries; those of applications the caller may not READ are left out.",
    auth: 'caller',
    tag: 'clusters',
    parameters: [
      { name: 'applications', in: 'query', description: 'Comma-separated application names.', schema: { type: 'string' } },
      { name: 'ids', in: 'query', description: 'Comma-separated `account:region:serverGroupName`.', schema: { type: 'string' } },
      { name: 'cloudProvider', in: 'query', description: 'Only server groups of this cloud provider.', schema: { type: 'string' } },
    ],
    responses: { '200': { description: 'The server groups.', schema: 'ServerGroupList' }, '400': ERRORS['400'], '401': ERRORS['401'], '503': UNAVAILABLE },
  },
  {
    operationId: 'getServerGroup',
    method: 'get',
    path: '/applications/{application}/serverGroups/{account}/{region}/{serverGroup}',
    summary: "One server group in Clouddriver's shape (Gate's server-group details).",
    auth: 'caller',
    tag: 'clusters',
    parameters: [APP, ACCOUNT, path('region', 'The region (`local` on this machine).'), SERVER_GROUP],
    responses: { '200': { description: 'The server group.', schema: 'ServerGroup' }, '400': ERRORS['400'], '401': ERRORS['401'], '404': { description: 'No such server group (or account).', schema: 'Error' }, '503': UNAVAILABLE },
  },
  {
    operationId: 'rollbackCluster',
    method: 'post',
    path: '/applications/{application}/clusters/{cluster}/rollback',
    summary: 'One-click rollback: enables the previous server group and disables the newest, in every region (a rollbackCluster stage).',
    auth: 'caller',
    tag: 'clusters',
    parameters: [APP, path('cluster', 'The Frigga cluster name, `app[-stack[-detail]]`.')],
    body: { schema: 'RollbackRequest', description: 'Where: `account` (default `local`), `regions` (default `["local"]`), and a `reason`.' },
    responses: {
      '202': { description: 'The rollback execution.', schema: 'ExecutionRef' },
      '400': ERRORS['400'],
      '401': ERRORS['401'],
      '404': { description: 'The cluster has no server group in the account and regions asked for (nothing to roll back).', schema: 'Error' },
      '409': { description: 'The rollback could not start.', schema: 'Error' },
    },
  },
  {
    operationId: 'saveCanaryConfig',
    method: 'post',
    path: '/v2/canaryConfig',
    summary: "Saves a new canary config (Kayenta's JSON, unchanged) under the body's `id`, or a generated one.",
    auth: 'caller',
    tag: 'canary configs',
    body: { schema: 'CanaryConfig', description: 'A Kayenta canary config; `name` is required and unique.' },
    responses: {
      '200': { description: 'Saved.', schema: 'CanaryConfigRef' },
      '400': { description: 'The config is invalid: every problem in one line; nothing was written.', schema: 'Error' },
      '401': ERRORS['401'],
      '409': { description: 'A config with this id exists (change it with PUT), or another config has this name.', schema: 'Error' },
      '413': { description: 'The config is over the size limit.', schema: 'Error' },
    },
  },
  {
    operationId: 'listCanaryConfigs',
    method: 'get',
    path: '/v2/canaryConfig',
    summary: 'Every saved canary config, by name: id, name, applications, updatedTimestamp.',
    auth: 'caller',
    tag: 'canary configs',
    parameters: [{ name: 'application', in: 'query', description: 'Only the configs that list this application.', schema: { type: 'string' } }],
    responses: { '200': { description: 'The configs.', schema: 'CanaryConfigList' }, '401': ERRORS['401'] },
  },
  {
    operationId: 'getCanaryConfig',
    method: 'get',
    path: '/v2/canaryConfig/{id}',
    summary: 'One saved canary config, as saved, with its id, revision and timestamps.',
    auth: 'caller',
    tag: 'canary configs',
    parameters: [path('id', 'The canary config id.')],
    responses: { '200': { description: 'The config.', schema: 'CanaryConfig' }, '401': ERRORS['401'], '404': { description: 'No config has this id.', schema: 'Error' } },
  },
  {
    operationId: 'updateCanaryConfig',
    method: 'put',
    path: '/v2/canaryConfig/{id}',
    summary: 'Creates or replaces the canary config with this id.',
    auth: 'caller',
    tag: 'canary configs',
    parameters: [path('id', 'The canary config id.')],
    body: { schema: 'CanaryConfig', description: 'A Kayenta canary config; `id`, when given, must be the one in the path.' },
    responses: {
      '200': { description: 'Saved.', schema: 'CanaryConfigRef' },
      '400': { description: 'The config is invalid: every problem in one line; nothing was written.', schema: 'Error' },
      '401': ERRORS['401'],
      '409': { description: 'Another config has this name.', schema: 'Error' },
      '413': { description: 'The config is over the size limit.', schema: 'Error' },
    },
  },
  {
    operationId: 'listPipelineTemplates',
    method: 'get',
    path: '/v2/pipelineTemplates',
    summary: 'Every saved pipeline template version (Managed Pipeline Templates v2): each id, its tags and its digests. Templates are global.',
    auth: 'caller',
    tag: 'pipeline templates',
    parameters: [{ name: 'scopes', in: 'query', description: "Comma-separated: only templates whose `metadata.scopes` name one of these (e.g. `global`).", schema: { type: 'string' } }],
    responses: { '200': { description: 'The templates.', schema: 'PipelineTemplateList' }, '401': ERRORS['401'] },
  },
  { ...TEMPLATE_CREATE, operationId: 'savePipelineTemplate', path: '/v2/pipelineTemplates', summary: "Saves a new pipeline template (Front50's create): under its id (or `id:tag`), `id:latest` and `id@sha256:<digest>`." },
  { ...TEMPLATE_CREATE, operationId: 'createPipelineTemplate', path: '/v2/pipelineTemplates/create', summary: "Gate's path of savePipelineTemplate (what `spin pipeline-template save` calls)." },
  {
    operationId: 'listPipelineTemplateVersions',
    method: 'get',
    path: '/v2/pipelineTemplates/versions',
    summary: 'The v2 templates grouped by id: every stored version (tags and digests) of each.',
    auth: 'caller',
    tag: 'pipeline templates',
    parameters: [{ name: 'scopes', in: 'query', description: 'Comma-separated scopes, as for the list.', schema: { type: 'string' } }],
    responses: { '200': { description: 'Id to versions.', schema: 'PipelineTemplateVersions' }, '401': ERRORS['401'] },
  },
  {
    operationId: 'planPipelineTemplate',
    method: 'post',
    path: '/v2/pipelineTemplates/plan',
    summary: 'Renders a templated pipeline (`type: templatedPipeline`) with its saved template, without saving or running anything.',
    auth: 'caller',
    tag: 'pipeline templates',
    body: { schema: 'TemplatedPipeline', description: 'The templated pipeline: `schema: "v2"`, `application`, `name`, `template.reference` (`spinnaker://<id>[:<tag>]`), `variables`, `stages`, `exclude`.' },
    responses: {
      '200': { description: "The rendered pipeline: Spinnaker's pipeline JSON, with `templateVariables` (as Gate answers).", schema: 'PipelineConfig' },
      '400': { description: 'The templated pipeline cannot be rendered, or renders to an invalid pipeline: every issue with its JSON pointer.', schema: 'ValidationError' },
      '401': ERRORS['401'],
    },
  },
  {
    operationId: 'getPipelineTemplate',
    method: 'get',
    path: '/v2/pipelineTemplates/{id}',
    summary: 'One pipeline template: its id, or the version of a tag or a digest.',
    auth: 'caller',
    tag: 'pipeline templates',
    parameters: [TEMPLATE_ID, TEMPLATE_TAG, TEMPLATE_DIGEST],
    responses: { '200': { description: 'The template.', schema: 'PipelineTemplate' }, '400': ERRORS['400'], '401': ERRORS['401'], '404': { description: 'No template is saved under this id, tag or digest.', schema: 'Error' } },
  },
  { ...TEMPLATE_UPDATE, operationId: 'updatePipelineTemplate', method: 'put', path: '/v2/pipelineTemplates/{id}', summary: "Replaces a pipeline template (Front50's update): under its id (or `id:tag`), `id:latest` and a new digest." },
  { ...TEMPLATE_UPDATE, operationId: 'updatePipelineTemplateByPost', method: 'post', path: '/v2/pipelineTemplates/update/{id}', summary: "Gate's path of updatePipelineTemplate (what `spin pipeline-template save` calls for a template that exists)." },
  {
    operationId: 'deletePipelineTemplate',
    method: 'delete',
    path: '/v2/pipelineTemplates/{id}',
    summary: 'Deletes a pipeline template version (the id, a tag or a digest); refused while templated pipelines reference it.',
    auth: 'caller',
    tag: 'pipeline templates',
    parameters: [TEMPLATE_ID, TEMPLATE_TAG, TEMPLATE_DIGEST],
    responses: {
      '200': { description: 'Deleted: the template that was stored.', schema: 'PipelineTemplate' },
      '400': ERRORS['400'],
      '401': ERRORS['401'],
      '404': { description: 'No template is saved under this id, tag or digest.', schema: 'Error' },
      '409': { description: 'Templated pipelines depend on it: the message lists them.', schema: 'Error' },
    },
  },
  {
    operationId: 'listPipelineTemplateDependents',
    method: 'get',
    path: '/v2/pipelineTemplates/{id}/dependents',
    summary: 'The templated pipelines that reference the template (any tag or digest of it).',
    auth: 'caller',
    tag: 'pipeline templates',
    parameters: [TEMPLATE_ID],
    responses: { '200': { description: 'The pipeline configs (templated).', schema: 'PipelineConfigList' }, '401': ERRORS['401'] },
  },
  {
    operationId: 'listAudit',
    method: 'get',
    path: '/audit',
    summary: 'The audit log, newest first: every mutating call with who, what, application, when, source address and result. Admins only.',
    auth: 'caller',
    tag: 'audit',
    parameters: [{ name: 'application', in: 'query', description: 'Only entries of this application.' }, { ...LIMIT, description: 'At most this many entries (1 to 1000, default 100).' }],
    responses: { '200': { description: 'The entries.', schema: 'AuditEntryList' }, '400': ERRORS['400'], '401': ERRORS['401'] },
  },
  {
    operationId: 'listPreconfiguredWebhooks',
    method: 'get',
    path: '/webhooks/preconfigured',
    summary: "The preconfigured webhooks (Gate's list): each a stage type pipelines may name, with the fields it fixes and the parameters its stages give in `parameterValues`.",
    auth: 'caller',
    tag: 'webhooks',
    responses: { '200': { description: 'The webhooks.', schema: 'PreconfiguredWebhookList' }, '401': ERRORS['401'] },
  },
  {
    operationId: 'webhook',
    method: 'post',
    path: '/webhooks/webhook/{source}',
    summary: 'A generic webhook: starts the pipelines whose webhook trigger has this source and whose payload constraints hold.',
    auth: 'webhook',
    tag: 'webhooks',
    parameters: [path('source', "The trigger's `source`.")],
    body: { schema: 'WebhookPayload', description: 'Any JSON object; `parameters` and `artifacts` are used, the whole body is `trigger.payload`. Send `Idempotency-Key` (or `X-Event-Id`) to make redeliveries start nothing new.' },
    responses: { '200': { description: 'Processed (as Echo answers).', schema: 'WebhookResult' }, '400': ERRORS['400'], '401': ERRORS['401'] },
  },
  {
    operationId: 'gitWebhook',
    method: 'post',
    path: '/webhooks/git/{source}',
    summary: 'A git host webhook (github, gitlab, bitbucket, stash), verified against the raw body.',
    auth: 'webhook',
    tag: 'webhooks',
    parameters: [path('source', 'github, gitlab, bitbucket or stash.')],
    body: { schema: 'WebhookPayload', description: "The host's push (or pull request) payload, unchanged." },
    responses: { '200': { description: 'Processed.', schema: 'WebhookResult' }, '400': ERRORS['400'], '401': ERRORS['401'] },
  },
] as const satisfies readonly RouteDeclaration[];

/** Hono path syntax for an OpenAPI path (`/pipelines/{id}` → `/pipelines/:id`). */
export function toHonoPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

export type OperationId = (typeof ROUTES)[number]['operationId'];
