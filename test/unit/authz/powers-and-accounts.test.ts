/**
 * Dangerous powers (core/authz/powers.ts) with the machine's real path resolution
 * (local/powers.ts: symbolic links followed), and who may name a trigger's service account
 * (core/authz/service-accounts.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { powerProblem, powerUsesOf, pipelinePowerUses } from '../../../core/authz/powers.ts';
import { runAsUserProblem, triggerCaller, ANONYMOUS_TRIGGER_USER } from '../../../core/authz/service-accounts.ts';
import type { Caller } from '../../../core/execution/execution-service-api.ts';
import { parsePipeline } from '../../../core/pipeline/parse.ts';
import type { DirectoryUser, UserDirectory } from '../../../core/ports/user-directory.ts';
import { createPowerPolicy, resolveReal } from '../../../local/powers.ts';

const work = mkdtempSync(join(tmpdir(), 'gennaker-powers-'));
const root = join(work, 'root');
mkdirSync(join(root, 'service'), { recursive: true });
symlinkSync('/etc', join(root, 'escape'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

const builder: Caller = { user: 'dave', roles: ['builders'] };
const dev: Caller = { user: 'erin', roles: ['dev'] };
const admin: Caller = { user: 'admin', roles: [], admin: true };

describe('dangerous powers', () => {
  it('finds local jobs, directory and git artifacts and job directories, and nothing else', () => {
    expect(powerUsesOf('runJob', { shell: 'echo hi' }, '/stages/0')).toEqual([{ pointer: '/stages/0/shell', what: "run a local job (a process of the server's user)" }]);
    expect(powerUsesOf('runJob', { command: ['ls'], cloudProvider: 'kubernetes' }, '/stages/0')).toEqual([]);
    expect(powerUsesOf('runJob', { command: ['ls'], workingDirectory: '/srv' }, '/stages/1').map((use) => use.pointer)).toEqual(['/stages/1/command', '/stages/1/workingDirectory']);
    expect(powerUsesOf('bake', { artifact: { type: 'git', reference: '/repo' } }, '/stages/2')).toEqual([{ pointer: '/stages/2/artifact/reference', what: 'bake a git artifact from this machine', path: '/repo' }]);
    expect(powerUsesOf('deploy', { clusters: [{ artifact: { type: 'docker/image', reference: 'x' } }, { artifact: { type: 'directory', reference: 'svc' } }] }, '/stages/3')).toEqual([
      { pointer: '/stages/3/clusters/1/artifact/reference', what: 'deploy a directory artifact from this machine', path: 'svc' },
    ]);
    expect(powerUsesOf('wait', { waitTime: 1 }, '/stages/4')).toEqual([]);
  });

  it('needs a power role (or an admin), naming the field and how to configure one', async () => {
    const policy = await createPowerPolicy({ roles: ['builders'] }, root);
    const uses = powerUsesOf('runJob', { shell: 'echo hi' }, '/stages/0');
    expect(await powerProblem(uses, builder, policy)).toBeUndefined();
    expect(await powerProblem(uses, admin, policy)).toBeUndefined();
    expect(await powerProblem(uses, dev, policy)).toBe(
      "/stages/0/shell: user 'erin' may not run a local job (a process of the server's user): it needs one of the power roles builders; 'erin' has the roles dev",
    );
    const adminsOnly = await createPowerPolicy({}, root);
    expect(await powerProblem(uses, builder, adminsOnly)).toMatch(/no power role is configured, so only admins may \(add one with 'gennaker up --power-role <role>'\)/);
  });

  it.each([
    ['service', undefined],
    ['./service/../service', undefined],
    ['/etc', 'outside'],
    ['../', 'outside'],
    ['escape', 'outside'],
    ['escape/passwd', 'outside'],
  ])('keeps %s under the roots, whoever asks (admins too): %s', async (path, refused) => {
    const policy = await createPowerPolicy({}, root);
    const problem = await powerProblem(powerUsesOf('deploy', { clusters: [{ artifact: { type: 'directory', reference: path } }] }, '/stages/0'), admin, policy);
    if (refused === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(new RegExp(`^/stages/0/clusters/0/artifact/reference: '${path.replace(/[.*/]/g, '\\$&')}' \\(.+\\) is outside the directories Gennaker may read \\(the roots are ${await resolveReal(root)}\\); use a path under them, or add its directory with 'gennaker up --root <dir>'$`));
  });

  it('lets a path that is still an expression through at save, and checks it when it is evaluated', async () => {
    const policy = await createPowerPolicy({}, root);
    const saved = powerUsesOf('bake', { artifact: { type: 'directory', reference: '${parameters.src}' } }, '/stages/0');
    expect(await powerProblem(saved, admin, policy, { atSave: true })).toBeUndefined();
    const evaluated = powerUsesOf('bake', { artifact: { type: 'directory', reference: '/etc' } }, '/stages/0');
    expect(await powerProblem(evaluated, admin, policy)).toMatch(/outside the directories/);
  });

  it('reads every stage of a pipeline as saved', () => {
    const { pipeline } = parsePipeline({
      application: 'app',
      name: 'p',
      stages: [
        { refId: '1', type: 'wait', name: 'W', waitTime: 1 },
        { refId: '2', requisiteStageRefIds: ['1'], type: 'runJob', name: 'J', cloudProvider: 'local', command: ['true'] },
      ],
    });
    expect(pipelinePowerUses(pipeline!).map((use) => use.pointer)).toEqual(['/stages/1/command']);
  });
});

describe("a trigger's service account", () => {
  const users: Record<string, DirectoryUser> = {
    svc: { name: 'svc', roles: ['ops'], admin: false },
    wide: { name: 'wide', roles: ['ops', 'secrets'], admin: false },
    root: { name: 'root', roles: [], admin: true },
  };
  const directory: UserDirectory = { find: async (name) => users[name] };
  const withRunAs = (runAsUser: string) =>
    parsePipeline({ application: 'app', name: 'p', triggers: [{ type: 'webhook', source: 's', runAsUser }], stages: [{ refId: '1', type: 'wait', name: 'W', waitTime: 1 }] }).pipeline!;
  const ops: Caller = { user: 'bob', roles: ['ops'] };

  it('runs as the named user with their roles, or as [anonymous] with none', async () => {
    expect(await triggerCaller('svc', directory, 'trigger:cron')).toEqual({ ok: true, caller: { user: 'svc', roles: ['ops'], source: 'trigger:cron' } });
    expect(await triggerCaller(undefined, directory, 'trigger:cron')).toEqual({ ok: true, caller: { user: ANONYMOUS_TRIGGER_USER, roles: [], source: 'trigger:cron' } });
    expect(await triggerCaller('ghost', directory, undefined)).toEqual({ ok: false, message: "the trigger runs as 'ghost' (runAsUser), who is not a user here; create the user or change runAsUser" });
  });

  it.each([
    [ops, 'svc', undefined],
    [ops, 'bob', undefined],
    [ops, 'wide', "/triggers/0/runAsUser: user 'bob' may not let a trigger run as 'wide': it has the roles secrets, which 'bob' lacks"],
    [ops, 'root', "/triggers/0/runAsUser: 'root' is an admin; only admins may let a trigger run as an admin"],
    [ops, 'ghost', "/triggers/0/runAsUser: 'ghost' is not a user here; name an existing user (gennaker user list) or leave runAsUser out"],
    [admin, 'root', undefined],
    [admin, 'wide', undefined],
  ] as const)('%j naming %s: %s', async (caller, runAsUser, problem) => {
    expect(await runAsUserProblem(withRunAs(runAsUser), caller, directory)).toBe(problem);
  });
});
