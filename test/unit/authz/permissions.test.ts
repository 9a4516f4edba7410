/**
 * Fiat's model as pure decisions (core/authz/permissions.ts): open applications, restricted
 * ones, EXECUTE falling back to READ, admins, roles compared case-insensitively, and the one
 * line a refusal reads as.
 */
import { describe, expect, it } from 'vitest';
import { authorize, holds, isRestricted, rolesWith, type ApplicationPermissions } from '../../../core/authz/permissions.ts';
import type { Caller } from '../../../core/execution/execution-service-api.ts';

const dev: Caller = { user: 'alice', roles: ['dev'] };
const ops: Caller = { user: 'bob', roles: ['Ops'] };
const nobody: Caller = { user: 'carol', roles: [] };
const admin: Caller = { user: 'root', roles: [], admin: true };

const restricted: ApplicationPermissions = { READ: ['dev', 'ops'], WRITE: ['ops'], EXECUTE: ['ops'] };
const noExecute: ApplicationPermissions = { READ: ['dev'], WRITE: ['ops'] };

describe('application permissions', () => {
  it.each([
    ['no permissions at all', undefined],
    ['an empty document', {}],
    ['empty role lists', { READ: [], WRITE: [], EXECUTE: [] }],
  ] as const)('leaves an application with %s open to every authenticated caller', (_what, permissions) => {
    expect(isRestricted(permissions)).toBe(false);
    for (const permission of ['READ', 'WRITE', 'EXECUTE'] as const) {
      expect(rolesWith(permissions, permission)).toBeUndefined();
      expect(holds(nobody, permission, permissions)).toBe(true);
    }
  });

  it.each([
    [dev, 'READ', restricted, true],
    [dev, 'WRITE', restricted, false],
    [dev, 'EXECUTE', restricted, false],
    [ops, 'WRITE', restricted, true],
    [ops, 'EXECUTE', restricted, true],
    [nobody, 'READ', restricted, false],
    [admin, 'WRITE', restricted, true],
    [admin, 'EXECUTE', { WRITE: ['someone-else'] }, true],
    // EXECUTE left out falls back to READ (Fiat's executeFallback).
    [dev, 'EXECUTE', noExecute, true],
    [ops, 'EXECUTE', noExecute, false],
    // A permission left out (other than EXECUTE) is held by no role.
    [ops, 'READ', { WRITE: ['ops'] }, false],
  ] as const)('%j %s on %j: %s', (caller, permission, permissions, expected) => {
    expect(holds(caller, permission, permissions)).toBe(expected);
  });

  it('compares roles case-insensitively', () => {
    expect(holds({ user: 'x', roles: ['OPS'] }, 'WRITE', { WRITE: ['ops'] })).toBe(true);
  });

  it('refuses in one line naming the permission, the application, the roles that hold it and the caller\'s roles', () => {
    const decision = authorize(dev, 'WRITE', { name: 'vault', permissions: restricted });
    expect(decision).toEqual({
      ok: false,
      reason: 'forbidden',
      message: "user 'alice' lacks WRITE on application 'vault': WRITE is held by the roles ops; 'alice' has the roles dev",
    });
    expect(authorize(nobody, 'READ', { name: 'vault', permissions: { WRITE: ['ops'] } })).toMatchObject({
      message: "user 'carol' lacks READ on application 'vault': no role holds READ on it (only admins do); 'carol' has no roles",
    });
    expect(authorize(ops, 'WRITE', { name: 'vault', permissions: restricted })).toEqual({ ok: true });
  });
});
