/**
 * Accounts as a user configures and meets them locally: an accounts file in the data directory
 * of `gennaker up` (the in-process server on a free port), read through the CLI
 * (`gennaker accounts list`) and the API, and enforced when a pipeline is saved
 * (`gennaker pipeline save`, `gennaker run`) or validated (`gennaker validate`) — one line naming the JSON
 * pointer, the unknown account, the known ones and the closest.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { createRecordingIoHost, type IoMessage } from '../../core/io-host.ts';
import { formatIssue } from '../../core/issues.ts';
import { startLocalServer, type LocalServer } from '../../local/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'gennaker-accounts-'));
const ACCOUNTS = {
  accounts: [
    { name: 'staging', cloudProvider: 'local', environment: 'test' },
    { name: 'prod', cloudProvider: 'aws', regions: ['us-east-1'], assumeRole: 'arn:aws:iam::210987654321:role/gennaker-deploy' },
  ],
};
let server: LocalServer;

/** A pipeline deploying to `account`, written to a file of the scratch directory. */
function pipelineFile(name: string, account: string): string {
  const file = join(dir, `${name}.json`);
  const cluster = { account, cloudProvider: 'local', application: 'hello', stack: 'prod', capacity: { min: 1, max: 1, desired: 1 }, artifact: { type: 'directory', reference: 'examples/service' } };
  writeFileSync(file, JSON.stringify({ application: 'hello', name, stages: [{ refId: '1', type: 'deploy', name: 'Deploy', clusters: [cluster] }] }));
  return file;
}

async function gennaker(...args: string[]): Promise<{ code: number; messages: readonly IoMessage[]; lines: string[] }> {
  const io = createRecordingIoHost();
  const code = await main(args, { io });
  const lines = io.messages.map((message) =>
    message.kind === 'validation-issue' ? `${message.source}#${formatIssue(message.issue)}` : 'text' in message ? message.text : 'message' in message ? message.message : JSON.stringify(message),
  );
  return { code, messages: io.messages, lines };
}

beforeAll(async () => {
  writeFileSync(join(dir, 'accounts.json'), JSON.stringify(ACCOUNTS));
  server = await startLocalServer({ dir, port: 0, cronTickMs: 60_000 });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('gennaker accounts list', () => {
  it('shows the built-in local account and those of the accounts file, as a table', async () => {
    const { code, lines } = await gennaker('accounts', 'list', '--endpoint', server.url, '--data', dir);
    expect(lines).toEqual([
      'NAME     TYPE   ENVIRONMENT  ACCOUNT TYPE  REGIONS',
      'local    local  local        local         local',
      'prod     aws    prod         prod          us-east-1',
      'staging  local  test         staging       local',
    ]);
    expect(code).toBe(0);
  });

  it("answers Gate's account list with --json", async () => {
    const { code, lines } = await gennaker('accounts', 'list', '--json', '--endpoint', server.url, '--data', dir);
    const accounts = JSON.parse(lines.join('\n')) as Array<Record<string, unknown>>;
    expect(accounts.map((account) => [account.name, account.type, account.cloudProvider])).toEqual([
      ['local', 'local', 'local'],
      ['prod', 'aws', 'aws'],
      ['staging', 'local', 'local'],
    ]);
    expect(accounts[1]).toMatchObject({ accountId: '210987654321', regions: [{ name: 'us-east-1' }], environment: 'prod', accountType: 'prod' });
    expect(code).toBe(0);
  });
});

describe('unknown accounts', () => {
  it('are refused by gennaker pipeline save, one line naming the pointer, the known accounts and the closest', async () => {
    const file = pipelineFile('Typo', 'stagin');
    const { code, lines } = await gennaker('pipeline', 'save', '-f', file, '--endpoint', server.url, '--data', dir);
    expect(lines).toContain(`${file}#/stages/0/clusters/0/account: account 'stagin' is not known (known accounts: local, prod, staging); did you mean 'staging'?`);
    expect(code).toBe(1);
    expect(await server.runtime.store.listPipelineConfigs('hello')).toEqual([]);
  });

  it('are reported by gennaker validate when the data directory has an accounts file, and not checked without one', async () => {
    const file = pipelineFile('Typo', 'porc');
    const checked = await gennaker('validate', file, '--data', dir);
    expect(checked.lines).toContain(`${file}#/stages/0/clusters/0/account: account 'porc' is not known (known accounts: local, prod, staging); did you mean 'prod'?`);
    expect(checked.code).toBe(1);

    const elsewhere = mkdtempSync(join(tmpdir(), 'gennaker-no-accounts-'));
    try {
      const unchecked = await gennaker('validate', file, '--data', elsewhere);
      expect(unchecked.code).toBe(0);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('are refused by gennaker run, which knows the accounts of its data directory', async () => {
    const file = pipelineFile('Typo', 'staigng');
    const { code, lines } = await gennaker('run', file, '--data', dir);
    expect(lines).toContain(`${file}#/stages/0/clusters/0/account: account 'staigng' is not known (known accounts: local, prod, staging); did you mean 'staging'?`);
    expect(code).toBe(1);
  });

  it('are answered 404 by the cluster route, while an account of the local cloud from the file has its clusters here', async () => {
    const headers = { authorization: `Bearer ${(await import('node:fs')).readFileSync(server.tokenPath, 'utf8').trim()}` };
    const staging = await fetch(`${server.url}/applications/hello/clusters/staging/hello-prod`, { headers });
    expect(staging.status).toBe(200);
    expect(((await staging.json()) as { regions: Array<{ serverGroups: unknown[] }> }).regions[0]!.serverGroups).toEqual([]);
    const unknown = await fetch(`${server.url}/applications/hello/clusters/stagng/hello-prod`, { headers });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toBe("account 'stagng' is not known (known accounts: local, prod, staging); did you mean 'staging'?");
  });
});

describe('a broken accounts file', () => {
  it('stops gennaker up and gennaker validate with one line per problem', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'gennaker-broken-accounts-'));
    try {
      writeFileSync(join(broken, 'accounts.json'), JSON.stringify({ accounts: [{ name: 'local', cloudProvider: 'local' }, { name: 'gce-prod', cloudProvider: 'gcp', regions: ['us-east1'] }] }));
      const file = join(broken, 'accounts.json');
      const expected = [
        `${file}#/accounts/0/name: the account 'local' is built in; give this account another name`,
        `${file}#/accounts/1/cloudProvider: cloudProvider is 'gcp'; use one of local, aws, ecs, gce, kubernetes`,
      ];
      await expect(startLocalServer({ dir: broken, port: 0, localTarget: false })).rejects.toThrow(expected.join('\n'));
      for (const command of ['validate', 'run']) {
        const refused = await gennaker(command, pipelineFile('Fine', 'local'), '--data', broken);
        expect(refused.lines).toEqual(expected);
        expect(refused.code).toBe(1);
      }
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
