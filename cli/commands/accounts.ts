/** `gennaker accounts list`: the accounts pipelines may deploy to, from the API (Gate's `GET /credentials`). */
import type { GateAccount } from '../../core/accounts/gate-shape.ts';
import { EXIT } from '../usage.ts';
import type { ApiCommandContext } from './api-commands.ts';

const COLUMNS = ['NAME', 'TYPE', 'ENVIRONMENT', 'ACCOUNT TYPE', 'REGIONS'] as const;

/** The accounts as a table: a header, then one aligned line per account. */
export function accountTable(accounts: readonly GateAccount[]): string[] {
  const rows = accounts.map((account) => [account.name, account.type, account.environment, account.accountType, account.regions.map((region) => region.name).join(',')]);
  const widths = COLUMNS.map((column, index) => Math.max(column.length, ...rows.map((row) => row[index]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd(widths[index]!))).join('  ');
  return [line(COLUMNS), ...rows.map(line)];
}

/** `gennaker accounts list [--json]`. */
export async function accountsList(context: ApiCommandContext): Promise<number> {
  const accounts = await context.client.request<GateAccount[]>('GET', '/credentials');
  if (context.json) context.io.emit({ kind: 'data', text: JSON.stringify(accounts, null, 2) });
  else for (const line of accountTable(accounts)) context.io.emit({ kind: 'data', text: line });
  return EXIT.ok;
}
