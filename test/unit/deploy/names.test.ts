/**
 * Frigga names, exactly as Netflix/frigga parses and builds them, and clouddriver's choice of the
 * next server group name.
 */
import { describe, expect, it } from 'vitest';
import {
  clusterName,
  nextServerGroupName,
  parseClusterName,
  parseLabeledVariables,
  parseServerGroupName,
  serverGroupName,
  validateNameParts,
} from '../../../core/deploy/names.ts';

describe('parseServerGroupName (Frigga Names.parseName)', () => {
  it.each([
    ['app only', 'hello-v003', { group: 'hello-v003', cluster: 'hello', app: 'hello', push: 'v003', sequence: 3 }],
    ['app and stack', 'hello-prod-v000', { group: 'hello-prod-v000', cluster: 'hello-prod', app: 'hello', stack: 'prod', push: 'v000', sequence: 0 }],
    [
      'app, stack and detail',
      'hello-prod-canary-v012',
      { group: 'hello-prod-canary-v012', cluster: 'hello-prod-canary', app: 'hello', stack: 'prod', detail: 'canary', push: 'v012', sequence: 12 },
    ],
    ['a detail with hyphens', 'hello-prod-a-b-c-v999', { group: 'hello-prod-a-b-c-v999', cluster: 'hello-prod-a-b-c', app: 'hello', stack: 'prod', detail: 'a-b-c', push: 'v999', sequence: 999 }],
    ['empty stack: app--detail', 'hello--canary-v001', { group: 'hello--canary-v001', cluster: 'hello--canary', app: 'hello', detail: 'canary', push: 'v001', sequence: 1 }],
    ['no push suffix: a cluster name', 'hello-prod', { group: 'hello-prod', cluster: 'hello-prod', app: 'hello', stack: 'prod' }],
    ['two digits are not a push', 'hello-v01', { group: 'hello-v01', cluster: 'hello-v01', app: 'hello', stack: 'v01' }],
    ['four digits are not a push', 'hello-v0001', { group: 'hello-v0001', cluster: 'hello-v0001', app: 'hello', stack: 'v0001' }],
    ['dots and underscores', 'my.app_1-st_2-v004', { group: 'my.app_1-st_2-v004', cluster: 'my.app_1-st_2', app: 'my.app_1', stack: 'st_2', push: 'v004', sequence: 4 }],
  ])('parses %s', (_case, name, expected) => {
    expect(parseServerGroupName(name)).toEqual(expected);
  });

  it.each([
    ['blank', '   '],
    ['a space in the app', 'hel lo-v001'],
    ['a leading hyphen', '-v001'],
    ['a slash', 'hello/prod-v001'],
  ])('rejects %s', (_case, name) => {
    expect(parseServerGroupName(name)).toBeUndefined();
  });
});

describe('parseClusterName', () => {
  it.each([
    ['hello', { cluster: 'hello', app: 'hello' }],
    ['hello-prod', { cluster: 'hello-prod', app: 'hello', stack: 'prod' }],
    ['hello--canary', { cluster: 'hello--canary', app: 'hello', detail: 'canary' }],
    ['hello-prod-canary-x', { cluster: 'hello-prod-canary-x', app: 'hello', stack: 'prod', detail: 'canary-x' }],
    ['hello-', { cluster: 'hello-', app: 'hello' }],
  ])('parses %s', (name, expected) => {
    expect(parseClusterName(name)).toEqual(expected);
  });

  it('rejects characters outside Frigga name characters', () => {
    expect(parseClusterName('hello-pr*d')).toBeUndefined();
  });
});

describe('labeled variables are optional parts of the detail', () => {
  it.each([
    ['none', 'hello-prod-canary', {}],
    ['countries and devPhase', 'hello-prod-c0us-d0prod', { countries: 'us', devPhase: 'prod' }],
    ['all eight', 'hello-x-c0a-d0b-h0c-p0d-r0e-u0f-w0g-z0h', { countries: 'a', devPhase: 'b', hardware: 'c', partners: 'd', revision: 'e', usedBy: 'f', redBlackSwap: 'g', zone: 'h' }],
    ['free detail before them; the 0 after the label is the separator', 'hello-prod-blue-r027', { revision: '27' }],
  ])('%s', (_case, name, expected) => {
    expect(parseLabeledVariables(name)).toEqual(expected);
  });
});

describe('building names (Frigga NameBuilder.combineAppStackDetail)', () => {
  it.each([
    ['app', undefined, undefined, 'app'],
    ['app', 'prod', undefined, 'app-prod'],
    ['app', 'prod', 'canary', 'app-prod-canary'],
    ['app', undefined, 'canary', 'app--canary'],
    ['app', '', 'canary', 'app--canary'],
    ['app', '', '', 'app'],
  ])('clusterName(%s, %s, %s) = %s', (app, stack, detail, expected) => {
    expect(clusterName(app, stack, detail)).toBe(expected);
  });

  it.each([
    [0, 'app-prod-v000'],
    [7, 'app-prod-v007'],
    [42, 'app-prod-v042'],
    [999, 'app-prod-v999'],
  ])('formats sequence %i as %%s-v%%03d', (sequence, expected) => {
    expect(serverGroupName('app-prod', sequence)).toBe(expected);
  });
});

describe('nextServerGroupName (clouddriver AbstractServerGroupNameResolver)', () => {
  const slot = (name: string, createdTime: number) => ({ name, createdTime });

  it.each([
    ['an empty cluster starts at v000', [], 'app-prod-v000'],
    ['follows the only server group', [slot('app-prod-v000', 1)], 'app-prod-v001'],
    ['follows the most recently CREATED, not the highest sequence', [slot('app-prod-v009', 1), slot('app-prod-v003', 2)], 'app-prod-v004'],
    ['wraps around after v999', [slot('app-prod-v999', 1)], 'app-prod-v000'],
    ['skips taken numbers after the wrap', [slot('app-prod-v000', 1), slot('app-prod-v001', 2), slot('app-prod-v999', 3)], 'app-prod-v002'],
    ['skips taken numbers', [slot('app-prod-v005', 1), slot('app-prod-v004', 2)], 'app-prod-v006'],
    ['ignores other clusters', [slot('app-prod-canary-v050', 9), slot('app-prod-v001', 1)], 'app-prod-v002'],
    ['reads a name without sequence as 0', [slot('app-prod', 1)], 'app-prod-v001'],
  ])('%s', (_case, existing, expected) => {
    expect(nextServerGroupName('app-prod', existing)).toEqual({ ok: true, name: expected, sequence: Number(expected.slice(-3)) });
  });

  it('returns the cluster name itself with ignoreSequence', () => {
    expect(nextServerGroupName('app-prod', [slot('app-prod-v001', 1)], { ignoreSequence: true })).toEqual({ ok: true, name: 'app-prod', sequence: 2 });
  });

  it('takes the last free number when 999 are taken', () => {
    const existing = Array.from({ length: 1000 }, (_, sequence) => slot(serverGroupName('app-prod', sequence), sequence)).filter((_, index) => index !== 500);
    expect(nextServerGroupName('app-prod', existing)).toEqual({ ok: true, name: 'app-prod-v500', sequence: 500 });
  });

  it('fails with Spinnaker\'s message when all 1000 names are taken', () => {
    const existing = Array.from({ length: 1000 }, (_, sequence) => slot(serverGroupName('app-prod', sequence), sequence));
    const result = nextServerGroupName('app-prod', existing, { location: 'us-east-1' });
    expect(result).toEqual({
      ok: false,
      message: 'All server group names for cluster app-prod in us-east-1 are taken. Destroy server groups of the cluster that are no longer needed to free a sequence number.',
    });
  });
});

describe('validateNameParts', () => {
  it('accepts Frigga characters', () => {
    expect(validateNameParts({ application: 'my.app_1', stack: 'prod_2', detail: 'blue-green.x' })).toEqual([]);
  });

  it.each([
    ['an empty application', { application: '' }, [{ field: 'application', value: '', message: "application is empty; set the application, e.g. 'hello'" }]],
    [
      'a hyphen in the application',
      { application: 'my-app' },
      [{ field: 'application', value: 'my-app', message: "application 'my-app' may use only letters, digits, '.' and '_'; rename it, e.g. 'my_app'" }],
    ],
    [
      'a hyphen in the stack',
      { application: 'app', stack: 'us-east' },
      [{ field: 'stack', value: 'us-east', message: "stack 'us-east' may use only letters, digits, '.' and '_' (a hyphen would move the rest into the detail); use e.g. 'us_east'" }],
    ],
    [
      'a space in the detail',
      { application: 'app', detail: 'blue green' },
      [{ field: 'freeFormDetails', value: 'blue green', message: "freeFormDetails 'blue green' may use only letters, digits, '.', '_' and '-'; use e.g. 'blue-green'" }],
    ],
  ])('rejects %s, naming field, value and fix', (_case, parts, expected) => {
    expect(validateNameParts(parts)).toEqual(expected);
  });
});
