/**
 * The OpenAPI document matches the API exactly: every route the app serves is described, with
 * its method, and every described operation is served; every schema a route names exists; every
 * path parameter of a template is declared. The app is built as the server builds it; nothing
 * here answers a request, so its ports are never called (calling one fails the test).
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createBearerAuthenticator } from '../../../adapters/crypto/bearer-authenticator.ts';
import type { ExecutionService } from '../../../core/execution/execution-service-api.ts';
import type { ExecutionStore } from '../../../core/ports/execution-store.ts';
import { createApiApp } from '../../../functions/api/app.ts';
import { buildOpenApiDocument, routeCoverage } from '../../../functions/api/openapi.ts';
import { ROUTES } from '../../../functions/api/routes.ts';

/** A port that must not be used while the app is only built. */
function untouched<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_target, property) => {
      throw new Error(`building the app called ${name}.${String(property)}`);
    },
  });
}

const app = createApiApp({
  service: untouched<ExecutionService>('service'),
  store: untouched<ExecutionStore>('store'),
  auth: createBearerAuthenticator({ token: 'unused-token-0123456789' }),
  clock: { now: () => 0 },
});
const document = buildOpenApiDocument();
const paths = document['paths'] as Record<string, Record<string, { parameters?: Array<{ name: string; in: string }>; operationId: string }>>;

describe('an API without deploy targets (no deploy accounts configured)', () => {
  it('answers the cluster and server-group routes 404 with the reason, asking no cloud', async () => {
    const answer = await app.request('/serverGroups?applications=shop', { headers: { authorization: 'Bearer unused-token-0123456789' } });

    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({ error: 'this API has no deploy accounts, so it has no cluster to describe; configure them (CDK context accounts on AWS, .gennaker/accounts.json with gennaker up)' });
  });
});

describe('the OpenAPI document', () => {
  it('describes every route the app serves, and serves every route it describes', () => {
    const coverage = routeCoverage(app.routes, document);

    expect(coverage).toEqual({ undocumented: [], unrouted: [] });
    // The Gate routes scripts use are among them.
    for (const route of [
      'DELETE /pipelines/{application}/{pipelineNameOrId}',
      'GET /pipelines',
      'GET /executions',
      'GET /applications/{application}/serverGroups',
      'GET /applications/{application}/serverGroups/{account}/{region}/{serverGroup}',
      'GET /applications/{application}/clusters',
      'GET /applications/{application}/clusters/{account}/{cluster}',
      'GET /applications/{application}/clusters/{account}/{cluster}/serverGroups',
    ]) {
      const [method, path] = route.split(' ') as [string, string];
      expect(paths[path]?.[method.toLowerCase()], route).toBeDefined();
    }
  });

  it('tells a route served but not described, and one described but not served', () => {
    // given: an app with one route of its own beside the document's
    const extra = new Hono();
    extra.get('/applications/:application/loadBalancers', (c) => c.json([]));
    extra.get('/health', (c) => c.json({ status: 'ok' }));

    // when
    const coverage = routeCoverage(extra.routes, buildOpenApiDocument(ROUTES.filter((route) => route.operationId === 'health' || route.operationId === 'openapi')));

    // then
    expect(coverage).toEqual({ undocumented: ['GET /applications/:application/loadBalancers'], unrouted: ['GET /openapi.json'] });
  });

  it('names only schemas it defines, and declares every parameter of each path template', () => {
    const schemas = document['components'] as { schemas: Record<string, unknown> };
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((match) => match[1]!);
    expect(refs.length).toBeGreaterThan(ROUTES.length);
    expect([...new Set(refs)].filter((name) => !(name in schemas.schemas))).toEqual([]);

    const problems: string[] = [];
    const operationIds = new Set<string>();
    for (const [path, operations] of Object.entries(paths)) {
      const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!).sort();
      for (const [method, operation] of Object.entries(operations)) {
        const declared = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name).sort();
        if (JSON.stringify(declared) !== JSON.stringify(inTemplate)) problems.push(`${method.toUpperCase()} ${path}: path parameters ${declared.join(',')} but the template has ${inTemplate.join(',')}`);
        if (operationIds.has(operation.operationId)) problems.push(`${method.toUpperCase()} ${path}: operationId ${operation.operationId} is used twice`);
        operationIds.add(operation.operationId);
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives every operation a success answer with a schema', () => {
    const withoutSchema = Object.entries(paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) => {
        const answers = Object.entries((operation as unknown as { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }).responses);
        const success = answers.filter(([status]) => status.startsWith('2'));
        return success.length > 0 && success.every(([, answer]) => Object.values(answer.content ?? {}).some((media) => media.schema !== undefined)) ? [] : [`${method.toUpperCase()} ${path}`];
      }),
    );
    expect(withoutSchema).toEqual([]);
  });

  it('gives the main routes request and response schemas', () => {
    const operation = (method: string, path: string) => paths[path]![method] as unknown as { requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
    const schemaOf = (answer: { content?: Record<string, { schema: unknown }> } | undefined) => answer?.content?.['application/json']?.schema;

    expect(operation('post', '/pipelines').requestBody?.content['application/json']?.schema).toEqual({ $ref: '#/components/schemas/PipelineConfig' });
    expect(schemaOf(operation('post', '/pipelines').responses['200'])).toEqual({ $ref: '#/components/schemas/SavedPipelineConfig' });
    expect(schemaOf(operation('get', '/pipelines/{id}').responses['200'])).toEqual({ $ref: '#/components/schemas/Execution' });
    expect(schemaOf(operation('get', '/pipelines').responses['200'])).toEqual({ $ref: '#/components/schemas/ExecutionList' });
    expect(schemaOf(operation('delete', '/pipelines/{application}/{pipelineNameOrId}').responses['200'])).toEqual({ $ref: '#/components/schemas/DeletedPipelineConfig' });
    expect(schemaOf(operation('get', '/applications/{application}/serverGroups').responses['200'])).toEqual({ $ref: '#/components/schemas/ServerGroupList' });
    expect(schemaOf(operation('get', '/applications/{application}/clusters').responses['200'])).toEqual({ $ref: '#/components/schemas/ClusterNames' });
    expect(schemaOf(operation('get', '/applications/{application}/clusters/{account}/{cluster}').responses['200'])).toEqual({ $ref: '#/components/schemas/Cluster' });
  });
});
