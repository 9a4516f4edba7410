/**
 * Text the pages show: durations, statuses, the judgment a stage waits for, a JSON pointer's
 * place in a document's text. Pure: no DOM, no clock (callers pass `now`).
 */
import type { Issue, JsonObject, ParameterConfig, Stage, Status } from './model.ts';

/** A status's colour class: every status reads as one of five (Deck's palette). */
export function statusTone(status: Status): 'running' | 'succeeded' | 'failed' | 'canceled' | 'waiting' {
  switch (status) {
    case 'RUNNING':
      return 'running';
    case 'SUCCEEDED':
      return 'succeeded';
    case 'TERMINAL':
    case 'FAILED_CONTINUE':
    case 'STOPPED':
      return 'failed';
    case 'CANCELED':
    case 'SKIPPED':
      return 'canceled';
    default:
      return 'waiting';
  }
}

/** `1h 02m`, `3m 05s`, `12s`, `850ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** How long it ran (or runs, until `now`); undefined before it started. */
export function durationOf(item: { readonly startTime: number | null; readonly endTime: number | null }, now: number): string | undefined {
  if (item.startTime === null) return undefined;
  return formatDuration((item.endTime ?? now) - item.startTime);
}

/** True when the stage is a manual judgment waiting for an answer. */
export function awaitsJudgment(stage: Stage): boolean {
  return stage.type === 'manualJudgment' && stage.status === 'RUNNING' && stage.context['judgmentStatus'] === undefined;
}

/** The choices a judgment offers (`judgmentInputs[].value`). */
export function judgmentInputs(context: JsonObject): string[] {
  const inputs = context['judgmentInputs'];
  if (!Array.isArray(inputs)) return [];
  return inputs.flatMap((input) => (input !== null && typeof input === 'object' && !Array.isArray(input) && typeof input['value'] === 'string' ? [input['value']] : []));
}

/** A parameter's label: its `label`, else its name. */
export function parameterLabel(parameter: ParameterConfig): string {
  return parameter.label !== undefined && parameter.label.trim() !== '' ? parameter.label : parameter.name;
}

/** The parameters a run form sends: every field as typed; a required one left empty is a problem naming it. */
export function runParameters(config: readonly ParameterConfig[], values: Readonly<Record<string, string>>): { parameters: Record<string, string>; problems: string[] } {
  const parameters: Record<string, string> = {};
  const problems: string[] = [];
  for (const parameter of config) {
    const value = values[parameter.name] ?? parameter.default ?? '';
    if (parameter.required === true && value.trim() === '') problems.push(`${parameterLabel(parameter)} is required; enter a value`);
    parameters[parameter.name] = value;
  }
  return { parameters, problems };
}

/** The text of a JSON pointer's reference tokens (`~1` is `/`, `~0` is `~`). */
function pointerTokens(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer.replace(/^\//, '').split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Where in `text` (JSON) the value at `pointer` starts, as offsets [start, end) of the deepest
 * part found (a pointer into a missing field lands on its parent): the editor selects it.
 */
export function locatePointer(text: string, pointer: string): { start: number; end: number } {
  const tokens = pointerTokens(pointer);
  let index = 0;
  const skipSpace = () => {
    while (index < text.length && /\s/.test(text[index]!)) index++;
  };
  const skipString = () => {
    index++;
    while (index < text.length && text[index] !== '"') index += text[index] === '\\' ? 2 : 1;
    index++;
  };
  /** Skips one value from `index`; nested brackets and strings counted. */
  const skipValue = () => {
    skipSpace();
    const first = text[index];
    if (first === '"') return skipString();
    if (first === '{' || first === '[') {
      let depth = 0;
      while (index < text.length) {
        const char = text[index];
        if (char === '"') {
          skipString();
          continue;
        }
        if (char === '{' || char === '[') depth++;
        if (char === '}' || char === ']') depth--;
        index++;
        if (depth === 0) return;
      }
      return;
    }
    while (index < text.length && !/[,}\]\s]/.test(text[index]!)) index++;
  };
  skipSpace();
  let start = index;
  for (const token of tokens) {
    skipSpace();
    const open = text[index];
    let found = false;
    if (open === '{') {
      index++;
      for (;;) {
        skipSpace();
        if (text[index] !== '"') break;
        const keyStart = index;
        skipString();
        let key: unknown;
        try {
          key = JSON.parse(text.slice(keyStart, index));
        } catch {
          break;
        }
        skipSpace();
        index++; // the colon
        skipSpace();
        if (key === token) {
          found = true;
          break;
        }
        skipValue();
        skipSpace();
        if (text[index] !== ',') break;
        index++;
      }
    } else if (open === '[') {
      index++;
      const wanted = Number(token);
      for (let position = 0; Number.isInteger(wanted); position++) {
        skipSpace();
        if (text[index] === ']') break;
        if (position === wanted) {
          found = true;
          break;
        }
        skipValue();
        skipSpace();
        if (text[index] !== ',') break;
        index++;
      }
    }
    if (!found) break;
    start = index;
  }
  index = start;
  skipValue();
  return { start, end: Math.max(start, index) };
}

/** 1-based line and column of an offset in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/** Issues errors first, then warnings, each group in document order of its pointer. */
export function sortIssues(issues: readonly Issue[]): Issue[] {
  const rank = (issue: Issue) => (issue.severity === 'warning' ? 1 : 0);
  return [...issues].sort((a, b) => rank(a) - rank(b) || a.pointer.localeCompare(b.pointer));
}

/** One line of a diff: kept, removed from the old text, or added in the new. */
export interface DiffLine {
  readonly kind: ' ' | '-' | '+';
  readonly text: string;
}

/** A line diff (longest common subsequence) of two texts; a diff past `limit` lines on either side shows both whole. */
export function diffLines(before: string, after: string, limit = 1500): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length > limit || b.length > limit) return [...a.map((text) => ({ kind: '-' as const, text })), ...b.map((text) => ({ kind: '+' as const, text }))];
  const lengths: Uint32Array[] = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lengths[i]![j] = a[i] === b[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
  }
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      lines.push({ kind: ' ', text: a[i]! });
      i++;
      j++;
    } else if (lengths[i + 1]![j]! >= lengths[i]![j + 1]!) lines.push({ kind: '-', text: a[i++]! });
    else lines.push({ kind: '+', text: b[j++]! });
  }
  while (i < a.length) lines.push({ kind: '-', text: a[i++]! });
  while (j < b.length) lines.push({ kind: '+', text: b[j++]! });
  return lines;
}
