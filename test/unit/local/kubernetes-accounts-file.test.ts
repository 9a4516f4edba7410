/**
 * Local mode's accounts file with Kubernetes accounts (local/accounts.ts): the connection fields
 * reach the account, and a bad one stops the start with the Kubernetes adapter's line naming it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ACCOUNTS_FILE, loadAccountsFile } from '../../../local/accounts.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function withFile(accounts: unknown[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gennaker-k8s-accounts-'));
  dirs.push(dir);
  await writeFile(join(dir, ACCOUNTS_FILE), JSON.stringify({ accounts }));
  return dir;
}

it('loads a kubernetes account with its connection fields', async () => {
  const dir = await withFile([{ name: 'k8s', cloudProvider: 'kubernetes', kubeconfigFile: '/etc/kube/config', namespaces: ['web'] }]);
  expect(await loadAccountsFile(dir)).toMatchObject({ ok: true, accounts: [{ name: 'k8s', regions: ['web'], kubernetes: { kubeconfigFile: '/etc/kube/config', namespaces: ['web'] } }] });
});

it('refuses a kubernetes account whose fields the adapter cannot use, in one line naming the field', async () => {
  const dir = await withFile([{ name: 'k8s', cloudProvider: 'kubernetes', kubeconfigFile: '/etc/kube/config', namespaces: ['Web'] }]);
  expect(await loadAccountsFile(dir)).toEqual({ ok: false, message: `${join(dir, ACCOUNTS_FILE)}: kubernetes account 'k8s': namespaces[0] is "Web"; a namespace is lowercase letters, digits and "-" (at most 63), e.g. "prod"` });
});
