/**
 * Local mode's accounts: the built-in `local` account plus those of `<data directory>/accounts.json`
 * when the file exists (its format: core/accounts/accounts-file.ts and the README's "Accounts"),
 * and the artifact accounts of its `artifactAccounts` (core/accounts/artifact-accounts-file.ts).
 * Read once at start; a broken file stops the start with one line per problem.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseKubernetesAccount } from '../adapters/targets/kubernetes/config.ts';
import { parseAccountsFile } from '../core/accounts/accounts-file.ts';
import { parseArtifactAccounts, type S3ArtifactAccountConfig } from '../core/accounts/artifact-accounts-file.ts';
import { formatIssue } from '../core/issues.ts';
import type { Account } from '../core/ports/accounts.ts';

/** The accounts file's name inside the data directory. */
export const ACCOUNTS_FILE = 'accounts.json';

export type LoadedAccounts =
  | { readonly ok: true; readonly accounts: readonly Account[]; readonly artifactAccounts: readonly S3ArtifactAccountConfig[]; readonly file?: string }
  | { readonly ok: false; readonly message: string };

/** The accounts of `<dir>/accounts.json` (none when the file does not exist), or why the file cannot be used. */
export async function loadAccountsFile(dir: string): Promise<LoadedAccounts> {
  const file = join(dir, ACCOUNTS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, accounts: [], artifactAccounts: [] };
    return { ok: false, message: `${file}: cannot be read (${(error as Error).message})` };
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `${file}: not JSON (${(error as Error).message}); see "Accounts" in the README for its format` };
  }
  const record = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : undefined;
  // A file of artifact accounts alone needs no empty deploy-account list.
  const parsed = parseAccountsFile(record && record['accounts'] === undefined && record['artifactAccounts'] !== undefined ? { ...record, accounts: [] } : input);
  const artifacts = parseArtifactAccounts(record?.['artifactAccounts']);
  const issues = [...parsed.issues, ...artifacts.issues];
  if (issues.length > 0) return { ok: false, message: issues.map((issue) => `${file}#${formatIssue(issue)}`).join('\n') };
  // A Kubernetes account's connection fields are the Kubernetes adapter's to check.
  const kubernetes = parsed.accounts.flatMap((account) => {
    if (account.cloudProvider !== 'kubernetes') return [];
    const checked = parseKubernetesAccount(account.name, account.kubernetes ?? {});
    return checked.ok ? [] : [`${file}: ${checked.message}`];
  });
  if (kubernetes.length > 0) return { ok: false, message: kubernetes.join('\n') };
  return { ok: true, accounts: parsed.accounts, artifactAccounts: artifacts.accounts, file };
}
