/** Pieces every page shows: status badges, breadcrumbs, error lines, the caller's rights. */
import { api, ApiError, seg } from './api.ts';
import { h, link, type Child } from './dom.ts';
import { statusTone } from './format.ts';
import type { Rights, Status } from './model.ts';

/** A status as colour and text (the text carries it for screen readers and colour-blind eyes). */
export function statusBadge(status: Status): HTMLElement {
  return h('span', { class: `badge ${statusTone(status)}` }, status.replace(/_/g, ' ').toLowerCase());
}

/** The trail of links at the top of a page; the last part is the page itself. */
export function breadcrumbs(...parts: readonly (readonly [string, string] | string)[]): HTMLElement {
  return h(
    'nav',
    { class: 'crumbs', 'aria-label': 'Breadcrumb' },
    h('ol', null, parts.map((part) => h('li', null, typeof part === 'string' ? h('span', { 'aria-current': 'page' }, part) : link(part[1], part[0])))),
  );
}

/** A failure line, announced to screen readers. */
export function errorLine(error: unknown): HTMLElement {
  return h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error));
}

/** A page section with a heading. */
export function section(title: Child, ...children: Child[]): HTMLElement {
  return h('section', null, h('h2', null, title), ...children);
}

const rightsCache = new Map<string, Promise<Rights>>();

/** What the caller may do on the application, asked once per page load. */
export function rightsOn(application: string): Promise<Rights> {
  const key = application.toLowerCase();
  let rights = rightsCache.get(key);
  if (!rights) {
    rights = api<Rights>('GET', `/applications/${seg(application)}/permissions`);
    rights.catch(() => rightsCache.delete(key));
    rightsCache.set(key, rights);
  }
  return rights;
}

/** Forgets the rights seen so far (after a login as someone else). */
export function forgetRights(): void {
  rightsCache.clear();
}

/** True when the error is the API's 404. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

/** A date and time as the reader's locale writes it. */
export function when(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '' : new Date(ms).toLocaleString();
}
