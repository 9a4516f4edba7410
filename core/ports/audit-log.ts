/**
 * The audit log (DESIGN.md §8): one entry per mutating call — who, what, on which application,
 * when, from where, and how it ended. Locally an append-only 0600 file in the data directory
 * (local/audit-file.ts); on AWS one DynamoDB item per entry plus a structured CloudWatch log
 * line (adapters/dynamodb/audit-log.ts, functions/wiring.ts).
 */

/** One audited call. */
export interface AuditEntry {
  /** Epoch milliseconds. */
  readonly time: number;
  readonly user: string;
  readonly admin: boolean;
  readonly roles: readonly string[];
  /** Where the call came from: the client's address, or the edge that made it (`cli`, `trigger:cron`). */
  readonly source?: string;
  /** The command: `savePipeline`, `startPipeline`, `cancelExecution`, `user.add`... */
  readonly action: string;
  readonly application?: string;
  /** What the command acted on: a pipeline, an execution id, a stage, a user. */
  readonly target?: string;
  /** `ok`, or the refusal's reason (`forbidden`, `invalid`, `not-found`, `conflict`...). */
  readonly result: string;
  /** The refusal's message, or what an accepted call produced (an execution id). */
  readonly detail?: string;
}

/** Which entries a read returns. */
export interface AuditQuery {
  /** Only entries of this application (case-insensitive). */
  readonly application?: string;
  /** At most this many, newest first. @default 100 */
  readonly limit?: number;
}

/** Where audited calls are appended and read back. */
export interface AuditLog {
  /** Appends one entry; entries are never changed or removed through this port. */
  append(entry: AuditEntry): Promise<void>;
  /** Entries, newest first. */
  list(query?: AuditQuery): Promise<readonly AuditEntry[]>;
}

/** The fields of an entry that say who called: user, admin, roles and where from. */
export function auditedCaller(caller: { readonly user: string; readonly admin?: boolean; readonly roles: readonly string[]; readonly source?: string }): Pick<AuditEntry, 'user' | 'admin' | 'roles' | 'source'> {
  return { user: caller.user, admin: caller.admin === true, roles: [...caller.roles], ...(caller.source !== undefined ? { source: caller.source } : {}) };
}
