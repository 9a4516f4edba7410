/**
 * Reads a git host's webhook delivery into `GitEvent`s (pure: headers and the parsed body in).
 *
 * - GitHub (`X-GitHub-Event`): `push` → branch from `ref` (`refs/heads/x` → `x`; tags keep the
 *   full ref, as in Echo), project `repository.owner.login` (or `.name`), slug
 *   `repository.name`, hash `after`; branch deletions (`deleted: true`) start nothing.
 *   `pull_request` → action `body.action`, branch `pull_request.head.ref`, hash
 *   `pull_request.head.sha`, properties number/title/state/draft. `ping` is ignored. Delivery
 *   id: `X-GitHub-Delivery`.
 * - GitLab (`X-Gitlab-Event: Push Hook`, `object_kind: push`): project and slug come from
 *   `project.path_with_namespace` (namespace path, then the repository path: `group/sub/repo` →
 *   project `group/sub`, slug `repo`), which is what appears in the repository URL. Echo uses
 *   `project.namespace` and `project.name`, the display names; they are equal to the paths up to
 *   case for most projects (matching is case-insensitive), but differ when a name has spaces, so
 *   write the URL's path in the trigger. Falls back to `project.namespace` / `project.name` when
 *   the path is absent. Hash `checkout_sha` (or `after`). Delivery id: `X-Gitlab-Event-UUID`.
 * - Bitbucket Cloud (`X-Event-Key: repo:push`): one event per `push.changes[]` entry whose `new`
 *   is a branch; project and slug from `repository.full_name` (`workspace/repo`), hash
 *   `new.target.hash`. Delivery id: `X-Request-UUID`.
 * - Bitbucket Server / Stash (`X-Event-Key: repo:refs_changed`): one event per `changes[]`;
 *   project `repository.project.key`, slug `repository.slug`, branch `ref.displayId`, hash
 *   `toHash`.
 */
import type { GitEvent } from './git-match.ts';
import type { HeaderMap } from './signature.ts';
import { header } from './signature.ts';

export type GitWebhookParseResult =
  | { readonly ok: true; readonly events: readonly GitEvent[] }
  /** A delivery that is fine but starts nothing (ping, branch deletion, other event kinds). */
  | { readonly ok: false; readonly reason: 'ignored'; readonly message: string }
  /** The body does not have the fields this event kind must have. */
  | { readonly ok: false; readonly reason: 'invalid'; readonly message: string };

type Obj = Record<string, unknown>;

function obj(value: unknown): Obj | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function at(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const key of path.split('.')) current = obj(current)?.[key];
  return current;
}

function text(root: unknown, path: string): string | undefined {
  return str(at(root, path));
}

function branchOf(ref: string): string {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
}

const ZERO_SHA = /^0+$/;

function invalid(source: string, missing: string): GitWebhookParseResult {
  return { ok: false, reason: 'invalid', message: `${source} webhook body has no '${missing}'; send the host's webhook payload unchanged (content type application/json)` };
}

function withDelivery(event: Omit<GitEvent, 'deliveryId'>, deliveryId: string | undefined): GitEvent {
  return deliveryId === undefined ? event : { ...event, deliveryId };
}

function parseGitHub(headers: HeaderMap, body: unknown): GitWebhookParseResult {
  const kind = header(headers, 'x-github-event') ?? (at(body, 'pull_request') !== undefined ? 'pull_request' : 'push');
  const deliveryId = header(headers, 'x-github-delivery');
  const project = text(body, 'repository.owner.login') ?? text(body, 'repository.owner.name');
  const slug = text(body, 'repository.name');
  if (kind === 'ping') return { ok: false, reason: 'ignored', message: 'GitHub ping received; nothing to start' };
  if (kind !== 'push' && kind !== 'pull_request') {
    return { ok: false, reason: 'ignored', message: `GitHub event '${kind}' starts nothing; git triggers fire on push and pull_request events` };
  }
  if (project === undefined) return invalid('GitHub', 'repository.owner.login');
  if (slug === undefined) return invalid('GitHub', 'repository.name');
  if (kind === 'push') {
    const ref = text(body, 'ref');
    const hash = text(body, 'after');
    if (ref === undefined) return invalid('GitHub', 'ref');
    if (hash === undefined) return invalid('GitHub', 'after');
    if (at(body, 'deleted') === true || ZERO_SHA.test(hash)) {
      return { ok: false, reason: 'ignored', message: `GitHub push deleted '${ref}'; nothing to start` };
    }
    return { ok: true, events: [withDelivery({ source: 'github', project, slug, branch: branchOf(ref), hash, action: 'push' }, deliveryId)] };
  }
  const action = text(body, 'action');
  const branch = text(body, 'pull_request.head.ref');
  const hash = text(body, 'pull_request.head.sha');
  if (action === undefined) return invalid('GitHub', 'action');
  if (branch === undefined) return invalid('GitHub', 'pull_request.head.ref');
  if (hash === undefined) return invalid('GitHub', 'pull_request.head.sha');
  const properties = {
    number: at(body, 'pull_request.number') ?? at(body, 'number'),
    title: at(body, 'pull_request.title'),
    state: at(body, 'pull_request.state'),
    draft: at(body, 'pull_request.draft'),
  };
  return { ok: true, events: [withDelivery({ source: 'github', project, slug, branch, hash, action, properties }, deliveryId)] };
}

function parseGitLab(headers: HeaderMap, body: unknown): GitWebhookParseResult {
  const kind = text(body, 'object_kind') ?? header(headers, 'x-gitlab-event');
  if (kind !== 'push' && kind !== 'Push Hook') {
    return { ok: false, reason: 'ignored', message: `GitLab event '${kind ?? 'unknown'}' starts nothing; git triggers fire on push events` };
  }
  const path = text(body, 'project.path_with_namespace');
  const cut = path?.lastIndexOf('/') ?? -1;
  const project = path !== undefined && cut > 0 ? path.slice(0, cut) : text(body, 'project.namespace');
  const slug = path !== undefined && cut > 0 ? path.slice(cut + 1) : text(body, 'project.name');
  const ref = text(body, 'ref');
  const hash = text(body, 'checkout_sha') ?? text(body, 'after');
  if (project === undefined) return invalid('GitLab', 'project.path_with_namespace');
  if (slug === undefined) return invalid('GitLab', 'project.path_with_namespace');
  if (ref === undefined) return invalid('GitLab', 'ref');
  if (hash === undefined || ZERO_SHA.test(hash)) return { ok: false, reason: 'ignored', message: `GitLab push deleted '${ref}'; nothing to start` };
  return { ok: true, events: [withDelivery({ source: 'gitlab', project, slug, branch: branchOf(ref), hash, action: 'push' }, header(headers, 'x-gitlab-event-uuid'))] };
}

function parseBitbucketCloud(headers: HeaderMap, body: unknown): GitWebhookParseResult {
  const fullName = text(body, 'repository.full_name');
  const cut = fullName?.indexOf('/') ?? -1;
  if (fullName === undefined || cut <= 0) return invalid('Bitbucket', 'repository.full_name');
  const project = fullName.slice(0, cut);
  const slug = fullName.slice(cut + 1);
  const changes = at(body, 'push.changes');
  if (!Array.isArray(changes)) return invalid('Bitbucket', 'push.changes');
  const deliveryId = header(headers, 'x-request-uuid') ?? header(headers, 'x-hook-uuid');
  const events: GitEvent[] = [];
  for (const change of changes) {
    const type = text(change, 'new.type');
    const branch = text(change, 'new.name');
    const hash = text(change, 'new.target.hash');
    if (type !== 'branch' || branch === undefined || hash === undefined) continue;
    events.push(withDelivery({ source: 'bitbucket', project, slug, branch, hash, action: 'push' }, deliveryId));
  }
  return events.length > 0 ? { ok: true, events } : { ok: false, reason: 'ignored', message: 'Bitbucket push changed no branch (deletion or tag); nothing to start' };
}

function parseStash(headers: HeaderMap, body: unknown, source: string): GitWebhookParseResult {
  const project = text(body, 'repository.project.key');
  const slug = text(body, 'repository.slug');
  const changes = at(body, 'changes');
  if (project === undefined) return invalid('Bitbucket Server', 'repository.project.key');
  if (slug === undefined) return invalid('Bitbucket Server', 'repository.slug');
  if (!Array.isArray(changes)) return invalid('Bitbucket Server', 'changes');
  const deliveryId = header(headers, 'x-request-id');
  const events: GitEvent[] = [];
  for (const change of changes) {
    const branch = text(change, 'ref.displayId');
    const hash = text(change, 'toHash');
    if (branch === undefined || hash === undefined || ZERO_SHA.test(hash) || text(change, 'type') === 'DELETE') continue;
    events.push(withDelivery({ source, project, slug, branch, hash, action: 'push' }, deliveryId));
  }
  return events.length > 0 ? { ok: true, events } : { ok: false, reason: 'ignored', message: 'Bitbucket Server push changed no branch; nothing to start' };
}

/** Reads a webhook delivery of `source` (github, gitlab, bitbucket, stash) into git events. */
export function parseGitWebhook(source: string, headers: HeaderMap, body: unknown): GitWebhookParseResult {
  if (obj(body) === undefined) {
    return { ok: false, reason: 'invalid', message: `${source} webhook body must be a JSON object; configure the webhook with content type application/json` };
  }
  switch (source.toLowerCase()) {
    case 'github':
      return parseGitHub(headers, body);
    case 'gitlab':
      return parseGitLab(headers, body);
    case 'bitbucket': {
      const key = header(headers, 'x-event-key');
      if (key === 'repo:refs_changed' || at(body, 'changes') !== undefined) return parseStash(headers, body, 'bitbucket');
      if (key !== undefined && key !== 'repo:push') {
        return { ok: false, reason: 'ignored', message: `Bitbucket event '${key}' starts nothing; git triggers fire on repo:push` };
      }
      return parseBitbucketCloud(headers, body);
    }
    case 'stash':
      return parseStash(headers, body, 'stash');
    default:
      return { ok: false, reason: 'invalid', message: `git source '${source}' is unknown; use one of github, gitlab, bitbucket, stash in /webhooks/git/{source}` };
  }
}
