/**
 * The dashboard: a login form (the API token, kept in session storage) and hash routes for the
 * pages. Routes:
 *
 * - `#/` applications
 * - `#/applications/{app}` its pipelines
 * - `#/applications/{app}/executions/{id}` one execution, live
 * - `#/applications/{app}/executions/{id}/canary` its canary report
 * - `#/applications/{app}/clusters` its clusters
 * - `#/applications/{app}/editor[/{pipeline}]` the pipeline editor
 */
import { api, ApiError, logout, saveToken, token } from './api.ts';
import { h, replace } from './dom.ts';
import { applicationsPage } from './pages/applications.ts';
import { canaryPage } from './pages/canary.ts';
import { clustersPage } from './pages/clusters.ts';
import { editorPage } from './pages/editor.ts';
import { executionPage } from './pages/execution.ts';
import { pipelinesPage } from './pages/pipelines.ts';
import { forgetRights } from './ui.ts';

const main = document.getElementById('main')!;
const account = document.getElementById('account')!;
let leave: (() => void) | void;

function navigate(route: string): void {
  location.hash = `#${route}`;
}

/** The page of the current hash. */
function route(): void {
  if (leave) leave();
  leave = undefined;
  if (token() === undefined) return showLogin();
  replace(account, h('button', { type: 'button', id: 'logout', onclick: () => logout() }, 'Log out'));
  const path = location.hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter((part) => part !== '').map((part) => decodeURIComponent(part));
  const [first, application, page, item] = parts;
  if (first !== 'applications' || application === undefined) {
    void applicationsPage(main);
  } else if (page === undefined) {
    leave = pipelinesPage(main, application, navigate);
  } else if (page === 'executions' && item !== undefined && parts[4] === 'canary') {
    leave = canaryPage(main, application, item);
  } else if (page === 'executions' && item !== undefined) {
    leave = executionPage(main, application, item, navigate);
  } else if (page === 'clusters') {
    leave = clustersPage(main, application);
  } else if (page === 'editor') {
    leave = editorPage(main, application, item, navigate);
  } else {
    replace(main, h('p', { class: 'error' }, `No page at ${path}; `, h('a', { href: '#/' }, 'see the applications'), '.'));
  }
  main.focus({ preventScroll: true });
}

function showLogin(): void {
  replace(account);
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: true });
  const problem = h('div', { role: 'alert' });
  const form = h(
    'form',
    {
      id: 'login',
      class: 'card login',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        saveToken(input.value.trim());
        forgetRights();
        try {
          await api('GET', '/applications');
          route();
        } catch (error) {
          // A wrong token was forgotten on its 401: the form shows again, with why.
          showLogin();
          replace(document.querySelector('#login [role=alert]')!, h('p', { class: 'error' }, error instanceof ApiError && error.status === 401 ? 'That token is not accepted; use the one in .gennaker/token (or a user token from gennaker user add).' : String((error as Error).message)));
        }
      },
    },
    h('h1', null, 'Log in'),
    h('p', { class: 'muted' }, 'Paste your API token: the one gennaker up wrote to .gennaker/token, or your own from gennaker user add. It stays in this tab only.'),
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'API token'), input),
    problem,
    h('p', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Log in')),
  );
  replace(main, form);
  input.focus();
}

window.addEventListener('hashchange', route);
window.addEventListener('gennaker:logout', () => {
  forgetRights();
  route();
});
route();
