/**
 * The OpenAPI 3.1 document, generated from the route table (routes.ts) plus the schemas below,
 * so the description cannot miss a route. Schemas describe the shapes loosely where the format
 * is Spinnaker's (pipeline JSON, Orca's execution): those keep unknown fields.
 */
import { NOTIFICATION_TYPES } from '../../core/ports/notification-sender.ts';
import type { RouteDeclaration } from './routes.ts';
import { ROUTES, toHonoPath } from './routes.ts';

const object = (properties: Record<string, unknown>, required: string[] = [], extra = true) => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
  additionalProperties: extra,
});
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const string = { type: 'string' };
const strings = { type: 'array', items: string };

/** Located issues of a document: each with the JSON pointer of what it is about. */
const ISSUES = {
  type: 'array',
  items: object({ pointer: { ...string, description: 'JSON pointer into the document as sent.' }, code: string, message: string, severity: { enum: ['error', 'warning'] } }, ['pointer', 'code', 'message']),
};

const SCHEMAS: Record<string, unknown> = {
  Health: object({ status: { const: 'ok' } }, ['status'], false),
  OpenApiDocument: object({ openapi: { const: '3.1.0' }, info: { type: 'object' }, paths: { type: 'object' }, components: { type: 'object' } }, ['openapi', 'info', 'paths']),
  Error: object({ error: { ...string, description: 'One line: the field, the value and the fix.' } }, ['error'], false),
  ValidationError: object(
    {
      error: string,
      issues: ISSUES,
    },
    ['error', 'issues'],
    false,
  ),
  ApplicationInput: object(
    {
      name: string,
      email: string,
      accounts: { oneOf: [strings, { ...string, description: 'Comma-separated, as Front50 stores it.' }] },
      trafficGuards: { type: 'array', items: object({ account: string, location: string, stack: string, detail: string, enabled: { type: 'boolean' } }, ['account', 'location']) },
      permissions: object({ READ: strings, WRITE: strings, EXECUTE: strings }, [], false),
      notifications: { type: 'object', description: 'Notification preferences by type, as Front50 stores them: {"slack": [{"address": "#deploys", "when": ["pipeline.failed"]}]}; their pipeline.* events apply to every pipeline of the application.' },
    },
    ['name'],
  ),
  Application: object({ name: string, email: string, accounts: strings, trafficGuards: { type: 'array' }, permissions: { type: 'object' }, createTs: { type: 'integer' }, updateTs: { type: 'integer' }, revision: { type: 'integer' } }, ['name']),
  ApplicationList: { type: 'array', items: ref('Application') },
  PipelineConfig: object({ application: string, name: string, id: string, stages: { type: 'array' }, triggers: { type: 'array' }, parameterConfig: { type: 'array' } }, ['application', 'name']),
  PipelineConfigList: { type: 'array', items: ref('PipelineConfig') },
  SavedPipelineConfig: object({ id: string, application: string, name: string, version: { type: 'integer' }, warnings: { type: 'array' } }, ['id', 'application', 'name', 'version'], false),
  StartRequest: object({ parameters: { type: 'object' }, trigger: { type: 'object' }, artifacts: { type: 'array' } }),
  ExecutionChanges: object({ version: { ...string, description: 'A fingerprint of the execution as answered; send it back as `since`.' }, execution: ref('Execution') }, ['version', 'execution'], false),
  CallerPermissions: object(
    { application: string, user: string, admin: { type: 'boolean' }, READ: { type: 'boolean' }, WRITE: { type: 'boolean' }, EXECUTE: { type: 'boolean' } },
    ['application', 'user', 'admin', 'READ', 'WRITE', 'EXECUTE'],
    false,
  ),
  PipelineValidation: object(
    {
      valid: { type: 'boolean' },
      issues: ISSUES,
      compile: {
        ...object({ states: { type: 'integer' }, definitionBytes: { type: 'integer' }, worstCaseHistoryEvents: { type: 'integer' }, limits: { type: 'object' }, children: { type: 'array' }, addedOrderingEdges: { type: 'array' } }),
        description: "A valid pipeline's compile report: its states, definition size and worst-case history events against Step Functions' limits, its child state machines.",
      },
    },
    ['valid', 'issues'],
    false,
  ),
  ExecutionRef: object({ ref: { ...string, description: '`/pipelines/<executionId>`' } }, ['ref'], false),
  Execution: object(
    {
      id: string,
      type: { const: 'PIPELINE' },
      application: string,
      name: string,
      pipelineConfigId: string,
      status: string,
      buildTime: { type: 'integer' },
      startTime: { type: ['integer', 'null'] },
      endTime: { type: ['integer', 'null'] },
      trigger: { type: 'object' },
      stages: {
        type: 'array',
        items: object(
          { id: string, refId: string, type: string, name: string, status: string, context: { type: 'object' }, outputs: { type: 'object' }, tasks: { type: 'array', items: ref('Task') }, parentStageId: string, syntheticStageOwner: { enum: ['STAGE_BEFORE', 'STAGE_AFTER'] } },
          ['id', 'refId', 'type', 'name', 'status', 'context', 'outputs', 'tasks'],
        ),
      },
      notificationDeliveries: {
        type: 'array',
        description: 'The notifications sent for the execution and its stages; absent when none was attempted.',
        items: object(
          { key: string, event: string, type: string, recipient: string, stageId: string, stageRefId: string, status: { enum: ['SENDING', 'SENT', 'FAILED'] }, attempts: { type: 'integer' }, reason: { ...string, description: 'Why it failed, one line.' }, updatedAt: { type: 'integer' } },
          ['key', 'event', 'type', 'recipient', 'status', 'attempts'],
        ),
      },
    },
    ['id', 'application', 'status', 'stages'],
  ),
  ExecutionList: { type: 'array', items: ref('Execution') },
  ExecutionSummaryList: {
    type: 'array',
    items: object(
      { id: string, application: string, pipelineConfigId: string, name: string, status: string, buildTime: { type: 'integer' }, startTime: { type: 'integer' }, endTime: { type: 'integer' } },
      ['id', 'application', 'pipelineConfigId', 'name', 'status', 'buildTime'],
      false,
    ),
  },
  Task: object(
    {
      id: string,
      name: string,
      implementingClass: string,
      status: string,
      startTime: { type: ['integer', 'null'] },
      endTime: { type: ['integer', 'null'] },
      stageStart: { type: 'boolean' },
      stageEnd: { type: 'boolean' },
      loopStart: { type: 'boolean' },
      loopEnd: { type: 'boolean' },
    },
    ['id', 'name', 'implementingClass', 'status', 'startTime', 'endTime', 'stageStart', 'stageEnd', 'loopStart', 'loopEnd'],
  ),
  CanaryConfig: object(
    {
      id: string,
      name: string,
      applications: strings,
      judge: object({ name: string }),
      metrics: { type: 'array', items: object({ name: string, query: { type: 'object' }, groups: strings, analysisConfigurations: { type: 'object' } }, ['name', 'query']) },
      classifier: object({ groupWeights: { type: 'object', additionalProperties: { type: 'number' } } }),
      revision: { type: 'integer', description: 'Read only: one more per save.' },
      createdTimestamp: { type: 'integer', description: 'Read only.' },
      updatedTimestamp: { type: 'integer', description: 'Read only.' },
    },
    ['name', 'metrics'],
  ),
  CanaryConfigRef: object({ canaryConfigId: string }, ['canaryConfigId'], false),
  CanaryConfigList: { type: 'array', items: object({ id: string, name: string, applications: strings, updatedTimestamp: { type: 'integer' }, updatedTimestampIso: string }, ['id', 'name', 'applications', 'updatedTimestamp']) },
  PipelineTemplate: object(
    {
      schema: { const: 'v2' },
      id: string,
      protect: { type: 'boolean' },
      metadata: object({ name: string, description: string, owner: string, scopes: strings }),
      variables: { type: 'array', items: object({ name: string, type: string, description: string, defaultValue: {}, nullable: { type: 'boolean' } }, ['name']) },
      pipeline: { type: 'object', description: 'The pipeline the template renders (stages, triggers, parameterConfig, notifications...); strings may read `${templateVariables.<name>}`.' },
      tag: { ...string, description: 'Read only: the tag this version is stored under.' },
      digest: { ...string, description: 'Read only: the SHA-256 of the content.' },
    },
    ['schema', 'id', 'pipeline'],
  ),
  PipelineTemplateList: { type: 'array', items: ref('PipelineTemplate') },
  PipelineTemplateVersions: { type: 'object', additionalProperties: { type: 'array', items: ref('PipelineTemplate') } },
  TemplatedPipeline: object(
    {
      schema: { const: 'v2' },
      type: { const: 'templatedPipeline' },
      application: string,
      name: string,
      id: string,
      template: object({ artifactAccount: { const: 'front50ArtifactCredentials' }, type: { const: 'front50/pipelineTemplate' }, reference: { ...string, description: '`spinnaker://<id>`, `spinnaker://<id>:<tag>` or `spinnaker://<id>@sha256:<digest>`.' } }, ['reference']),
      variables: { type: 'object' },
      exclude: { type: 'array', items: { enum: ['triggers', 'parameters', 'notifications'] } },
      stages: { type: 'array', description: 'Stages replacing the template stage of the same refId, or added (with requisiteStageRefIds or an `inject` rule: first, last, before, after).' },
      triggers: { type: 'array' },
      parameters: { type: 'array' },
      notifications: { type: 'array' },
    },
    ['schema', 'application', 'template'],
  ),
  CanaryReport: { type: 'string', contentMediaType: 'text/html', description: 'A complete HTML5 document.' },
  RollbackRequest: object({ account: string, regions: strings, reason: string }),
  Account: object(
    {
      name: string,
      type: { ...string, description: 'The cloud provider: local, aws, ecs, gce or kubernetes.' },
      cloudProvider: string,
      accountType: string,
      environment: string,
      regions: { type: 'array', items: object({ name: string }, ['name']) },
      accountId: string,
      assumeRole: string,
      providerVersion: string,
      primaryAccount: { type: 'boolean' },
      challengeDestructiveActions: { type: 'boolean' },
      requiredGroupMembership: strings,
      permissions: { type: 'object' },
      authorized: { type: 'boolean' },
    },
    ['name', 'type', 'cloudProvider', 'accountType', 'environment', 'regions'],
  ),
  AccountList: { type: 'array', items: ref('Account') },
  Cluster: object(
    {
      name: { ...string, description: "Clouddriver's Cluster: the cluster name." },
      accountName: string,
      type: { ...string, description: 'The cloud provider.' },
      moniker: ref('Moniker'),
      serverGroups: { type: 'array', items: ref('ServerGroup'), description: 'Every server group of every region described.' },
      loadBalancers: { type: 'array', items: object({ name: string, account: string, type: string }, ['name']) },
      application: string,
      account: string,
      cluster: string,
      regions: {
        type: 'array',
        items: object({ location: string, endpoint: string, serverGroups: { type: 'array', description: 'Oldest first: name, createdTime, capacity, disabled, trafficWeight, artifact, instances (id, health, address).' } }, ['location', 'serverGroups']),
      },
    },
    ['name', 'accountName', 'type', 'moniker', 'serverGroups', 'loadBalancers', 'application', 'account', 'cluster', 'regions'],
  ),
  ClusterNames: { type: 'object', additionalProperties: strings, description: 'Account name → the names of its clusters (Gate\'s `GET /applications/{app}/clusters`).' },
  ClusterSummaryList: { type: 'array', items: object({ name: string, account: string, moniker: ref('Moniker'), loadBalancers: strings, serverGroups: strings }, ['name', 'account', 'moniker', 'loadBalancers', 'serverGroups'], false) },
  Moniker: object({ app: string, cluster: string, stack: string, detail: string, sequence: { type: 'integer' } }, ['app', 'cluster']),
  Capacity: object({ min: { type: 'integer' }, max: { type: 'integer' }, desired: { type: 'integer' }, pinned: { type: 'boolean' } }, ['min', 'max', 'desired']),
  InstanceCounts: object(
    { total: { type: 'integer' }, up: { type: 'integer' }, down: { type: 'integer' }, unknown: { type: 'integer' }, outOfService: { type: 'integer' }, starting: { type: 'integer' } },
    ['total', 'up', 'down', 'unknown', 'outOfService', 'starting'],
    false,
  ),
  Instance: object(
    {
      id: string,
      name: string,
      healthState: { enum: ['Up', 'Down', 'Unknown', 'Starting', 'OutOfService'] },
      health: { type: 'array', items: object({ type: string, state: string }, ['type', 'state']) },
      launchTime: { type: 'integer' },
      availabilityZone: string,
    },
    ['id', 'name', 'healthState', 'health'],
  ),
  ServerGroup: object(
    {
      name: string,
      type: string,
      cloudProvider: string,
      account: string,
      region: string,
      cluster: string,
      application: { type: ['string', 'null'], description: 'Summaries and expanded entries only.' },
      accountName: { ...string, description: 'Expanded entries only.' },
      moniker: ref('Moniker'),
      isDisabled: { type: 'boolean' },
      createdTime: { type: 'integer' },
      capacity: ref('Capacity'),
      instances: { type: 'array', items: ref('Instance') },
      instanceCounts: ref('InstanceCounts'),
      loadBalancers: strings,
      targetGroups: strings,
      securityGroups: strings,
      instanceType: string,
      launchConfig: { type: 'object', description: 'The provider settings the target keeps (omitted from summaries).' },
      image: { type: 'object', description: 'imageId, name, artifact: what it runs (omitted from summaries).' },
      buildInfo: { type: 'object', description: 'package_name, version, images, artifact.' },
      tags: { type: 'object' },
      labels: { type: 'object' },
    },
    ['name', 'type', 'cloudProvider', 'account', 'region', 'cluster', 'moniker', 'isDisabled', 'createdTime', 'capacity', 'instances', 'instanceCounts', 'loadBalancers', 'buildInfo'],
  ),
  ServerGroupList: { type: 'array', items: ref('ServerGroup') },
  DeletedExecution: object({ deleted: { const: true }, id: string }, ['deleted', 'id'], false),
  DeletedPipelineConfig: object({ deleted: { type: 'boolean' }, application: string, name: string, id: { ...string, description: 'Present when something was deleted.' } }, ['deleted', 'application', 'name'], false),
  StagePatch: {
    oneOf: [
      object({ judgmentStatus: { enum: ['continue', 'stop'] }, judgmentInput: string }, ['judgmentStatus'], false),
      object({ skipRemainingWait: { const: true } }, ['skipRemainingWait'], false),
    ],
  },
  ExpressionRequest: object({ expression: { ...string, description: 'A template such as `${trigger.user}`.' } }, ['expression']),
  VariableList: { type: 'array', items: object({ key: string, value: { description: 'Text with templates, or any JSON value (its strings are evaluated).' } }, ['key']) },
  ExpressionEvaluation: object(
    {
      result: { description: 'The value; the text as given where an expression failed.' },
      detail: {
        type: 'object',
        description: "Orca's expressionEvaluationSummary: the expression without its `${ }` → why it failed.",
        additionalProperties: {
          type: 'array',
          items: object({ description: string, exceptionType: string, level: { enum: ['ERROR', 'INFO'] }, timestamp: { type: 'integer' } }, ['description', 'level', 'timestamp']),
        },
      },
    },
    ['result'],
  ),
  WebhookPayload: { type: 'object' },
  ApplicationNotifications: {
    type: 'object',
    description: 'Front50\'s ApplicationNotifications: a list of preferences per type; a preference without `type` takes the key it is listed under.',
    properties: { application: string, lastModified: { type: 'integer' }, lastModifiedBy: string },
    additionalProperties: {
      type: 'array',
      items: object({ address: string, cc: string, when: strings, message: { type: 'object' }, customMessage: string, customSubject: string, customBody: string }),
    },
  },
  NotificationTypeMetadataList: {
    type: 'array',
    items: object(
      {
        notificationType: { enum: [...NOTIFICATION_TYPES] },
        uiType: { const: 'BASIC' },
        parameters: {
          type: 'array',
          items: object({ name: string, label: string, type: { enum: ['string', 'number', 'list', 'object'] }, description: string, defaultValue: { type: ['string', 'null'] }, required: { type: 'boolean' } }, ['name', 'label', 'type', 'description', 'defaultValue', 'required'], false),
        },
        events: strings,
      },
      ['notificationType', 'uiType', 'parameters', 'events'],
      false,
    ),
  },
  PreconfiguredWebhookList: {
    type: 'array',
    items: object(
      {
        type: { type: 'string', description: 'The stage type a pipeline names to use it.' },
        label: string,
        description: string,
        waitForCompletion: { type: 'boolean' },
        preconfiguredProperties: { type: 'array', items: string, description: 'The webhook stage fields it fixes.' },
        noUserConfigurableFields: { type: 'boolean' },
        parameters: { type: 'array', items: object({ name: string, label: string, description: string, type: string, defaultValue: string }, ['name']) },
      },
      ['type', 'label', 'parameters'],
    ),
  },
  AuditEntryList: {
    type: 'array',
    items: object(
      {
        time: { type: 'integer', description: 'Epoch milliseconds.' },
        timeIso: string,
        user: string,
        admin: { type: 'boolean' },
        roles: { type: 'array', items: string },
        source: string,
        action: string,
        application: string,
        target: string,
        result: string,
        detail: string,
      },
      ['time', 'user', 'action', 'result'],
    ),
  },
  WebhookResult: object(
    {
      eventProcessed: { type: 'boolean' },
      eventId: string,
      executions: { type: 'array', items: object({ application: string, pipelineConfigId: string, pipelineName: string, executionId: string, ref: string, duplicate: { type: 'boolean' }, error: string }) },
      ignored: string,
    },
    ['eventProcessed', 'eventId'],
  ),
};

const SECURITY_TEXT = [
  'Authentication: locally, every route but /health, /openapi.json and the webhooks needs',
  '`Authorization: Bearer <token>` with the token `gennaker up` wrote to `.gennaker/token`. On AWS',
  'the API uses IAM (SigV4). Webhooks are authenticated by their signature instead, so GitHub',
  'and others can call them: `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the',
  "trigger's `secret`), `X-Hub-Signature` (sha1), or `X-Gitlab-Token`. A trigger with a secret",
  'fires only on a request whose signature verifies with it; a trigger without one refuses signed',
  'requests, and fires on unsigned requests only when they carry the bearer token (or IAM identity).',
  "Authorization: Fiat's model. An application's `permissions` give roles READ, WRITE and EXECUTE;",
  'an application without permissions is open to every authenticated caller; admins may do',
  'everything. A caller without the permission a route needs gets 403 with one line naming the',
  'permission, the application and the roles that hold it.',
].join(' ');

/** What every route with a caller may answer when the caller lacks the permission it needs. */
const FORBIDDEN = { description: "The caller lacks the permission (READ, WRITE, EXECUTE on the application, or admin); the message names it, the application and the roles that hold it.", schema: 'Error' } as const;

function operation(route: RouteDeclaration): Record<string, unknown> {
  const declared = route.auth === 'caller' && route.responses['403'] === undefined ? { ...route.responses, '403': FORBIDDEN } : route.responses;
  const responses = Object.fromEntries(
    Object.entries(declared).map(([status, answer]) => [
      status,
      typeof answer === 'string' ? { description: answer } : { description: answer.description, content: { [answer.mediaType ?? 'application/json']: { schema: ref(answer.schema) } } },
    ]),
  );
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    security: route.auth === 'caller' ? [{ bearer: [] }] : route.auth === 'webhook' ? [{ bearer: [] }, { webhookSignature: [] }, { gitlabToken: [] }] : [],
    ...(route.parameters ? { parameters: route.parameters.map((parameter) => ({ ...parameter, schema: parameter.schema ?? { type: 'string' } })) } : {}),
    ...(route.body ? { requestBody: { required: true, description: route.body.description, content: { 'application/json': { schema: ref(route.body.schema) } } } } : {}),
    responses,
  };
}

/** The OpenAPI document for `routes` (every route of the app by default). */
export function buildOpenApiDocument(routes: readonly RouteDeclaration[] = ROUTES): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] = { ...(paths[route.path] ?? {}), [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Gennaker API', version: '0.1.0', description: `Spinnaker's Gate-style API for Gennaker. ${SECURITY_TEXT}` },
    paths,
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Local mode: the token of .gennaker/token. On AWS: IAM (SigV4) instead.' },
        webhookSignature: { type: 'apiKey', in: 'header', name: 'X-Hub-Signature-256', description: "`sha256=` + hex HMAC-SHA256 of the raw body with the trigger's secret." },
        gitlabToken: { type: 'apiKey', in: 'header', name: 'X-Gitlab-Token', description: "The trigger's secret itself (GitLab)." },
      },
    },
  };
}

/** A route as the HTTP framework registered it: `GET` and a Hono path (`/pipelines/:id`). */
export interface RegisteredRoute {
  readonly method: string;
  readonly path: string;
}

/**
 * How the routes an app registered and the operations a document describes differ: `undocumented`
 * are served but not described, `unrouted` are described but not served. Both empty: they match.
 */
export function routeCoverage(registered: readonly RegisteredRoute[], document: Record<string, unknown>): { undocumented: string[]; unrouted: string[] } {
  const paths = (document['paths'] ?? {}) as Record<string, Record<string, unknown>>;
  const documented = new Set(Object.entries(paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${toHonoPath(path)}`)));
  const served = new Set(registered.filter((route) => route.method !== 'ALL').map((route) => `${route.method.toUpperCase()} ${route.path}`));
  return { undocumented: [...served].filter((route) => !documented.has(route)).sort(), unrouted: [...documented].filter((route) => !served.has(route)).sort() };
}
