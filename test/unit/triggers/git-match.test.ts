/** Git matching: case-insensitive repository identity, full-match branch regexes, actions, webhook parsing. */
import { describe, expect, it } from 'vitest';
import type { GitEvent } from '../../../core/triggers/git-match.ts';
import { matchGitTrigger } from '../../../core/triggers/git-match.ts';
import { parseGitWebhook } from '../../../core/triggers/git-webhook.ts';
import { triggered } from './fixtures.ts';

const push: GitEvent = { source: 'github', project: 'My-Org', slug: 'Hello', branch: 'main', hash: 'abc123', action: 'push', deliveryId: 'd-1' };

describe('matchGitTrigger', () => {
  it.each([
    ['equal fields, different case', { source: 'github', project: 'my-org', slug: 'HELLO' }, true],
    ['no branch (any branch)', { source: 'github', project: 'my-org', slug: 'hello' }, true],
    ['a blank branch', { source: 'github', project: 'my-org', slug: 'hello', branch: '' }, true],
    ['a branch regex matching the whole name', { source: 'github', project: 'my-org', slug: 'hello', branch: 'ma.n' }, true],
    ['a branch regex matching only part of the name (full match required)', { source: 'github', project: 'my-org', slug: 'hello', branch: 'mai' }, false],
    ['an alternation', { source: 'github', project: 'my-org', slug: 'hello', branch: 'release-.*|main' }, true],
    ['another project', { source: 'github', project: 'other', slug: 'hello' }, false],
    ['another slug', { source: 'github', project: 'my-org', slug: 'bye' }, false],
    ['another source', { source: 'gitlab', project: 'my-org', slug: 'hello' }, false],
    ['events naming another action', { source: 'github', project: 'my-org', slug: 'hello', events: ['opened'] }, false],
    ['events naming push', { source: 'github', project: 'my-org', slug: 'hello', events: ['push'] }, true],
  ])('%s → %s', (_what, trigger, expected) => {
    const pipeline = triggered([{ type: 'git', ...trigger }]);
    expect(matchGitTrigger([pipeline], push).length === 1).toBe(expected);
  });

  it('compares the event source case-insensitively', () => {
    const pipeline = triggered([{ type: 'git', source: 'github', project: 'my-org', slug: 'hello' }]);
    expect(matchGitTrigger([pipeline], { ...push, source: 'GitHub' })).toHaveLength(1);
  });

  it('accepts only pushes when the trigger lists no events', () => {
    const pipeline = triggered([{ type: 'git', source: 'github', project: 'my-org', slug: 'hello' }]);
    expect(matchGitTrigger([pipeline], { ...push, action: 'opened' })).toEqual([]);
  });

  it('derives the key from the commit, so a redelivery with another delivery id starts nothing new', () => {
    const pipeline = triggered([{ type: 'git', source: 'github', project: 'my-org', slug: 'hello', secret: 'topsecret' }]);
    const [first] = matchGitTrigger([pipeline], push);
    const [again] = matchGitTrigger([pipeline], { ...push, deliveryId: 'd-2' });
    const [next] = matchGitTrigger([pipeline], { ...push, hash: 'def456' });
    expect(again!.idempotencyKey).toBe(first!.idempotencyKey);
    expect(next!.idempotencyKey).not.toBe(first!.idempotencyKey);
    expect(first!.trigger).toMatchObject({ type: 'git', branch: 'main', hash: 'abc123', project: 'My-Org', slug: 'Hello', eventId: 'd-1' });
    expect(JSON.stringify(first!.trigger)).not.toContain('topsecret');
    expect(first!.definition.raw.secret).toBe('topsecret');
  });
});

describe('parseGitWebhook', () => {
  it('reads a GitHub push', () => {
    const body = { ref: 'refs/heads/feature/x', after: 'f00d', repository: { name: 'hello', owner: { login: 'my-org', name: 'my-org' } } };
    expect(parseGitWebhook('github', { 'x-github-event': 'push', 'x-github-delivery': 'guid-1' }, body)).toEqual({
      ok: true,
      events: [{ source: 'github', project: 'my-org', slug: 'hello', branch: 'feature/x', hash: 'f00d', action: 'push', deliveryId: 'guid-1' }],
    });
  });

  it('keeps a tag ref whole, as Echo does', () => {
    const body = { ref: 'refs/tags/v1.0.0', after: 'f00d', repository: { name: 'hello', owner: { login: 'my-org' } } };
    const parsed = parseGitWebhook('github', { 'x-github-event': 'push' }, body);
    expect(parsed.ok && parsed.events[0]!.branch).toBe('refs/tags/v1.0.0');
  });

  it('reads a GitHub pull request with its action and properties', () => {
    const body = { action: 'opened', number: 7, pull_request: { number: 7, title: 'Fix', state: 'open', draft: false, head: { ref: 'fix', sha: 'beef' } }, repository: { name: 'hello', owner: { login: 'my-org' } } };
    const parsed = parseGitWebhook('github', { 'x-github-event': 'pull_request' }, body);
    expect(parsed).toMatchObject({ ok: true, events: [{ action: 'opened', branch: 'fix', hash: 'beef', properties: { number: 7, title: 'Fix' } }] });
  });

  it.each([
    ['a ping', 'github', { 'x-github-event': 'ping' }, { zen: 'hi' }, 'ignored'],
    ['a branch deletion', 'github', { 'x-github-event': 'push' }, { ref: 'refs/heads/x', after: '0000000', deleted: true, repository: { name: 'h', owner: { login: 'o' } } }, 'ignored'],
    ['a push without ref', 'github', { 'x-github-event': 'push' }, { after: 'abc', repository: { name: 'h', owner: { login: 'o' } } }, 'invalid'],
    ['a body that is not an object', 'github', {}, [1, 2], 'invalid'],
    ['an unknown source', 'svn', {}, {}, 'invalid'],
  ])('rejects %s', (_what, source, headers, body, reason) => {
    expect(parseGitWebhook(source, headers, body)).toMatchObject({ ok: false, reason });
  });

  it('reads a GitLab push from the namespace path and the repository path', () => {
    const body = {
      object_kind: 'push',
      ref: 'refs/heads/main',
      checkout_sha: 'c0ffee',
      project: { name: 'Hello World', namespace: 'My Group', path_with_namespace: 'my-group/sub/hello-world' },
    };
    expect(parseGitWebhook('gitlab', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-event-uuid': 'u-1' }, body)).toEqual({
      ok: true,
      events: [{ source: 'gitlab', project: 'my-group/sub', slug: 'hello-world', branch: 'main', hash: 'c0ffee', action: 'push', deliveryId: 'u-1' }],
    });
  });

  it('reads a Bitbucket Cloud push, one event per branch change', () => {
    const body = {
      repository: { full_name: 'team/hello' },
      push: { changes: [{ new: { type: 'branch', name: 'main', target: { hash: 'aaa' } } }, { new: { type: 'tag', name: 'v1', target: { hash: 'bbb' } } }, { new: null }] },
    };
    expect(parseGitWebhook('bitbucket', { 'x-event-key': 'repo:push' }, body)).toEqual({
      ok: true,
      events: [{ source: 'bitbucket', project: 'team', slug: 'hello', branch: 'main', hash: 'aaa', action: 'push' }],
    });
  });
});
