/**
 * An application's pipelines: each with its last executions as coloured bars (newest right), a
 * run button that opens the parameter form of its `parameterConfig`, and a link to its editor.
 * The bars come from one call for the whole application (`executionSummaries`): the newest runs
 * of each pipeline read from the executions index, never their stages, so the page costs the same
 * with 10 or 10,000 executions.
 */
import { api, seg } from '../api.ts';
import { h, link, replace } from '../dom.ts';
import { durationOf, parameterLabel, runParameters, statusTone } from '../format.ts';
import type { ExecutionSummary } from '../../../core/execution/queries.ts';
import type { PipelineConfig } from '../model.ts';
import { breadcrumbs, errorLine, rightsOn, statusBadge, when } from '../ui.ts';

/** Executions shown per pipeline. */
const BARS = 12;
/** How often the bars refresh while an execution of the application runs. */
const REFRESH_MS = 3000;

export function pipelinesPage(root: HTMLElement, application: string, navigate: (route: string) => void): () => void {
  const app = application;
  const base = `/applications/${seg(app)}`;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const heading = [breadcrumbs(['Applications', '/'], app), h('h1', null, app), h('p', { class: 'toolbar' }, link(`${base}/clusters`, 'Clusters'), ' · ', link(`${base}/editor`, 'New pipeline'))];
  replace(root, heading, h('p', { class: 'muted' }, 'Loading…'));
  const list = h('div', { id: 'pipelines' });
  const dialogHost = h('div');

  const load = async () => {
    try {
      const [configs, executions, rights] = await Promise.all([api<PipelineConfig[]>('GET', `${base}/pipelineConfigs`), api<ExecutionSummary[]>('GET', `${base}/executionSummaries?limit=${BARS}`), rightsOn(app)]);
      if (stopped) return;
      const byConfig = new Map<string, ExecutionSummary[]>();
      for (const execution of executions) (byConfig.get(execution.pipelineConfigId) ?? byConfig.set(execution.pipelineConfigId, []).get(execution.pipelineConfigId)!).push(execution);
      const now = Date.now();
      replace(
        list,
        configs.length === 0
          ? h('p', { class: 'muted' }, 'This application has no pipelines yet.')
          : configs.map((config) => {
              const runs = (byConfig.get(config.id) ?? []).sort((a, b) => a.buildTime - b.buildTime);
              const last = runs[runs.length - 1];
              return h(
                'article',
                { class: 'pipeline card', 'data-pipeline': config.name },
                h(
                  'header',
                  null,
                  h('h2', null, config.name),
                  config.disabled ? h('span', { class: 'badge canceled' }, 'disabled') : null,
                  h(
                    'span',
                    { class: 'actions' },
                    link(`${base}/editor/${seg(config.name)}`, rights.WRITE ? 'Edit' : 'View JSON'),
                    rights.EXECUTE && !config.disabled ? h('button', { class: 'primary', type: 'button', onclick: () => openRunForm(config) }, 'Run') : null,
                  ),
                ),
                h(
                  'ol',
                  { class: 'bars', 'aria-label': `Last executions of ${config.name}` },
                  runs.map((run) =>
                    h(
                      'li',
                      null,
                      h('a', { class: `bar ${statusTone(run.status)}`, href: `#${base}/executions/${seg(run.id)}`, title: `${run.status} · ${when(run.buildTime)}${runTime(run, now) ? ` · ${runTime(run, now)}` : ''}` }, h('span', { class: 'visually-hidden' }, `${run.status} ${when(run.buildTime)}`)),
                    ),
                  ),
                ),
                last ? h('p', { class: 'small muted' }, 'Last: ', statusBadge(last.status), ` ${when(last.buildTime)}`) : h('p', { class: 'small muted' }, 'Never run.'),
              );
            }),
      );
      replace(root, heading, list, dialogHost);
      // The moment the page is usable, for the dashboard's figures (bench/dashboard.bench.ts).
      if (performance.getEntriesByName('pipelines-drawn').length === 0) performance.mark('pipelines-drawn');
      if (executions.some((execution) => execution.status === 'RUNNING' || execution.status === 'NOT_STARTED')) timer = setTimeout(() => void load(), REFRESH_MS);
    } catch (error) {
      if (!stopped) replace(root, heading, errorLine(error));
    }
  };

  const openRunForm = (config: PipelineConfig) => {
    const parameters = config.parameterConfig ?? [];
    const problems = h('div', { role: 'alert' });
    const fields = parameters.map((parameter) => {
      const id = `parameter-${parameter.name}`;
      const control =
        parameter.hasOptions && parameter.options && parameter.options.length > 0
          ? h('select', { id, name: parameter.name }, parameter.options.map((option) => h('option', { value: option.value, selected: option.value === parameter.default }, option.value)))
          : h('input', { id, name: parameter.name, value: parameter.default ?? '', required: parameter.required === true });
      return h('div', { class: 'field' }, h('label', { for: id }, parameterLabel(parameter), parameter.required ? ' *' : ''), control, parameter.description ? h('small', { class: 'muted' }, parameter.description) : null);
    });
    const dialog = h('dialog', { 'aria-labelledby': 'run-title' });
    const form = h(
      'form',
      {
        method: 'dialog',
        onsubmit: async (event: Event) => {
          event.preventDefault();
          const values = Object.fromEntries([...new FormData(form).entries()].map(([name, value]) => [name, String(value)]));
          const { parameters: chosen, problems: missing } = runParameters(parameters, values);
          if (missing.length > 0) return replace(problems, missing.map((problem) => h('p', { class: 'error' }, problem)));
          try {
            const started = await api<{ ref: string }>('POST', `/pipelines/${seg(app)}/${seg(config.id)}`, { type: 'manual', parameters: chosen });
            dialog.close();
            navigate(`${base}/executions/${started.ref.replace('/pipelines/', '')}`);
          } catch (error) {
            replace(problems, errorLine(error));
          }
        },
      },
      h('h2', { id: 'run-title' }, `Run ${config.name}`),
      parameters.length === 0 ? h('p', { class: 'muted' }, 'This pipeline takes no parameters.') : fields,
      problems,
      h('p', { class: 'actions' }, h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel'), h('button', { class: 'primary', type: 'submit', id: 'run-submit' }, 'Run')),
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

/** How long a run took (or has been running), from its summary. */
function runTime(run: ExecutionSummary, now: number): string | undefined {
  return durationOf({ startTime: run.startTime ?? null, endTime: run.endTime ?? null }, now);
}
