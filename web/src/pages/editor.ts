/**
 * The pipeline editor: the pipeline's JSON in a text area, validated as you type by the API
 * (`POST /pipelines/validate`), every issue listed with its JSON pointer and a button that
 * selects its place in the text, and a valid pipeline's compile report; save (optimistic, on
 * the version read); the saved versions, each with a diff against the text being edited.
 */
import { api, ApiError, seg } from '../api.ts';
import { h, replace } from '../dom.ts';
import { diffLines, lineAndColumn, locatePointer, sortIssues } from '../format.ts';
import type { Issue, PipelineConfig } from '../model.ts';
import { breadcrumbs, errorLine, isNotFound, rightsOn, when } from '../ui.ts';

/** Quiet time after the last keystroke before the text is validated. */
const VALIDATE_AFTER_MS = 300;

/** Fields the store sets on a saved version; the editor leaves them out of the text. */
const SERVER_FIELDS = ['version', 'updateTs', 'lastModifiedBy'];

function editableText(config: Record<string, unknown>): string {
  const copy = { ...config };
  for (const field of SERVER_FIELDS) delete copy[field];
  return JSON.stringify(copy, null, 2);
}

/** What a valid pipeline compiles to (`compile` of `POST /pipelines/validate`). */
interface CompileReport {
  readonly states: number;
  readonly definitionBytes: number;
  readonly worstCaseHistoryEvents: number;
  readonly limits: { readonly definitionBytes: number; readonly historyEvents: number };
  readonly children: readonly { readonly refId: string; readonly key: string; readonly worstCaseHistoryEvents: number }[];
  readonly addedOrderingEdges: readonly { readonly from: string; readonly to: string }[];
}

const count = (value: number) => value.toLocaleString('en');

function compileReport(report: CompileReport): HTMLElement {
  return h(
    'div',
    null,
    h('h3', null, 'Compiled'),
    h(
      'ul',
      { class: 'plain' },
      h('li', null, `${count(report.states)} states`),
      h('li', null, `${count(report.definitionBytes)} of ${count(report.limits.definitionBytes)} definition bytes`),
      h('li', null, `${count(report.worstCaseHistoryEvents)} of ${count(report.limits.historyEvents)} history events at most`),
      report.children.map((child) => h('li', null, `stage ${child.refId} runs as child state machine '${child.key}' (${count(child.worstCaseHistoryEvents)} history events at most in its own history)`)),
      report.addedOrderingEdges.map((edge) => h('li', null, `added ordering edge ${edge.from} → ${edge.to} (stage ${edge.to} also waits for ${edge.from})`)),
    ),
  );
}

export function editorPage(root: HTMLElement, application: string, name: string | undefined, navigate: (route: string) => void): () => void {
  const base = `/applications/${seg(application)}`;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let version: number | undefined;
  let checking = 0;
  const text = h('textarea', { id: 'pipeline-json', class: 'code', spellcheck: 'false', rows: 28, 'aria-describedby': 'issues-heading' });
  const verdict = h('p', { id: 'verdict', role: 'status' });
  const issues = h('ol', { id: 'issues', class: 'issues' });
  const report = h('div', { id: 'compile-report' });
  const history = h('div', { id: 'history' });
  const status = h('div', { role: 'alert' });
  const save = h('button', { type: 'button', class: 'primary', id: 'save-pipeline', disabled: true }, 'Save');
  replace(
    root,
    breadcrumbs(['Applications', '/'], [application, base], name ?? 'New pipeline'),
    h('h1', null, name ? `Edit ${name}` : 'New pipeline'),
    h('div', { class: 'editor' }, h('div', null, h('label', { for: 'pipeline-json' }, 'Pipeline JSON'), text, h('p', { class: 'actions' }, save), status), h('div', null, h('h2', { id: 'issues-heading' }, 'Validation'), verdict, issues, report, history)),
  );

  const select = (issue: Issue) => {
    const place = locatePointer(text.value, issue.pointer);
    text.focus();
    text.setSelectionRange(place.start, place.end);
    // Scroll the selection into view: the line's share of the whole text.
    const { line } = lineAndColumn(text.value, place.start);
    text.scrollTop = Math.max(0, ((line - 3) / text.value.split('\n').length) * text.scrollHeight);
  };

  const showIssues = (found: readonly Issue[], valid: boolean) => {
    const sorted = sortIssues(found);
    replace(verdict, valid ? (sorted.length ? `Valid, with ${sorted.length} warning${sorted.length === 1 ? '' : 's'}.` : 'Valid.') : `${sorted.filter((issue) => issue.severity !== 'warning').length} error(s).`);
    verdict.className = valid ? 'ok' : 'error';
    replace(
      issues,
      sorted.map((issue) => {
        const { line, column } = lineAndColumn(text.value, locatePointer(text.value, issue.pointer).start);
        return h(
          'li',
          { class: issue.severity === 'warning' ? 'warning' : 'error', 'data-pointer': issue.pointer },
          h('button', { type: 'button', class: 'link', onclick: () => select(issue), title: 'Select it in the editor' }, `${issue.pointer || '/'} (line ${line}, column ${column})`),
          ` ${issue.message}`,
        );
      }),
    );
  };

  const validate = async () => {
    const mine = ++checking;
    let document: unknown;
    try {
      document = JSON.parse(text.value);
    } catch (error) {
      save.disabled = true;
      replace(verdict, `Not JSON: ${(error as Error).message}`);
      verdict.className = 'error';
      replace(issues);
      return;
    }
    try {
      const answer = await api<{ valid: boolean; issues: Issue[]; compile?: CompileReport }>('POST', '/pipelines/validate', document);
      if (mine !== checking || stopped) return;
      save.disabled = !answer.valid || !canWrite;
      showIssues(answer.issues, answer.valid);
      replace(report, answer.compile ? compileReport(answer.compile) : null);
    } catch (error) {
      if (mine === checking) replace(verdict, errorLine(error));
    }
  };

  let canWrite = false;
  text.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void validate(), VALIDATE_AFTER_MS);
  });

  save.addEventListener('click', async () => {
    replace(status);
    try {
      const document = JSON.parse(text.value) as Record<string, unknown>;
      const saved = await api<{ name: string; version: number }>('POST', `/pipelines${version === undefined ? '' : `?expectVersion=${version}`}`, document);
      version = saved.version;
      replace(status, h('p', { class: 'notice' }, `Saved version ${saved.version}.`));
      if (saved.name !== name) navigate(`${base}/editor/${seg(saved.name)}`);
      else void loadHistory();
    } catch (error) {
      if (error instanceof ApiError && error.issues.length > 0) showIssues(error.issues, false);
      replace(status, errorLine(error));
    }
  });

  const loadHistory = async () => {
    if (name === undefined) return;
    const versions = await api<PipelineConfig[]>('GET', `${base}/pipelineConfigs/${seg(name)}/history?limit=20`);
    if (stopped) return;
    const diff = h('div', { id: 'diff' });
    replace(
      history,
      h('h2', null, 'Versions'),
      h(
        'ol',
        { class: 'plain versions' },
        versions.map((saved) =>
          h(
            'li',
            null,
            `v${saved.version} · ${when(saved.updateTs)}${saved.lastModifiedBy ? ` · ${saved.lastModifiedBy}` : ''} `,
            h(
              'button',
              {
                type: 'button',
                class: 'link',
                onclick: () =>
                  replace(
                    diff,
                    h('h3', null, `v${saved.version} → the text above`),
                    h('pre', { class: 'diff' }, diffLines(editableText(saved), text.value).filter((line, index, lines) => line.kind !== ' ' || lines.slice(Math.max(0, index - 2), index + 3).some((near) => near.kind !== ' ')).map((line) => h('span', { class: line.kind === '+' ? 'added' : line.kind === '-' ? 'removed' : '' }, `${line.kind} ${line.text}\n`))),
                  ),
              },
              'Diff',
            ),
          ),
        ),
      ),
      diff,
    );
  };

  void (async () => {
    try {
      const rights = await rightsOn(application);
      canWrite = rights.WRITE;
      if (!canWrite) {
        text.readOnly = true;
        replace(status, h('p', { class: 'muted' }, `You (${rights.user}) may read but not change this application's pipelines.`));
      }
      if (name === undefined) {
        text.value = JSON.stringify({ application, name: 'new-pipeline', stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Wait', waitTime: 5 }], triggers: [], parameterConfig: [] }, null, 2);
      } else {
        const config = await api<PipelineConfig>('GET', `${base}/pipelineConfigs/${seg(name)}`);
        version = config.version;
        text.value = editableText(config);
        await loadHistory();
      }
      await validate();
    } catch (error) {
      replace(status, isNotFound(error) ? h('p', { class: 'error' }, `No pipeline '${name}' in ${application}.`) : errorLine(error));
    }
  })();

  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
