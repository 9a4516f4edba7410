/**
 * GCE accounts of the data directory's accounts file, served by the GCE target in local mode:
 * `gennaker run` connects each one (its project, its endpoint) and deploys through the real
 * `@google-cloud/compute` clients, here to the GCE simulator named by the account's
 * `apiEndpoint`; a wrong account field stops the run in one line naming it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingIoHost } from '../../core/io-host.ts';
import { main } from '../../cli/main.ts';
import { startGceSimulator, type GceSimulator } from '../../sandbox/gce/server.ts';

const PROJECT = 'web-prod-123';
let sim: GceSimulator;
let ticker: NodeJS.Timeout;
const dirs: string[] = [];

beforeAll(async () => {
  sim = await startGceSimulator({ seed: 9, operationMs: 1_000 });
  sim.seedNetwork(PROJECT, 'default', [{ region: 'us-central1', name: 'default' }]);
  sim.seedImage(PROJECT, { name: 'web-1-0-0' });
  // GCE's clock moves on its own while the run polls it: 5 simulated seconds every 20 ms.
  ticker = setInterval(() => sim.tick(5_000), 20);
});

afterAll(async () => {
  clearInterval(ticker);
  await sim?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(account: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gennaker-gce-accounts-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'accounts.json'), JSON.stringify({ accounts: [{ name: 'gce-prod', cloudProvider: 'gce', regions: ['us-central1'], ...account }] }));
  writeFileSync(
    join(dir, 'deploy.json'),
    JSON.stringify({
      application: 'web',
      name: 'deploy web',
      stages: [
        {
          refId: '1',
          type: 'deploy',
          name: 'Deploy',
          clusters: [{ account: 'gce-prod', cloudProvider: 'gce', application: 'web', stack: 'prod', region: 'us-central1', zone: 'us-central1-a', capacity: { min: 1, max: 1, desired: 1 }, instanceType: 'e2-small', image: 'web-1-0-0', network: 'default' }],
        },
      ],
    }),
  );
  return dir;
}

async function gennaker(...args: string[]) {
  const io = createRecordingIoHost();
  const code = await main(args, { io });
  return { code, errors: io.messages.filter((message) => message.kind === 'error').map((message) => (message as { message: string }).message) };
}

describe('gennaker run with a GCE account in the accounts file', () => {
  it("deploys a managed instance group into the account's project, through its endpoint", async () => {
    const dir = dataDir({ project: PROJECT, apiEndpoint: sim.endpoint });
    const run = await gennaker('run', join(dir, 'deploy.json'), '--data', dir);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    const groups = sim.describe().managedInstanceGroups.filter((mig) => mig.project === PROJECT);
    expect(groups.map((mig) => [mig.name, mig.location, mig.targetSize, mig.instances.map((instance) => instance.status)])).toEqual([['web-prod-v000', 'zones/us-central1-a', 1, ['RUNNING']]]);
    expect(sim.describe().templates.filter((template) => template.project === PROJECT).map((template) => template.image?.split('/').at(-1))).toEqual(['web-1-0-0']);
  }, 60_000);

  it('refuses to start with an account whose project is not a project id, naming the field', async () => {
    const dir = dataDir({ project: 'Web Prod', apiEndpoint: sim.endpoint });
    const before = sim.calls().length;
    const run = await gennaker('run', join(dir, 'deploy.json'), '--data', dir);
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toContain(`/accounts/0/project: project is 'Web Prod', not a Google Cloud project id`);
    expect(sim.calls().length).toBe(before);
  });
});
