/**
 * Two things about how the CLI writes to a terminal or a pipe: the list of supported types is
 * printed once per run, not on every issue that would repeat it; and a reader that closes the
 * pipe (`| head -1`) ends the process quietly instead of with a stack trace.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runValidate } from '../../../cli/commands/validate.ts';
import { createListOnce, createTerminalIoHost, exitQuietlyOnClosedPipe } from '../../../cli/terminal-io-host.ts';
import { SUPPORTED_TRIGGER_TYPES } from '../../../core/pipeline/triggers/index.ts';

/** The lines `gennaker validate` prints for these documents, stdout and stderr together. */
async function validateOutput(...documents: Array<{ source: string; input: unknown }>): Promise<string[]> {
  let written = '';
  const write = (text: string) => {
    written += text;
    return true;
  };
  const io = createTerminalIoHost({ stdout: { write }, stderr: { write } });
  const byPath = new Map(documents.map((document) => [document.source, document]));
  await runValidate({ files: documents.map((document) => document.source), json: false }, io, async (path) => ({
    source: path,
    pipelines: [{ pointer: '', input: byPath.get(path)!.input }],
    issues: [],
  }));
  return written.split('\n').filter((line) => line !== '');
}

const stage = (refId: string, type: string) => ({ refId, type, name: `Stage ${refId}`, requisiteStageRefIds: [] });

describe('the supported types, once per run', () => {
  it('lists the supported stage types on the first unsupported stage only, across files', async () => {
    const lines = await validateOutput(
      { source: 'one.json', input: { application: 'a', name: 'One', stages: [stage('1', 'concourse'), stage('2', 'script'), stage('3', 'googleCloudBuild')] } },
      { source: 'two.json', input: { application: 'a', name: 'Two', stages: [stage('1', 'deployCloudFormation'), stage('2', 'wiat')] } },
    );
    const issues = lines.filter((line) => line.includes('/type:'));
    expect(issues).toHaveLength(5);
    const listing = issues.filter((line) => line.includes('manualJudgment'));
    expect(listing).toHaveLength(1);
    expect(issues[0]).toMatch(/^one\.json#\/stages\/0\/type: stage type 'concourse' is not supported yet; use one of awsCodeBuild, bake, .*manualJudgment.* \[error\]$/);
    expect(issues[1]).toBe("one.json#/stages/1/type: stage type 'script' is not supported yet; use one of the types listed above [error]");
    expect(issues[3]).toBe("two.json#/stages/0/type: stage type 'deployCloudFormation' is not supported yet; use one of the types listed above [error]");
    expect(issues[4]).toBe("two.json#/stages/1/type: stage type 'wiat' is unknown (did you mean 'wait'?); supported types listed above [error]");
  });

  it('keeps the trigger types list apart from the stage types list', async () => {
    const lines = await validateOutput({
      source: 'p.json',
      input: { application: 'a', name: 'P', triggers: [{ type: 'concourse', enabled: true }, { type: 'nexus', enabled: true }], stages: [stage('1', 'concourse')] },
    });
    const triggerList = SUPPORTED_TRIGGER_TYPES.join(', ');
    expect(lines.filter((line) => line.includes(triggerList))).toHaveLength(1);
    expect(lines.filter((line) => line.includes('manualJudgment'))).toHaveLength(1);
    expect(lines.find((line) => line.startsWith('p.json#/triggers/1/type:'))).toContain('use one of the types listed above');
  });

  it('leaves short lists of values on every line, and each message the first time', () => {
    const once = createListOnce();
    const short = "deploy strategy 'blue' is not supported yet; use one of redblack, highlander, rollingredblack";
    expect(once(short)).toBe(short);
    expect(once(short)).toBe(short);
    const disabled = "trigger type 'jenkins' is not supported yet; this trigger is disabled, so it is kept and ignored (supported types: a, b, c, d, e, f)";
    expect(once(disabled)).toBe(disabled);
    expect(once(disabled)).toBe("trigger type 'jenkins' is not supported yet; this trigger is disabled, so it is kept and ignored (supported types listed above)");
  });
});

/** A stream whose every write fails with `code`, as a pipe whose reader went away fails with EPIPE. */
function failingStream(code: string): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback(Object.assign(new Error(`write ${code}`), { code, syscall: 'write' }));
    },
  });
}

describe('a closed pipe', () => {
  it('ends the process quietly with exit code 0 on EPIPE', async () => {
    const stream = failingStream('EPIPE');
    const exits: number[] = [];
    exitQuietlyOnClosedPipe(stream, (code) => void exits.push(code));
    stream.write('first line\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(exits).toEqual([0]);
  });

  it('raises any other write error as before', () => {
    const stream = failingStream('EIO');
    exitQuietlyOnClosedPipe(stream, () => {
      throw new Error('must not exit');
    });
    // The listener rethrows; Node would make it an uncaught exception.
    expect(() => stream.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }))).toThrow('write EIO');
  });
});
