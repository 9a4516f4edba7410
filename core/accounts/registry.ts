/**
 * The account registry (core/ports/accounts.ts) over a fixed list: accounts are configuration,
 * read once by a composition root, so the registry is plain data with lookups.
 */
import type { Account, AccountRegistry } from '../ports/accounts.ts';

/** The account every local runtime has: this machine, in the region `local`. */
export const BUILT_IN_LOCAL_ACCOUNT: Account = { name: 'local', cloudProvider: 'local', accountType: 'local', environment: 'local', regions: ['local'] };

/** A registry of these accounts; a later account of the same name replaces an earlier one. */
export function createAccountRegistry(accounts: readonly Account[]): AccountRegistry {
  const byName = new Map<string, Account>();
  for (const account of accounts) byName.set(account.name, account);
  const sorted = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return {
    list: () => sorted,
    get: (name) => byName.get(name),
  };
}

/**
 * The closest known name to a mistyped one, for "did you mean": ignoring case, at most a third
 * of the name's characters edited (at least 2, and 1 for names of 3 characters or fewer, where
 * two edits reach unrelated names); undefined when nothing is that close.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const limit = name.length <= 3 ? 1 : Math.max(2, Math.floor(name.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/**
 * Edit distance with adjacent transpositions (optimal string alignment): insertions, deletions,
 * substitutions and swaps of two neighbours each cost 1, so 'prdo' is one edit from 'prod'.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}
