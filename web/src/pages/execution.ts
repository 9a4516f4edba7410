/**
 * One execution, live: the stage graph in columns by depth (fan-out and fan-in drawn), each
 * stage's status, duration and failure reason; the selected stage's synthetic stages, tasks,
 * context and outputs (redacted by the API); judgment, cancel and restart buttons for callers
 * with EXECUTE; an expression evaluator against the execution. Updates come from the API's
 * long-poll (`GET /pipelines/{id}/changes`), so the page changes as soon as the execution does,
 * without reloading.
 */
import { executionFailureReason, stageFailureReason } from '../../../core/execution/failure-reason.ts';
import { api, ApiError, seg } from '../api.ts';
import { h, link, replace, svg } from '../dom.ts';
import { awaitsJudgment, durationOf, judgmentInputs, statusTone } from '../format.ts';
import { layoutStages, NODE_HEIGHT, NODE_WIDTH, syntheticStagesOf } from '../graph.ts';
import type { Execution, Rights, Stage } from '../model.ts';
import { breadcrumbs, errorLine, rightsOn, statusBadge, when } from '../ui.ts';

const FINISHED = new Set(['SUCCEEDED', 'TERMINAL', 'CANCELED', 'STOPPED', 'SKIPPED', 'FAILED_CONTINUE']);

export function executionPage(root: HTMLElement, application: string, id: string, navigate: (route: string) => void): () => void {
  const base = `/applications/${seg(application)}`;
  const abort = new AbortController();
  let execution: Execution | undefined;
  let rights: Rights | undefined;
  let selected: string | undefined;
  /** What the selected stage looked like when its panel was drawn: a panel is redrawn only when it changed (a half-filled judgment form survives updates). */
  let drawnPanel = '';
  const summary = h('div', { id: 'execution-summary' });
  const graph = h('div', { class: 'graph-scroll', id: 'graph' });
  const panel = h('div', { id: 'stage-panel', 'aria-live': 'polite' });
  const problems = h('div', { role: 'alert' });
  replace(root, breadcrumbs(['Applications', '/'], [application, base], `Execution ${id}`), summary, problems, graph, panel, evaluator());

  const act = async (what: () => Promise<unknown>) => {
    replace(problems);
    try {
      await what();
    } catch (error) {
      replace(problems, errorLine(error));
    }
  };

  const drawSummary = (now: number) => {
    const run = execution!;
    const reason = executionFailureReason(run);
    const running = !FINISHED.has(run.status);
    replace(
      summary,
      h('h1', null, run.name, ' ', statusBadge(run.status)),
      run.stages.some((stage) => stage.type === 'kayentaCanary' || stage.context['strategy'] === 'canary') ? h('p', null, link(`${base}/executions/${seg(run.id)}/canary`, 'Canary report')) : null,
      h('p', { class: 'muted' }, `Started ${when(run.startTime ?? run.buildTime)}`, durationOf(run, now) ? ` · ${durationOf(run, now)}` : '', ` · by ${String((run.trigger['user'] as string | undefined) ?? 'anonymous')}`),
      reason ? h('p', { class: 'reason' }, reason) : null,
      rights?.EXECUTE && running
        ? h('p', { class: 'actions' }, h('button', { type: 'button', class: 'danger', id: 'cancel-execution', onclick: () => act(() => api('PUT', `/pipelines/${seg(run.id)}/cancel?reason=${encodeURIComponent('canceled from the dashboard')}`)) }, 'Cancel execution'))
        : null,
    );
  };

  const drawGraph = (now: number) => {
    const layout = layoutStages(execution!.stages);
    const lines = svg('svg', { class: 'edges', width: layout.width, height: layout.height, 'aria-hidden': 'true' }, ...layout.edges.map((edge) => svg('path', { d: edge.path })));
    const nodes = layout.nodes.map(({ stage, x, y, synthetic }) => {
      const reason = stageFailureReason(stage);
      const waiting = awaitsJudgment(stage);
      return h(
        'button',
        {
          type: 'button',
          class: `node ${statusTone(stage.status)}${stage.id === selected ? ' selected' : ''}${waiting ? ' attention' : ''}`,
          style: `left:${x}px;top:${y}px;width:${NODE_WIDTH}px;height:${NODE_HEIGHT}px`,
          'data-ref-id': stage.refId,
          'data-status': stage.status,
          'aria-pressed': stage.id === selected ? 'true' : 'false',
          onclick: () => {
            selected = stage.id;
            drawnPanel = '';
            draw();
          },
        },
        h('span', { class: 'node-name' }, stage.name),
        h('span', { class: 'node-meta' }, stage.status.replace(/_/g, ' ').toLowerCase(), durationOf(stage, now) ? ` · ${durationOf(stage, now)}` : '', synthetic.length ? ` · ${synthetic.length} synthetic` : '', waiting ? ' · judgment' : ''),
        reason ? h('span', { class: 'node-reason', title: reason }, reason) : null,
      );
    });
    replace(graph, h('div', { class: 'graph', style: `width:${layout.width}px;height:${layout.height}px`, role: 'group', 'aria-label': 'Stages' }, lines, nodes));
  };

  const judgmentForm = (stage: Stage) => {
    const inputs = judgmentInputs(stage.context);
    const instructions = stage.context['instructions'];
    const choice = h('select', { id: 'judgment-input' }, h('option', { value: '' }, '(no input)'), inputs.map((input) => h('option', { value: input }, input)));
    const answer = (judgmentStatus: 'continue' | 'stop') =>
      act(async () => {
        const body: Record<string, string> = { judgmentStatus };
        if (choice.value !== '') body['judgmentInput'] = choice.value;
        execution = await api<Execution>('PATCH', `/pipelines/${seg(execution!.id)}/stages/${seg(stage.id)}`, body);
        drawnPanel = '';
        draw();
      });
    return h(
      'form',
      { class: 'judgment', onsubmit: (event: Event) => event.preventDefault() },
      h('h3', null, 'Manual judgment'),
      typeof instructions === 'string' && instructions !== '' ? h('p', { class: 'instructions' }, instructions) : null,
      inputs.length > 0 ? h('div', { class: 'field' }, h('label', { for: 'judgment-input' }, 'Input'), choice) : null,
      h('p', { class: 'actions' }, h('button', { type: 'button', class: 'primary', id: 'judge-continue', onclick: () => answer('continue') }, 'Continue'), h('button', { type: 'button', class: 'danger', id: 'judge-stop', onclick: () => answer('stop') }, 'Stop')),
    );
  };

  const drawPanel = (now: number) => {
    const run = execution!;
    const stage = run.stages.find((candidate) => candidate.id === selected) ?? run.stages.find(awaitsJudgment) ?? run.stages.find((candidate) => candidate.status === 'RUNNING' && candidate.parentStageId === undefined);
    if (!stage) return replace(panel, h('p', { class: 'muted' }, 'Select a stage to see its details.'));
    const key = JSON.stringify([stage, rights?.EXECUTE]);
    if (key === drawnPanel) return;
    drawnPanel = key;
    const reason = stageFailureReason(stage);
    const synthetic = syntheticStagesOf(run.stages, stage);
    const restartable = rights?.EXECUTE && stage.parentStageId === undefined && (stage.status === 'TERMINAL' || stage.status === 'CANCELED' || stage.status === 'STOPPED') && FINISHED.has(run.status);
    replace(
      panel,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'stage-title' },
        h('h2', { id: 'stage-title' }, stage.name, ' ', statusBadge(stage.status)),
        h('p', { class: 'muted' }, `${stage.type} · refId ${stage.refId}`, stage.startTime ? ` · started ${when(stage.startTime)}` : '', durationOf(stage, now) ? ` · ${durationOf(stage, now)}` : ''),
        reason ? h('p', { class: 'reason' }, reason) : null,
        awaitsJudgment(stage) && rights?.EXECUTE ? judgmentForm(stage) : awaitsJudgment(stage) ? h('p', { class: 'muted' }, 'Waiting for a judgment by a user with EXECUTE.') : null,
        restartable ? h('p', { class: 'actions' }, h('button', { type: 'button', id: 'restart-stage', onclick: () => act(async () => navigate(`${base}/executions/${(await api<{ ref: string }>('PUT', `/pipelines/${seg(run.id)}/stages/${seg(stage.id)}/restart`)).ref.replace('/pipelines/', '')}`)) }, 'Restart from this stage')) : null,
        synthetic.length > 0
          ? h('div', null, h('h3', null, 'Synthetic stages'), h('ul', { class: 'plain' }, synthetic.map((child) => h('li', null, statusBadge(child.status), ` ${child.name} `, h('span', { class: 'muted' }, `${child.syntheticStageOwner === 'STAGE_AFTER' ? 'after' : 'before'} · ${child.type}${durationOf(child, now) ? ` · ${durationOf(child, now)}` : ''}`), stageFailureReason(child) ? h('div', { class: 'reason' }, stageFailureReason(child)) : null))))
          : null,
        stage.tasks && stage.tasks.length > 0 ? h('div', null, h('h3', null, 'Tasks'), h('ol', { class: 'plain' }, stage.tasks.map((task) => h('li', null, statusBadge(task.status), ` ${task.name}`, durationOf(task, now) ? h('span', { class: 'muted' }, ` ${durationOf(task, now)}`) : null)))) : null,
        h('details', null, h('summary', null, 'Context'), h('pre', null, JSON.stringify(stage.context, null, 2))),
        h('details', { open: Object.keys(stage.outputs).length > 0 }, h('summary', null, 'Outputs'), h('pre', null, JSON.stringify(stage.outputs, null, 2))),
      ),
    );
  };

  /** The expression evaluator: an expression against the execution, or as the selected stage sees it (Gate's evaluateExpression). */
  function evaluator(): HTMLElement {
    const input = h('input', { id: 'expression', class: 'code', placeholder: '${trigger.parameters.env}', size: 60 });
    const asStage = h('input', { id: 'expression-as-stage', type: 'checkbox' });
    const result = h('div', { id: 'expression-result', 'aria-live': 'polite' });
    const form = h(
      'form',
      {
        class: 'card',
        onsubmit: async (event: Event) => {
          event.preventDefault();
          const stage = asStage.checked ? execution?.stages.find((candidate) => candidate.id === selected) : undefined;
          const where = stage ? `/pipelines/${seg(id)}/${seg(stage.id)}/evaluateExpression` : `/pipelines/${seg(id)}/evaluateExpression`;
          try {
            const answer = await api<{ result: unknown; detail?: unknown }>('GET', `${where}?expression=${encodeURIComponent(input.value)}`);
            replace(result, h('pre', null, JSON.stringify(answer.result, null, 2)), answer.detail === undefined ? null : h('details', { open: true }, h('summary', null, 'Why it did not evaluate'), h('pre', { class: 'reason' }, JSON.stringify(answer.detail, null, 2))));
          } catch (error) {
            replace(result, errorLine(error));
          }
        },
      },
      h('h2', null, 'Evaluate an expression'),
      h('div', { class: 'field' }, h('label', { for: 'expression' }, 'Expression'), input),
      h('p', { class: 'toolbar' }, asStage, h('label', { for: 'expression-as-stage' }, 'as the selected stage sees it'), h('button', { type: 'submit', id: 'evaluate' }, 'Evaluate')),
      result,
    );
    return form;
  }

  const draw = () => {
    if (!execution) return;
    const now = Date.now();
    drawSummary(now);
    drawGraph(now);
    drawPanel(now);
  };

  const watch = async () => {
    let version: string | undefined;
    try {
      rights = await rightsOn(application);
    } catch {
      rights = undefined;
    }
    while (!abort.signal.aborted) {
      try {
        const query = version === undefined ? 'waitSeconds=0' : `since=${version}&waitSeconds=20`;
        const answer = await api<{ version: string; execution: Execution }>('GET', `/pipelines/${seg(id)}/changes?${query}`, undefined, abort.signal);
        const changed = answer.version !== version;
        version = answer.version;
        execution = answer.execution;
        if (changed) {
          root.dataset['status'] = execution.status;
          draw();
          // When the page first showed the execution (the benchmark reads it).
          if (performance.getEntriesByName('execution-drawn').length === 0) performance.mark('execution-drawn');
        }
        if (FINISHED.has(execution.status) && !execution.stages.some((stage) => stage.status === 'RUNNING')) return;
      } catch (error) {
        if (abort.signal.aborted) return;
        replace(problems, errorLine(error));
        if (error instanceof ApiError && error.status < 500) return;
        // The server restarted or the network blinked: try again shortly.
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  };
  void watch();
  return () => abort.abort();
}

/** The execution route's link, for other pages. */
export function executionLink(application: string, id: string, text: string): HTMLAnchorElement {
  return link(`/applications/${seg(application)}/executions/${seg(id)}`, text);
}
