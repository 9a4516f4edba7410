/** The applications page: every application the caller may read, with a filter. */
import { api } from '../api.ts';
import { h, link, replace } from '../dom.ts';
import type { Application } from '../model.ts';
import { breadcrumbs, errorLine, when } from '../ui.ts';

export async function applicationsPage(root: HTMLElement): Promise<void> {
  replace(root, breadcrumbs('Applications'), h('h1', null, 'Applications'), h('p', { class: 'muted' }, 'Loading…'));
  let applications: Application[];
  try {
    applications = await api<Application[]>('GET', '/applications');
  } catch (error) {
    replace(root, breadcrumbs('Applications'), h('h1', null, 'Applications'), errorLine(error));
    return;
  }
  const list = h('ul', { class: 'cards', id: 'applications' });
  const show = (filter: string) => {
    const wanted = applications.filter((application) => application.name.toLowerCase().includes(filter.toLowerCase()));
    replace(
      list,
      wanted.length === 0
        ? h('li', { class: 'muted' }, applications.length === 0 ? 'No applications yet: save a pipeline (gennaker pipeline save) or run gennaker demo.' : 'No application matches the filter.')
        : wanted.map((application) =>
            h('li', { class: 'card' }, link(`/applications/${encodeURIComponent(application.name)}`, h('strong', null, application.name)), application.email ? h('span', { class: 'muted' }, ` ${application.email}`) : null, h('div', { class: 'muted small' }, when(application.updateTs))),
          ),
    );
  };
  const filter = h('input', { id: 'application-filter', type: 'search', placeholder: 'name', oninput: (event: Event) => show((event.target as HTMLInputElement).value) });
  show('');
  replace(root, breadcrumbs('Applications'), h('h1', null, 'Applications'), h('p', { class: 'toolbar' }, h('label', { for: 'application-filter' }, 'Filter '), filter), list);
  // The moment the page is usable, for the dashboard's figures (bench/dashboard.bench.ts).
  if (performance.getEntriesByName('applications-drawn').length === 0) performance.mark('applications-drawn');
}
