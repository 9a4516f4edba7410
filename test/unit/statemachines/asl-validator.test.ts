/**
 * The tests' ASL validation (test/support/asl.ts) compiles asl-validator's schemas once per
 * worker instead of on every call, in the tests' copy and in the local engine's interpreter's. It must judge exactly as asl-validator does: for valid
 * definitions, for mistakes its schema finds and for those its later checks find (which run only
 * when the schema passes), both report the same problems, word for word.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { aslVerdicts, validateAsl } from '../../support/asl.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/asl');
const RUNNER_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:gennaker-stage-runner';

type Json = Record<string, unknown>;

/** A compiled fixture with the stage runner ARN substituted, as deployed. */
function fixture(name: string): Json {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8').replaceAll('${StageRunnerFunctionArn}', RUNNER_ARN)) as Json;
}

/** A copy of `definition` with `change` applied to its first state of type `type`. */
function withState(definition: Json, type: string, change: (state: Json) => void): Json {
  const copy = structuredClone(definition);
  const state = Object.values(copy.States as Record<string, Json>).find((candidate) => candidate.Type === type);
  if (!state) throw new Error(`no ${type} state`);
  change(state);
  return copy;
}

const diamond = fixture('diamond');
const cases: Array<[string, unknown]> = [
  ['a compiled fan-out, fan-in', diamond],
  ['a compiled canary child machine', fixture('canary-child.child-3')],
  ['StartAt naming no state', { ...structuredClone(diamond), StartAt: 'Nowhere' }],
  ['an unknown state type', withState(diamond, 'Task', (state) => void (state.Type = 'Sleep'))],
  ['a Resource that is not an ARN', withState(diamond, 'Task', (state) => void (state.Resource = 'lambda:stage-runner'))],
  ['a malformed JSONPath parameter', withState(diamond, 'Task', (state) => void (state.Parameters = { 'executionId.$': '$..[' }))],
  ['a ResultPath that is not a reference path', withState(diamond, 'Task', (state) => void (state.ResultPath = '$.a[?(@.b)]'))],
  ['a Choice rule with two comparisons', withState(diamond, 'Choice', (state) => void ((state.Choices as Json[])[0]!.NumericEquals = 1))],
  ['a Wait with both Seconds and SecondsPath', { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 1, SecondsPath: '$.s', End: true } } }],
  ['a JSONata state with a broken expression', { StartAt: 'P', QueryLanguage: 'JSONata', States: { P: { Type: 'Pass', Output: '{% $$.( %}', End: true } } }],
];

describe('the compiled ASL validator', () => {
  it.each(cases)('judges %s as asl-validator does', (_, definition) => {
    const verdicts = aslVerdicts(definition);
    expect(verdicts.tests).toEqual(verdicts.testsStock);
    expect(verdicts.interpreter).toEqual(verdicts.interpreterStock);
  });

  it('finds every mistake of the corpus (the cases are not all valid by accident)', () => {
    const verdicts = cases.map(([name, definition]) => [name, validateAsl(definition).length > 0]);
    expect(verdicts).toEqual(cases.map(([name], index) => [name, index >= 2]));
  });
});
