/**
 * Every finding of the attack probe against `gennaker up` and the synthesized stack, and the
 * tests that replay it and show it held. This file reads those test files and checks that each
 * named test is there, so a replay cannot be renamed away or deleted without this failing.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** A test that replays a finding: its file, and its title as written (an `it.each` title with its %s). */
type Replay = readonly [file: string, title: string];

const FINDINGS: ReadonlyArray<{ readonly finding: string; readonly replays: readonly Replay[] }> = [
  {
    finding: 'the embedded DynamoDB listened on 127.0.0.1 without authentication and with CORS: any local process or web page could rewrite a saved runJob command',
    replays: [
      ['test/integration/dynalite-in-process.test.ts', 'opens no listening socket, in memory or on disk'],
      ['test/e2e/local-exposure.test.ts', 'listens on nothing but the API, the load balancers and the instances; no DynamoDB, no CORS; state 0700/0600'],
      ['test/integration/cluster-api.test.ts', 'serves load balancer metrics to the API token only'],
    ],
  },
  {
    finding: "application permissions were never checked: a caller without the roles read, overwrote, started, canceled and granted itself WRITE",
    replays: [
      ['test/integration/authz.test.ts', 'refuses to show an application, its pipelines and executions to a caller without READ, and leaves it out of the list'],
      ['test/integration/authz.test.ts', 'refuses to overwrite a pipeline without WRITE, also under its id from another application, and saves nothing'],
      ['test/integration/authz.test.ts', 'refuses to start, cancel, judge, skip or restart without EXECUTE, and changes nothing'],
      ['test/integration/authz.test.ts', 'refuses a change of permissions without WRITE under the current ones (no granting oneself WRITE)'],
    ],
  },
  {
    finding: 'every IAM caller on AWS was an admin',
    replays: [['test/integration/aws-authz.test.ts', 'no longer makes every IAM caller an admin: an unmapped role session has only its role name']],
  },
  {
    finding: 'anyone with the token ran shell commands, deployed /etc into the artifact store and read the API token into outputs with propertyFile ../../token',
    replays: [
      ['test/integration/powers.test.ts', 'refuses a local runJob at save to a user without a power role, naming the field; a power role runs it'],
      ['test/integration/powers.test.ts', 'refuses to deploy or bake a directory outside the roots, even for an admin and through a link, and copies nothing'],
      ['test/integration/powers.test.ts', 'refuses propertyFile ../../token at save, naming the field'],
    ],
  },
  {
    finding: 'secrets in history and on disk: header values under non-secret names, URL access_token, payload fields, trigger parameters, runJob env (also in 0644 job spec files)',
    replays: [
      ['test/integration/secrets.test.ts', 'shows secret parameters, #secret values and job environments as ****** everywhere, stores none of them, while the jobs get the real values'],
      ['test/integration/secrets.test.ts', 'sends secret headers, URL credentials and #secret values to a webhook, polls its signed status URL, and stores none of them'],
      ['test/integration/secrets.test.ts', 'hides a URL credential quoted by a failure message'],
      ['test/integration/aws-secrets.test.ts', 'gives the stage both values, and stores and shows neither'],
    ],
  },
  {
    finding: 'the state directory was 0755 with 0644 data files holding trigger secrets',
    replays: [
      ['test/e2e/local-exposure.test.ts', 'listens on nothing but the API, the load balancers and the instances; no DynamoDB, no CORS; state 0700/0600'],
      ['test/unit/local/private-files.test.ts', 'creates a missing state directory 0700 and tightens an existing 0755 one'],
      ['test/integration/api.test.ts', 'stores a trigger secret sealed, shows it as ******, and keeps it when the pipeline is saved back with ******'],
    ],
  },
  {
    finding: '16 parallel unauthenticated 100 MB webhook bodies with a junk signature took the server to 4.42 GB',
    replays: [
      ['test/integration/api-bounded-input.test.ts', 'stays small under 16 parallel unauthenticated 100 MB webhook bodies with a junk signature: each stopped at the limit'],
      ['test/integration/api-bounded-input.test.ts', 'counts a chunked webhook body while it streams and stops at the limit: 413 long before the sender is done'],
    ],
  },
  {
    finding: 'any X-Gitlab-Token counted as signed',
    replays: [['test/integration/api-bounded-input.test.ts', 'counts an X-Gitlab-Token only when it equals the secret']],
  },
  {
    finding: 'each webhook loaded every pipeline and ran backtracking regexes over the payload before the signature was checked',
    replays: [
      ['test/integration/api-bounded-input.test.ts', 'checks the signature before parsing the payload: junk signed with a wrong secret is 401, not 400'],
      ['test/integration/trigger-index.test.ts', 'lets a webhook read only the pipelines filed under its source'],
      ['test/unit/triggers/webhook-match.test.ts', 'matches on a linear-time engine: a catastrophic pattern on a crafted value answers at once instead of holding the process'],
    ],
  },
  {
    finding: 'a 300 MB response to a webhook stage was read whole',
    replays: [['test/unit/adapters/http-fetch-client.test.ts', 'stops reading a 300 MB answer at the cap and fails with a message naming it']],
  },
  {
    finding: '100k-deep JSON and 5,000-character names answered 500',
    replays: [
      ['test/integration/api-bounded-input.test.ts', 'answers %s with 400 and saves nothing'],
      ['test/integration/api-bounded-input.test.ts', 'answers deep JSON on every body route with 400, not 500'],
      ['test/integration/api-bounded-input.test.ts', 'answers 5,000-character names and ids in the path with 400, not 500'],
      ['test/integration/api-fuzz.test.ts', '%s: never a 500, nothing written on a 4xx'],
    ],
  },
  {
    finding: 'a captured signed generic webhook replayed with a fresh id started again',
    replays: [['test/integration/api-bounded-input.test.ts', 'starts nothing new when a captured signed body comes back with a fresh X-Event-Id or Idempotency-Key']],
  },
  {
    finding: 'the link-local check missed [::ffff:a9fe:a9fe], and host names were not resolved before the allowlist check',
    replays: [
      ['test/unit/adapters/http-fetch-client.test.ts', 'classifies %s as %s'],
      ['test/unit/adapters/http-fetch-client.test.ts', 'refuses a host name that resolves to the metadata address or to loopback, at connect time'],
      ['test/unit/adapters/http-fetch-client.test.ts', 'connects to the address it checked, resolving once: a rebinding resolver cannot redirect the connection'],
    ],
  },
  {
    finding: 'on AWS every function shared one policy: the stage runner could create and update every state machine',
    replays: [['test/infra/stack.test.ts', 'gives each function exactly the permissions the capability table lists']],
  },
];

/** Whether `source` declares a test titled `title` (quoted with ', " or `). */
function declares(source: string, title: string): boolean {
  return [`'${title.replace(/'/g, "\\'")}'`, `"${title}"`, `\`${title}\``].some((quoted) => source.includes(quoted));
}

describe('the findings of the security probe', () => {
  it.each(FINDINGS.map((entry) => [entry.finding, entry.replays] as const))('%s: replayed', (_finding, replays) => {
    for (const [file, title] of replays) {
      const source = readFileSync(join(root, file), 'utf8');
      expect({ file, title, declared: declares(source, title) }).toEqual({ file, title, declared: true });
    }
  });
});
