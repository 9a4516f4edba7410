/**
 * `gennaker run --artifact` and `--trigger-type`: artifacts read as spin's `-t` file is (one
 * object, a list, or `{"artifacts": [...]}`, inline or `@file`), and the trigger a run starts as
 * (the pipeline's trigger of that type, its expectedArtifactIds included, never its secret).
 * Bad input is a usage error naming the flag, the value and the fix.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArtifactArgs, triggerFromType } from '../../../cli/commands/run.ts';
import { UsageError } from '../../../cli/usage.ts';

const dir = mkdtempSync(join(tmpdir(), 'gennaker-artifact-args-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const readText = (path: string) => readFile(path, 'utf8');

const image = { type: 'docker/image', name: 'gcr.io/p/app', reference: 'gcr.io/p/app:v2' };
const manifest = { type: 'gcs/object', reference: 'gs://b/app.yml' };

describe('--artifact', () => {
  it('takes one object, a list, and spin\'s {"artifacts": [...]} file, in order', async () => {
    const file = join(dir, 'artifacts.json');
    writeFileSync(file, JSON.stringify({ artifacts: [manifest] }));
    expect(await parseArtifactArgs([JSON.stringify(image), JSON.stringify([manifest, image]), `@${file}`], readText)).toEqual([image, manifest, image, manifest]);
  });

  it.each([
    [['{"type": '], /^--artifact is not JSON: '\{"type": '; pass an artifact such as/],
    [['"gcr.io/p/app"'], /^--artifact is "gcr.io\/p\/app", not an artifact object/],
    [['{"reference": "x"}'], /^--artifact has no type; add one, e.g. "type": "docker\/image"/],
    [[JSON.stringify(image), '[{"type": "docker/image"}, 3]'], /^--artifact #2 item 1 is 3, not an artifact object/],
    [['@/nonexistent/artifacts.json'], /^--artifact: cannot read '\/nonexistent\/artifacts.json' \(ENOENT\); check the path after '@'$/],
  ])('refuses %j', async (values, message) => {
    const refused = parseArtifactArgs(values, readText);
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(refused).rejects.toThrow(message);
  });
});

describe('--trigger-type', () => {
  const document = {
    name: 'Deploy to Staging',
    triggers: [
      { type: 'pubsub', enabled: true, pubsubSystem: 'google', subscriptionName: 'gcs', expectedArtifactIds: ['manifest'] },
      { type: 'pubsub', enabled: true, pubsubSystem: 'google', subscriptionName: 'gcr', expectedArtifactIds: ['img'] },
      { type: 'git', source: 'github', project: 'o', slug: 'r', secret: 'hmac-key', runAsUser: 'deployer' },
    ],
  };

  it("starts as the pipeline's trigger of that type, with what it names and without its secret", () => {
    expect(triggerFromType('pubsub:1', document, 'Deploy to Staging')).toEqual({ type: 'pubsub', pubsubSystem: 'google', subscriptionName: 'gcr', expectedArtifactIds: ['img'] });
    expect(triggerFromType('git', document, 'Deploy to Staging')).toEqual({ type: 'git', source: 'github', project: 'o', slug: 'r' });
    expect(triggerFromType(undefined, document, 'Deploy to Staging')).toEqual({ type: 'manual' });
    expect(triggerFromType('manual', document, 'Deploy to Staging')).toEqual({ type: 'manual' });
  });

  it.each([
    ['pubsub', "--trigger-type pubsub: pipeline 'Deploy to Staging' has 2 pubsub triggers; pick one with --trigger-type pubsub:0 or --trigger-type pubsub:1"],
    ['docker', "--trigger-type docker: pipeline 'Deploy to Staging' has no docker trigger (its triggers: pubsub:0, pubsub:1, git:2); pass one of those, or manual"],
    ['pubsub:2', "--trigger-type pubsub:2: triggers[2] of pipeline 'Deploy to Staging' is not a pubsub trigger (its triggers: pubsub:0, pubsub:1, git:2); pass one of those, or manual"],
    ['pub sub', "--trigger-type is 'pub sub'; pass a trigger type, e.g. --trigger-type pubsub, or type:index for one of several, e.g. pubsub:1"],
  ])('refuses %s', (spec, message) => {
    expect(() => triggerFromType(spec, document, 'Deploy to Staging')).toThrow(new UsageError(message));
  });
});
