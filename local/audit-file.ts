/**
 * The local audit log: `<dir>/audit.log`, one JSON object per line, mode 0600, only ever opened
 * for appending (O_APPEND: each line lands whole at the end, even with two writers). Nothing in
 * Gennaker rewrites or truncates it; rotating it is the operator's choice.
 */
import { chmod, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEntry, AuditLog } from '../core/ports/audit-log.ts';

/** The file of the state directory that keeps the audit log. */
export const AUDIT_FILE = 'audit.log';

/** The most entries one read returns. */
const MAX_LIST = 1000;

function isEntry(value: unknown): value is AuditEntry {
  if (value === null || typeof value !== 'object') return false;
  const entry = value as Record<string, unknown>;
  return typeof entry.time === 'number' && typeof entry.user === 'string' && typeof entry.action === 'string' && typeof entry.result === 'string';
}

/** The audit log of a state directory. */
export function createAuditFile(dir: string): AuditLog {
  const path = join(dir, AUDIT_FILE);
  let checkedMode = false;
  return {
    async append(entry) {
      const line = `${JSON.stringify(entry)}\n`;
      const handle = await open(path, 'a', 0o600);
      try {
        if (!checkedMode) {
          // A file created by someone else (or copied) may be readable by others: the log names users and addresses.
          if (((await handle.stat()).mode & 0o077) !== 0) await chmod(path, 0o600);
          checkedMode = true;
        }
        await handle.write(line);
      } finally {
        await handle.close();
      }
    },

    async list(query = {}) {
      const exists = await stat(path).then(
        () => true,
        () => false,
      );
      if (!exists) return [];
      const limit = Math.min(Math.max(1, query.limit ?? 100), MAX_LIST);
      const application = query.application?.toLowerCase();
      const entries: AuditEntry[] = [];
      const lines = (await readFile(path, 'utf8')).split('\n');
      for (let index = lines.length - 1; index >= 0 && entries.length < limit; index--) {
        const line = lines[index]!.trim();
        if (line === '') continue;
        let entry: unknown;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (!isEntry(entry)) continue;
        if (application !== undefined && entry.application?.toLowerCase() !== application) continue;
        entries.push(entry);
      }
      return entries;
    },
  };
}
