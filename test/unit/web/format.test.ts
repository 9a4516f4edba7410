import { describe, expect, it } from 'vitest';
import { awaitsJudgment, diffLines, durationOf, formatDuration, judgmentInputs, lineAndColumn, locatePointer, runParameters, sortIssues, statusTone } from '../../../web/src/format.ts';
import type { Stage } from '../../../web/src/model.ts';

describe('what the dashboard shows', () => {
  it('gives every status one of five tones', () => {
    expect(['RUNNING', 'SUCCEEDED', 'TERMINAL', 'FAILED_CONTINUE', 'STOPPED', 'CANCELED', 'SKIPPED', 'NOT_STARTED', 'PAUSED', 'BUFFERED'].map((status) => statusTone(status as Stage['status']))).toEqual([
      'running',
      'succeeded',
      'failed',
      'failed',
      'failed',
      'canceled',
      'canceled',
      'waiting',
      'waiting',
      'waiting',
    ]);
  });

  it('writes durations short, and a running one up to now', () => {
    expect([850, 12_400, 185_000, 3_725_000].map(formatDuration)).toEqual(['850ms', '12s', '3m 05s', '1h 02m']);
    expect(durationOf({ startTime: 1000, endTime: null }, 4000)).toBe('3s');
    expect(durationOf({ startTime: null, endTime: null }, 4000)).toBeUndefined();
  });

  it('knows a judgment that waits, and its inputs', () => {
    const judgment: Stage = { id: 'j', refId: '1', type: 'manualJudgment', name: 'Approve', status: 'RUNNING', context: { judgmentInputs: [{ value: 'ship' }, { value: 'hold' }, { nope: 1 }] }, outputs: {}, startTime: 1, endTime: null, requisiteStageRefIds: [] };
    expect(awaitsJudgment(judgment)).toBe(true);
    expect(awaitsJudgment({ ...judgment, context: { judgmentStatus: 'continue' } })).toBe(false);
    expect(judgmentInputs(judgment.context)).toEqual(['ship', 'hold']);
  });

  it('sends every parameter, defaults for untouched ones, and names a required one left empty', () => {
    const config = [{ name: 'version', required: true }, { name: 'region', default: 'local' }, { name: 'note', label: 'Release note', required: true, default: 'x' }];
    expect(runParameters(config, { version: '1.2', note: '' })).toEqual({ parameters: { version: '1.2', region: 'local', note: '' }, problems: ['Release note is required; enter a value'] });
    expect(runParameters(config, { version: '1.2' }).problems).toEqual([]);
  });

  it('finds the text a JSON pointer names, or its deepest existing parent', () => {
    // given
    const text = JSON.stringify({ application: 'app', 'a/b': 1, stages: [{ refId: '1', name: 'x' }, { refId: '2', waitTime: 'soon' }] }, null, 2);

    // then
    const at = (pointer: string) => {
      const { start, end } = locatePointer(text, pointer);
      return text.slice(start, end);
    };
    expect(at('/stages/1/waitTime')).toBe('"soon"');
    expect(at('/application')).toBe('"app"');
    expect(at('/a~1b')).toBe('1');
    expect(at('/stages/1/missing')).toBe(JSON.stringify({ refId: '2', waitTime: 'soon' }, null, 2).replace(/\n/g, '\n    '));
    expect(at('')).toBe(text);
    expect(lineAndColumn(text, locatePointer(text, '/stages/1/waitTime').start)).toEqual({ line: 11, column: 19 });
  });

  it('lists errors before warnings', () => {
    expect(sortIssues([{ pointer: '/b', code: 'w', message: 'w', severity: 'warning' }, { pointer: '/c', code: 'e', message: 'e', severity: 'error' }, { pointer: '/a', code: 'e', message: 'e' }]).map((issue) => issue.pointer)).toEqual(['/a', '/c', '/b']);
  });

  it('diffs two versions line by line', () => {
    expect(diffLines('a\nb\nc', 'a\nc\nd')).toEqual([
      { kind: ' ', text: 'a' },
      { kind: '-', text: 'b' },
      { kind: ' ', text: 'c' },
      { kind: '+', text: 'd' },
    ]);
  });
});
