/**
 * The canary report of an execution: the API's self-contained HTML page (inline CSS and SVG, no
 * scripts), fetched with the user's token and shown in a sandboxed frame that may run nothing.
 */
import { apiHtml, seg } from '../api.ts';
import { h, replace } from '../dom.ts';
import { breadcrumbs, errorLine } from '../ui.ts';

export function canaryPage(root: HTMLElement, application: string, id: string): () => void {
  const base = `/applications/${seg(application)}`;
  let stopped = false;
  const body = h('div', { id: 'canary' }, h('p', { class: 'muted' }, 'Loading…'));
  replace(root, breadcrumbs(['Applications', '/'], [application, base], [`Execution ${id}`, `${base}/executions/${seg(id)}`], 'Canary report'), h('h1', null, 'Canary report'), body);
  void (async () => {
    try {
      const html = await apiHtml(`/pipelines/${seg(id)}/canaryReport`);
      if (stopped) return;
      // `data-loaded` says the frame has drawn the report (the frame's document cannot be read from here).
      replace(body, h('iframe', { class: 'report', title: `Canary report of execution ${id}`, sandbox: '', srcdoc: html, onload: (event: Event) => (event.target as HTMLIFrameElement).setAttribute('data-loaded', '') }));
    } catch (error) {
      if (!stopped) replace(body, errorLine(error));
    }
  })();
  return () => {
    stopped = true;
  };
}
