/**
 * Compute Engine's wire conventions, written here rather than taken from the client library so
 * that the simulator checks the client: resource links in both host forms, RFC 3339 timestamps
 * in the API's Pacific offset, the Google error envelope, list pagination and list filters.
 */

/** The host form GCE itself writes in every `selfLink`. */
export const API_PREFIX = 'https://www.googleapis.com/compute/v1/';

/** A JSON object as it travels on the wire. */
export type Json = Record<string, unknown>;

/** Where a resource lives: `global`, `regions/<r>` or `zones/<z>`. */
export type Scope = string;

/** A parsed resource reference (`projects/p/zones/z/instances/i` in any accepted form). */
export interface ResourceRef {
  readonly project: string;
  readonly scope: Scope;
  readonly collection: string;
  readonly name: string;
}

/** The self link of a resource, always in the `www.googleapis.com` form GCE answers with. */
export function linkOf(ref: ResourceRef): string {
  return `${API_PREFIX}projects/${ref.project}/${ref.scope}/${ref.collection}/${ref.name}`;
}

/** The self link of a scope (`…/projects/p/regions/us-central1`), for `zone`, `region` fields. */
export function scopeLink(project: string, scope: Scope): string {
  return `${API_PREFIX}projects/${project}/${scope}`;
}

/** The key a resource is stored under: the link without its host. */
export function keyOf(ref: ResourceRef): string {
  return `${ref.project}/${ref.scope}/${ref.collection}/${ref.name}`;
}

const HOSTS = /^https?:\/\/(?:www|compute)\.googleapis\.com\/compute\/(?:v1|beta|alpha)\//;
const SCOPED = /^(?:projects\/([^/]+)\/)?(global|regions\/[^/]+|zones\/[^/]+)\/([A-Za-z]+)\/([^/?#]+)$/;

/**
 * Reads a reference as GCE accepts it: a full URL on `www.googleapis.com` or
 * `compute.googleapis.com` (clouddriver writes the latter), a partial `projects/…` or
 * `global/…` path, or a bare name resolved against `defaults`. Answers undefined when the value
 * names another collection or is no reference at all.
 */
export function parseRef(value: unknown, defaults: { project: string; collection: string; scope?: Scope }): ResourceRef | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const path = value.replace(HOSTS, '');
  const scoped = SCOPED.exec(path);
  if (scoped) {
    const [, project, scope, collection, name] = scoped;
    if (collection !== defaults.collection) return undefined;
    return { project: project ?? defaults.project, scope: scope!, collection: collection!, name: name! };
  }
  if (/^[a-z0-9][-a-z0-9_.]*$/i.test(path) && defaults.scope !== undefined) return { project: defaults.project, scope: defaults.scope, collection: defaults.collection, name: path };
  return undefined;
}

/** The last path segment of a link: the local name everything is compared on. */
export function localName(link: string): string {
  const parts = link.split('?')[0]!.split('/');
  return parts[parts.length - 1] ?? '';
}

/** Two links name the same resource whatever their host form. */
export function sameResource(a: string, b: string): boolean {
  return a.replace(HOSTS, '').replace(/^projects\//, '') === b.replace(HOSTS, '').replace(/^projects\//, '');
}

/**
 * GCE's timestamp: RFC 3339 with milliseconds in the API's Pacific offset
 * (`2025-12-31T16:00:00.000-08:00`); the simulator keeps standard time all year.
 */
export function timestamp(ms: number): string {
  return `${new Date(ms - 8 * 3600_000).toISOString().replace('Z', '')}-08:00`;
}

/** A failure answered in Google's error envelope with its HTTP status. */
export class GceError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly extra: { location?: string; locationType?: string } = {},
  ) {
    super(message);
  }

  /** `{"error":{"code","message","errors":[{message,domain,reason}]}}` as the API sends it. */
  body(): Json {
    return { error: { code: this.status, message: this.message, errors: [{ message: this.message, domain: 'global', reason: this.reason, ...this.extra }] } };
  }
}

/** 404 `notFound` with GCE's message for a resource path (`projects/p/global/images/x`). */
export function notFound(ref: ResourceRef): GceError {
  return new GceError(404, 'notFound', `The resource 'projects/${ref.project}/${ref.scope}/${ref.collection}/${ref.name}' was not found`);
}

/** 409 `alreadyExists`. */
export function alreadyExists(ref: ResourceRef): GceError {
  return new GceError(409, 'alreadyExists', `The resource 'projects/${ref.project}/${ref.scope}/${ref.collection}/${ref.name}' already exists`);
}

/** 400 `invalid` naming the field and the bad value. */
export function invalid(field: string, value: unknown, why: string): GceError {
  return new GceError(400, 'invalid', `Invalid value for field '${field}': '${typeof value === 'string' ? value : JSON.stringify(value)}'. ${why}`);
}

/** 400 `required` for a missing field. */
export function required(field: string): GceError {
  return new GceError(400, 'required', `Required field '${field}' not specified`);
}

/** GCE's rule for resource names (RFC 1035 labels, lower case, at most 63 characters). */
export const NAME_PATTERN = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/** Checks `resource.name` as insert does. */
export function checkName(name: unknown, field = 'resource.name'): string {
  if (name === undefined || name === null || name === '') throw required(field);
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) throw invalid(field, name, "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'");
  return name;
}

/** One comparison of a list filter. */
interface Clause {
  readonly field: string;
  readonly op: 'eq' | 'ne' | '=' | '!=';
  readonly value: string;
}

/**
 * Parses the list filters clouddriver and the client send: `name eq app-.*` (a regular
 * expression that must match the whole value), `name ne …`, `name = "x"`, `name != "x"`,
 * `labels.k = "v"`, and several comparisons in parentheses or joined by `AND`.
 */
export function parseFilter(text: string): (resource: Json) => boolean {
  const source = text.trim();
  if (source === '') return () => true;
  const clauses: Clause[] = [];
  const parts = /^\(.*\)$/.test(source) ? [...source.matchAll(/\(([^()]*)\)/g)].map((m) => m[1]!.trim()) : source.split(/\s+AND\s+/);
  for (const part of parts) {
    // Label keys may hold '-' (`labels.spinnaker-server-group = "app-v001"`).
    const regex = /^([A-Za-z][\w.-]*)\s+(eq|ne)\s+(.+)$/.exec(part);
    const compare = /^([A-Za-z][\w.-]*?)\s*(=|!=)\s*(?:"((?:[^"\\]|\\.)*)"|(\S+))$/.exec(part);
    if (regex) clauses.push({ field: regex[1]!, op: regex[2] as 'eq' | 'ne', value: regex[3]!.trim().replace(/^"(.*)"$/, '$1') });
    else if (compare) clauses.push({ field: compare[1]!, op: compare[2] as '=' | '!=', value: compare[3] ?? compare[4]! });
    else throw invalid('filter', text, 'Invalid list filter expression.');
  }
  const tests = clauses.map((clause) => {
    let pattern: RegExp | undefined;
    if (clause.op === 'eq' || clause.op === 'ne') {
      try {
        pattern = new RegExp(`^(?:${clause.value})$`);
      } catch {
        throw invalid('filter', text, `'${clause.value}' is not a valid regular expression.`);
      }
    }
    return (resource: Json) => {
      const actual = fieldOf(resource, clause.field);
      const text = actual === undefined ? '' : String(actual);
      const hit = pattern ? pattern.test(text) : text === clause.value || (clause.value === '*' && actual !== undefined);
      return clause.op === 'ne' || clause.op === '!=' ? !hit : hit;
    };
  });
  return (resource) => tests.every((t) => t(resource));
}

function fieldOf(resource: Json, path: string): unknown {
  let current: unknown = resource;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Json)[part];
  }
  return current;
}

/** One page of a list: `items` and, when more remain, `nextPageToken`. */
export function page<T>(items: readonly T[], query: URLSearchParams): { items: T[]; nextPageToken?: string } {
  const raw = query.get('maxResults');
  const max = raw === null || raw === '' ? 500 : Number(raw);
  if (!Number.isInteger(max) || max < 0 || max > 500) throw invalid('maxResults', raw, 'Must be an integer between 0 and 500.');
  const size = max === 0 ? 500 : max;
  const token = query.get('pageToken');
  let start = 0;
  if (token !== null && token !== '') {
    const decoded = /^o(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!decoded) throw invalid('pageToken', token, 'Invalid page token; pass the nextPageToken of the previous page.');
    start = Number(decoded[1]);
  }
  const slice = items.slice(start, start + size);
  return start + size < items.length ? { items: slice, nextPageToken: Buffer.from(`o${start + size}`, 'utf8').toString('base64url') } : { items: slice };
}

/** The human status line GCE puts in `httpErrorMessage` of a failed operation. */
export function statusText(status: number): string {
  const texts: Record<number, string> = { 400: 'BAD REQUEST', 403: 'FORBIDDEN', 404: 'NOT FOUND', 409: 'CONFLICT', 412: 'PRECONDITION FAILED', 429: 'TOO MANY REQUESTS', 500: 'INTERNAL SERVER ERROR', 503: 'SERVICE UNAVAILABLE' };
  return texts[status] ?? 'ERROR';
}
