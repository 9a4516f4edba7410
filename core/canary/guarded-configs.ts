/**
 * Saved canary configs behind access checks and the audit log (the API's `/v2/canaryConfig`).
 * A config belongs to the applications it lists (Kayenta's `applications`): saving one needs
 * WRITE on each application it lists now and on each the saved revision lists; reading one
 * needs READ on one of them. A config that lists no application is shared: every caller may read
 * and save it, as in Kayenta.
 */
import { createAccessControl, type Refusal } from '../authz/access.ts';
import type { Caller } from '../execution/execution-service-api.ts';
import { auditedCaller, type AuditLog } from '../ports/audit-log.ts';
import type { CanaryConfigStore, CanaryConfigSummary, SaveCanaryConfigOptions, SaveCanaryConfigResult, StoredCanaryConfig } from '../ports/canary-config-store.ts';
import { canaryConfigApplications } from '../ports/canary-config-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { ApplicationStore } from '../ports/execution-store.ts';

/** Canary config commands and reads with their access checks. */
export interface GuardedCanaryConfigs {
  save(caller: Caller, id: string, config: Readonly<Record<string, unknown>>, options?: SaveCanaryConfigOptions): Promise<SaveCanaryConfigResult | Refusal>;
  /** The config, undefined when there is none, or why the caller may not read it. */
  get(caller: Caller, id: string): Promise<{ readonly ok: true; readonly value: StoredCanaryConfig | undefined } | Refusal>;
  /** The configs the caller may read. */
  list(caller: Caller): Promise<CanaryConfigSummary[]>;
}

/** The store, the applications that decide access, and the audit log. */
export interface GuardedCanaryConfigsDeps {
  readonly configs: CanaryConfigStore;
  readonly store: Pick<ApplicationStore, 'getApplication'>;
  readonly clock: Clock;
  readonly audit?: AuditLog;
  readonly onAuditError?: (error: unknown) => void;
}

/** Creates the guarded canary config commands. */
export function createGuardedCanaryConfigs(deps: GuardedCanaryConfigsDeps): GuardedCanaryConfigs {
  const access = createAccessControl({ store: deps.store });

  const mayRead = async (caller: Caller, applications: readonly string[]): Promise<Refusal | undefined> => {
    let first: Refusal | undefined;
    for (const application of applications) {
      const denied = await access.check(caller, 'READ', application);
      if (denied === undefined) return undefined;
      first ??= denied;
    }
    return first;
  };

  const audit = async (caller: Caller, id: string, applications: readonly string[], result: string, detail?: string): Promise<void> => {
    if (!deps.audit) return;
    try {
      await deps.audit.append({
        time: deps.clock.now(),
        ...auditedCaller(caller),
        action: 'saveCanaryConfig',
        ...(applications[0] !== undefined ? { application: applications[0] } : {}),
        target: id,
        result,
        ...(detail !== undefined ? { detail } : {}),
      });
    } catch (error) {
      deps.onAuditError?.(error);
    }
  };

  return {
    async save(caller, id, config, options = {}) {
      const current = await deps.configs.get(id);
      const applications = [...new Set([...canaryConfigApplications(config), ...(current?.applications ?? [])])];
      for (const application of applications) {
        const denied = await access.check(caller, 'WRITE', application);
        if (denied) {
          await audit(caller, id, applications, denied.reason, denied.message);
          return denied;
        }
      }
      const saved = await deps.configs.save(id, config, options);
      await audit(caller, id, applications, saved.ok ? 'ok' : saved.reason, saved.ok ? `revision ${saved.revision}` : saved.message);
      return saved;
    },

    async get(caller, id) {
      const stored = await deps.configs.get(id);
      if (stored === undefined || stored.applications.length === 0) return { ok: true, value: stored };
      return (await mayRead(caller, stored.applications)) ?? { ok: true, value: stored };
    },

    async list(caller) {
      const all = await deps.configs.list();
      const readable: CanaryConfigSummary[] = [];
      for (const summary of all) {
        if (summary.applications.length === 0 || (await mayRead(caller, summary.applications)) === undefined) readable.push(summary);
      }
      return readable;
    },
  };
}
