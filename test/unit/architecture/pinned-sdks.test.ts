/**
 * The cloud SDKs are pinned to exact versions that run on Node 20 as well as Node 22 (Lambda's
 * runtime): their newer releases drop Node 20, and a caret range would let `npm install` take one.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const manifest = readJson(join(root, 'package.json')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
const sdks = Object.entries({ ...manifest.dependencies, ...manifest.devDependencies }).filter(([name]) => /^@(aws-sdk|smithy|kubernetes|google-cloud)\//.test(name));

describe('the cloud SDKs', () => {
  it('are listed', () => {
    expect(sdks.map(([name]) => name)).toEqual(expect.arrayContaining(['@aws-sdk/client-ec2', '@aws-sdk/client-ecs', '@aws-sdk/client-lambda', '@aws-sdk/client-sts']));
  });

  it('are pinned to one exact version each', () => {
    expect(sdks.filter(([, range]) => !/^\d+\.\d+\.\d+$/.test(range)).map(([name, range]) => `${name}@${range}`)).toEqual([]);
  });

  it('are installed at that version, and run on Node 20 and 22 by their own engines field', () => {
    for (const [name, version] of sdks) {
      const installed = readJson(join(root, 'node_modules', name, 'package.json')) as { version: string; engines?: { node?: string } };
      expect(installed.version, name).toBe(version);
      const floor = /^>=\s*(\d+)/.exec(installed.engines?.node ?? '>=0')?.[1];
      expect(Number(floor), `${name} engines.node ${installed.engines?.node}`).toBeLessThanOrEqual(20);
    }
  });
});
