/**
 * An application's clusters: per account and region, each server group with its capacity,
 * instance health dots, share of traffic and artifact; a rollback button (confirm and reason)
 * for callers with EXECUTE, which starts the API's one-click rollback and links to it.
 */
import { api, seg } from '../api.ts';
import { h, replace } from '../dom.ts';
import type { ClusterView, ServerGroup } from '../model.ts';
import { breadcrumbs, errorLine, rightsOn, when } from '../ui.ts';
import { executionLink } from './execution.ts';

/** How often the page reads the clusters again. */
const REFRESH_MS = 3000;

/** A health as one of three dot colours. */
function healthTone(health: string): 'up' | 'down' | 'unknown' {
  const lower = health.toLowerCase();
  return lower === 'up' ? 'up' : lower === 'down' ? 'down' : 'unknown';
}

function artifactText(group: ServerGroup): string {
  const artifact = group.artifact;
  if (!artifact) return '';
  return [artifact.name ?? artifact.reference, artifact.version].filter(Boolean).join(' ');
}

function serverGroupRow(group: ServerGroup): HTMLElement {
  const counts = new Map<string, number>();
  for (const instance of group.instances) counts.set(instance.health, (counts.get(instance.health) ?? 0) + 1);
  const healthText = [...counts].map(([health, count]) => `${count} ${health}`).join(', ') || 'no instances';
  const weight = group.trafficWeight;
  return h(
    'tr',
    { 'data-server-group': group.name, 'data-traffic': weight ?? '' },
    h('th', { scope: 'row' }, group.name, group.disabled ? h('span', { class: 'badge canceled' }, 'disabled') : null),
    h('td', null, `${group.capacity.desired} (${group.capacity.min}–${group.capacity.max})`),
    h('td', null, h('span', { class: 'dots', role: 'img', 'aria-label': healthText, title: healthText }, group.instances.map((instance) => h('span', { class: `dot ${healthTone(instance.health)}` })))),
    h('td', null, weight === undefined ? '—' : h('span', { class: 'share' }, h('span', { class: 'share-track' }, h('span', { class: 'share-bar', style: `width:${weight}%` })), h('span', null, `${weight}%`))),
    h('td', null, artifactText(group)),
    h('td', { class: 'muted small' }, when(group.createdTime)),
  );
}

export function clustersPage(root: HTMLElement, application: string): () => void {
  const base = `/applications/${seg(application)}`;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const top = [breadcrumbs(['Applications', '/'], [application, base], 'Clusters'), h('h1', null, `Clusters of ${application}`)];
  const body = h('div', { id: 'clusters' }, h('p', { class: 'muted' }, 'Loading…'));
  const dialogHost = h('div');
  const notice = h('div', { role: 'status' });
  replace(root, top, notice, body, dialogHost);

  const load = async () => {
    try {
      const [names, rights] = await Promise.all([api<Record<string, string[]>>('GET', `${base}/clusters`), rightsOn(application)]);
      const views = await Promise.all(Object.entries(names).flatMap(([account, clusters]) => clusters.map((cluster) => api<ClusterView>('GET', `${base}/clusters/${seg(account)}/${seg(cluster)}`))));
      if (stopped) return;
      replace(
        body,
        views.length === 0
          ? h('p', { class: 'muted' }, 'No cluster of this application holds a server group.')
          : views.map((view) =>
              h(
                'article',
                { class: 'card cluster', 'data-cluster': view.cluster, 'data-account': view.account },
                h(
                  'header',
                  null,
                  h('h2', null, view.cluster),
                  h('span', { class: 'muted' }, ` ${view.account}`),
                  rights.EXECUTE && view.regions.some((region) => region.serverGroups.length > 1)
                    ? h('span', { class: 'actions' }, h('button', { type: 'button', class: 'danger', onclick: () => confirmRollback(view) }, 'Roll back'))
                    : null,
                ),
                view.regions.map((region) =>
                  h(
                    'div',
                    null,
                    h('h3', null, region.location, region.endpoint ? h('span', { class: 'muted small' }, ` ${region.endpoint}`) : null),
                    h(
                      'table',
                      null,
                      h('thead', null, h('tr', null, ['Server group', 'Capacity', 'Health', 'Traffic', 'Artifact', 'Created'].map((title) => h('th', { scope: 'col' }, title)))),
                      h('tbody', null, [...region.serverGroups].reverse().map(serverGroupRow)),
                    ),
                  ),
                ),
              ),
            ),
      );
    } catch (error) {
      if (!stopped) replace(body, errorLine(error));
    }
    // Traffic moves while deployments and rollbacks run: the page follows it.
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(() => void load(), REFRESH_MS);
  };

  const confirmRollback = (view: ClusterView) => {
    const dialog = h('dialog', { 'aria-labelledby': 'rollback-title' });
    const reason = h('textarea', { id: 'rollback-reason', rows: 3, 'aria-required': 'true' });
    const problems = h('div', { role: 'alert' });
    const regions = view.regions.filter((region) => region.serverGroups.length > 1).map((region) => region.location);
    const form = h(
      'form',
      {
        onsubmit: async (event: Event) => {
          event.preventDefault();
          if (reason.value.trim() === '') return replace(problems, h('p', { class: 'error' }, 'Reason is required; say why you roll back'));
          try {
            const started = await api<{ ref: string }>('POST', `${base}/clusters/${seg(view.cluster)}/rollback`, { account: view.account, regions, reason: reason.value.trim() });
            dialog.close();
            const id = started.ref.replace('/pipelines/', '');
            replace(notice, h('p', { class: 'notice' }, 'Rollback started: ', executionLink(application, id, 'follow it'), '.'));
            void load();
          } catch (error) {
            replace(problems, errorLine(error));
          }
        },
      },
      h('h2', { id: 'rollback-title' }, `Roll back ${view.cluster}?`),
      h('p', null, `This enables the previous server group and disables the newest in ${view.account} (${regions.join(', ')}).`),
      h('div', { class: 'field' }, h('label', { for: 'rollback-reason' }, 'Reason'), reason),
      problems,
      h('p', { class: 'actions' }, h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel'), h('button', { type: 'submit', class: 'danger', id: 'rollback-confirm' }, 'Roll back')),
    );
    dialog.append(form);
    replace(dialogHost, dialog);
    dialog.showModal();
  };

  void load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
