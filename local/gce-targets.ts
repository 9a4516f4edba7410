/**
 * Local mode's GCE accounts (`cloudProvider: gce` in the data directory's accounts file) served by
 * the GCE target, for `gennaker up` and `gennaker run`. The composition roots import this module
 * only when the file has such an account, so a run without one never loads the Google clients.
 *
 * Credentials: the account's `jsonPath` (a service account key file), else Application Default
 * Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, `gcloud auth application-default login`, the
 * metadata server). An `apiEndpoint` on this machine over http (a simulator) gets none.
 */
import { homedir } from 'node:os';
import { createGceClients, type GceClients } from '../adapters/targets/gce/clients.ts';
import { createGceTarget } from '../adapters/targets/gce/gce-target.ts';
import { createRegionalTarget } from '../adapters/targets/regional-target.ts';
import type { Account } from '../core/ports/accounts.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { Target, TargetLookup } from '../core/ports/target.ts';

/** The GCE accounts' targets, and the clients to close when the process ends. */
export interface LocalGceTargets {
  readonly lookup: TargetLookup;
  close(): Promise<void>;
}

/** The client options of one account: its endpoint, its project and how it signs in. */
async function clientsFor(account: Account): Promise<GceClients & { close(): Promise<void> }> {
  const settings = account.gce!;
  if (settings.apiEndpoint !== undefined) {
    const url = new URL(settings.apiEndpoint);
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
    const protocol = url.protocol.replace(':', '');
    // A simulator on this machine signs nothing; a private endpoint signs as Google's does.
    const auth = protocol === 'http' ? { authClient: new (await import('google-auth-library')).PassThroughClient() } : {};
    return createGceClients({ apiEndpoint: url.hostname.replace(/^\[|\]$/g, ''), port, protocol, projectId: settings.project, ...auth, ...keyFile(settings.jsonPath) });
  }
  return createGceClients({ projectId: settings.project, ...keyFile(settings.jsonPath) });
}

function keyFile(path: string | undefined): { keyFilename?: string } {
  if (path === undefined) return {};
  return { keyFilename: path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path };
}

/** Connects every `gce` account of `accounts` (others are ignored); nothing is called on GCE yet. */
export async function createLocalGceTargets(accounts: readonly Account[], options: { readonly clock: Clock }): Promise<LocalGceTargets> {
  const targets = new Map<string, Target>();
  const clients: Array<{ close(): Promise<void> }> = [];
  for (const account of accounts) {
    if (account.cloudProvider !== 'gce' || account.gce === undefined) continue;
    const made = await clientsFor(account);
    clients.push(made);
    const settings = account.gce;
    targets.set(
      account.name,
      createRegionalTarget({
        account: account.name,
        regions: account.regions,
        cloudProvider: 'gce',
        create: (region) =>
          createGceTarget({
            account: account.name,
            project: settings.project,
            region,
            clients: made,
            ...(settings.imageProjects ? { imageProjects: settings.imageProjects } : {}),
            ...(account.weightedTraffic ? { weightedTraffic: true } : {}),
            clock: options.clock,
          }),
      }),
    );
  }
  return {
    lookup: (key) => (key.cloudProvider === undefined || key.cloudProvider === 'gce' ? targets.get(key.account) : undefined),
    close: async () => {
      await Promise.all(clients.splice(0).map((made) => made.close()));
    },
  };
}
