/**
 * Reads with access checks (Fiat's READ, core/authz/): what every edge that shows applications,
 * pipelines and executions asks, so no edge can forget the check. An application's listings and
 * documents need READ on it; the list of applications holds only those the caller may READ.
 * Executions come back with their secrets redacted (secrets.ts).
 */
import { createAccessControl, type Refusal } from '../authz/access.ts';
import type { AuditEntry, AuditLog, AuditQuery } from '../ports/audit-log.ts';
import type { Application, Execution, ExecutionStore, Permission, PipelineConfigVersion } from '../ports/execution-store.ts';
import type { Caller } from './execution-service-api.ts';
import { redactExecution } from './secrets.ts';
import { shownPipelineConfig } from './config-secrets.ts';

/** A pipeline version as readers see it: its triggers' secrets `******`. */
const shown = (version: PipelineConfigVersion): PipelineConfigVersion => ({ ...version, config: shownPipelineConfig(version.config) });
import type { ExecutionStatus } from './status.ts';

/** A read: the value (undefined when it does not exist), or why the caller may not see it. */
export type Read<T> = { readonly ok: true; readonly value: T | undefined } | Refusal;

/** The reads every edge offers, each with its access check. */
export interface ExecutionQueries {
  /** Every application the caller may READ, by name. */
  listApplications(caller: Caller): Promise<readonly Application[]>;
  getApplication(name: string, caller: Caller): Promise<Read<Application>>;
  /** Undefined when the caller may READ the application (existing or not); else why not. */
  checkRead(application: string, caller: Caller): Promise<Refusal | undefined>;
  /** Undefined when the caller holds `permission` on the application; else why not (for an edge that must refuse before it looks further). */
  checkPermission(application: string, permission: Permission, caller: Caller): Promise<Refusal | undefined>;
  /** The latest version of every pipeline config of the application. */
  listPipelineConfigs(application: string, caller: Caller): Promise<Read<readonly PipelineConfigVersion[]>>;
  /** The latest version of a pipeline, by id or by name within the application. */
  getPipelineConfig(application: string, nameOrId: string, caller: Caller): Promise<Read<PipelineConfigVersion>>;
  /** Every version of a pipeline, newest first (at most `limit`); undefined when there is no such pipeline. */
  listPipelineConfigVersions(application: string, nameOrId: string, limit: number, caller: Caller): Promise<Read<readonly PipelineConfigVersion[]>>;
  getExecution(id: string, caller: Caller): Promise<Read<Execution>>;
  /** The application's executions, newest first. */
  listExecutions(query: { readonly application: string; readonly statuses?: readonly ExecutionStatus[] }, limit: number, caller: Caller): Promise<Read<readonly Execution[]>>;
  /**
   * Orca's executions search (`GET /pipelines?pipelineConfigIds=`, Gate's `GET /executions`): the
   * newest `limit` executions of each pipeline config (with `statuses`, only those), or the
   * executions named by id; newest first. Executions of applications the caller may not READ are
   * left out, as Orca filters them, rather than refused.
   */
  searchExecutions(query: ExecutionSearch, caller: Caller): Promise<readonly Execution[]>;
  /** The audit log, newest first: admins only. */
  listAudit(query: AuditQuery, caller: Caller): Promise<Read<readonly AuditEntry[]>>;
}

/** An execution without its stages, trigger and parameters: enough to draw it as one run of its pipeline (`GET /applications/{application}/executionSummaries`). */
export interface ExecutionSummary {
  readonly id: string;
  readonly application: string;
  readonly pipelineConfigId: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly buildTime: number;
  readonly startTime?: number;
  readonly endTime?: number;
}

/** What `searchExecutions` looks for: pipeline config ids, or execution ids. */
export interface ExecutionSearch {
  readonly pipelineConfigIds?: readonly string[];
  readonly executionIds?: readonly string[];
  /** Per pipeline config. */
  readonly limit: number;
  readonly statuses?: readonly ExecutionStatus[];
}

/** What the reads read. */
export interface ExecutionQueriesDeps {
  readonly store: ExecutionStore;
  /** @default none: the audit log reads as empty */
  readonly audit?: AuditLog;
}

/** Creates the reads over a store. */
export function createExecutionQueries(deps: ExecutionQueriesDeps): ExecutionQueries {
  const { store } = deps;
  const access = createAccessControl({ store });
  const found = <T>(value: T | undefined): Read<T> => ({ ok: true, value });

  const latest = async (application: string, nameOrId: string): Promise<PipelineConfigVersion | undefined> => {
    const byId = await store.getPipelineConfig(nameOrId);
    if (byId !== undefined && byId.application.toLowerCase() === application.toLowerCase()) return byId;
    return store.getPipelineConfigByName(application, nameOrId);
  };

  return {
    async listApplications(caller) {
      const applications: Application[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listApplications(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
        applications.push(...page.items);
        cursor = page.cursor;
      } while (cursor !== undefined);
      return access.readable(caller, applications);
    },

    async getApplication(name, caller) {
      const application = await store.getApplication(name);
      if (application === undefined) return found<Application>(undefined);
      return (await access.check(caller, 'READ', application.name)) ?? found(application);
    },

    checkRead: (application, caller) => access.check(caller, 'READ', application),
    checkPermission: (application, permission, caller) => access.check(caller, permission, application),

    async listPipelineConfigs(application, caller) {
      return (await access.check(caller, 'READ', application)) ?? found((await store.listPipelineConfigs(application)).map(shown));
    },

    async getPipelineConfig(application, nameOrId, caller) {
      const denied = await access.check(caller, 'READ', application);
      if (denied) return denied;
      const version = await latest(application, nameOrId);
      return found(version === undefined ? undefined : shown(version));
    },

    async listPipelineConfigVersions(application, nameOrId, limit, caller) {
      const denied = await access.check(caller, 'READ', application);
      if (denied) return denied;
      const version = await latest(application, nameOrId);
      if (version === undefined) return found<readonly PipelineConfigVersion[]>(undefined);
      return found((await store.listPipelineConfigVersions(version.id, { limit })).items.map(shown));
    },

    async getExecution(id, caller) {
      const execution = await store.getExecution(id);
      if (execution === undefined) return found<Execution>(undefined);
      return (await access.check(caller, 'READ', execution.application)) ?? found(redactExecution(execution));
    },

    async listExecutions(query, limit, caller) {
      const denied = await access.check(caller, 'READ', query.application);
      if (denied) return denied;
      const page = await store.listExecutions(query.statuses === undefined ? { application: query.application } : { application: query.application, statuses: query.statuses }, { limit });
      const executions = await Promise.all(page.items.map((item) => store.getExecution(item.id)));
      return found(executions.filter((execution): execution is Execution => execution !== undefined).map(redactExecution));
    },

    async searchExecutions(query, caller) {
      const byConfig = await Promise.all(
        (query.pipelineConfigIds ?? []).map(async (pipelineConfigId) => {
          const page = await store.listExecutions(query.statuses === undefined ? { pipelineConfigId } : { pipelineConfigId, statuses: query.statuses }, { limit: query.limit });
          return page.items.map((item) => item.id);
        }),
      );
      const ids = [...new Set([...byConfig.flat(), ...(query.executionIds ?? [])])];
      const executions = (await Promise.all(ids.map((id) => store.getExecution(id)))).filter((execution): execution is Execution => execution !== undefined);
      // One decision per application, however many of its executions were found.
      const decisions = new Map<string, Promise<boolean>>();
      const readable = (application: string) => {
        const key = application.toLowerCase();
        if (!decisions.has(key)) decisions.set(key, access.check(caller, 'READ', application).then((denied) => denied === undefined));
        return decisions.get(key)!;
      };
      const allowed = await Promise.all(executions.map((execution) => readable(execution.application)));
      return executions
        .filter((_, index) => allowed[index])
        .sort((a, b) => b.buildTime - a.buildTime)
        .map(redactExecution);
    },

    async listAudit(query, caller) {
      const denied = access.requireAdmin(caller, 'read the audit log');
      if (denied) return denied;
      return found(deps.audit ? await deps.audit.list(query) : []);
    },
  };
}
