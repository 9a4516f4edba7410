/**
 * State names: readable (stage name and refId), safe for Step Functions (≤ 80 characters, a
 * conservative character set), unique across the whole machine, stable.
 */
import { describe, expect, it } from 'vitest';
import { compilePipeline, walkStates } from '../../../statemachines/index.ts';
import { MAX_STATE_NAME_LENGTH, nameStages, sanitizeText } from '../../../statemachines/names.ts';
import type { IrStage } from '../../../statemachines/ir.ts';
import { validateAsl } from '../../support/asl.ts';
import { poll, run, testPipeline } from '../../support/pipeline-builder.ts';

const SAFE = /^[A-Za-z0-9 \-_.()#:[\]]+$/;

const irStage = (refId: string, name: string, steps: string[] = ['run']): IrStage => ({
  refId,
  name,
  type: 'evaluateVariables',
  index: 0,
  steps: steps.map((step) => ({ name: step, kind: 'run', maxPolls: 1 })),
});

describe('sanitizeText', () => {
  it.each([
    ['Deploy to prod', 'Deploy to prod'],
    ['Déploiement en prod', 'Deploiement en prod'],
    ['Deploy → prod', 'Deploy _ prod'],
    ['a/b\\c"d', 'a_b_c_d'],
    ['  many   spaces\tand\ttabs\n', 'many spaces and tabs'],
    ['keeps -_.()#: as they are', 'keeps -_.()#: as they are'],
    ['brackets [x] and {y}', 'brackets _x_ and _y_'],
    ['emoji 🚀 launch', 'emoji _ launch'],
    ['$ & , ; ? * ~ ` | ^ %', '_ _ _ _ _ _ _ _ _ _ _'],
  ])('turns %j into %j', (input, expected) => {
    expect(sanitizeText(input)).toBe(expected);
  });
});

describe('nameStages', () => {
  it('names a one-step stage after the stage and its refId', () => {
    const names = nameStages([irStage('2', 'Deploy to prod')]).get('2')!;
    expect(names).toEqual({
      tasks: ['Deploy to prod [2]'],
      waits: ['Deploy to prod [2] wait'],
      routes: ['Deploy to prod [2] route'],
      fault: 'Deploy to prod [2] fault',
    });
  });

  it('adds the step name for each step of a longer plan', () => {
    const names = nameStages([irStage('2', 'Deploy to prod', ['createServerGroup', 'waitForUpInstances'])]).get('2')!;
    expect(names.tasks).toEqual(['Deploy to prod [2] createServerGroup', 'Deploy to prod [2] waitForUpInstances']);
    expect(names.waits[1]).toBe('Deploy to prod [2] waitForUpInstances wait');
    expect(names.routes[0]).toBe('Deploy to prod [2] createServerGroup route');
    expect(names.fault).toBe('Deploy to prod [2] fault');
  });

  it('cuts long names to 80 characters, keeping the refId and step', () => {
    const long = 'A very long stage name that goes on and on well past anything Step Functions accepts';
    const names = nameStages([irStage('17', long, ['waitForUpInstancesAndThenSomeMoreWaiting', 'b'])]).get('17')!;
    for (const name of [...names.tasks, ...names.waits, ...names.routes, names.fault]) {
      expect(name.length).toBeLessThanOrEqual(MAX_STATE_NAME_LENGTH);
      expect(name).toContain('[17]');
    }
    expect(names.waits[0]).toMatch(/^A very long .* \[17\] waitForUpInstancesAndThenSomeMoreWaiting wait$/);
  });

  it('cuts very long refIds and step names with a hash, keeping them apart', () => {
    const refA = 'a-refid-that-is-far-too-long-to-show-whole-0001';
    const refB = 'a-refid-that-is-far-too-long-to-show-whole-0002';
    const names = nameStages([irStage(refA, 'x', ['s'.repeat(60) + '1', 's'.repeat(60) + '2']), irStage(refB, 'x')]);
    const all = [...names.values()].flatMap((n) => [...n.tasks, ...n.waits, ...n.routes, n.fault]);
    expect(new Set(all).size).toBe(all.length);
    for (const name of all) expect(name.length).toBeLessThanOrEqual(MAX_STATE_NAME_LENGTH);
  });

  it('tells apart refIds that read the same once sanitized', () => {
    const names = nameStages([irStage('a/b', 'Same'), irStage('a_b', 'Same'), irStage('a b', 'Same')]);
    const tasks = [...names.values()].map((n) => n.tasks[0]);
    expect(new Set(tasks).size).toBe(3);
  });

  it('keeps step names that equal a reserved suffix apart from the stage states', () => {
    const names = nameStages([irStage('1', 'S', ['fault', 'route', 'wait', 'route'])]).get('1')!;
    const all = [...names.tasks, ...names.waits, ...names.routes, names.fault];
    expect(new Set(all).size).toBe(all.length);
    expect(names.fault).toBe('S [1] fault');
  });

  it('names a stage without a usable name by its refId alone', () => {
    expect(nameStages([irStage('3', '  ')]).get('3')!.tasks).toEqual(['[3]']);
  });
});

describe('state names of a compiled machine', () => {
  it('are unique across branches, at most 80 characters and safe, for same-named stages with odd characters', () => {
    // given stages that share a name and carry characters Step Functions rejects
    const weird = 'Deploy "prod" → us-east-1 / {blue} * <green> ; ~canary~ with a name long enough to be cut';
    const { pipeline, planStage } = testPipeline([
      { refId: '1', name: weird },
      { refId: '2', name: weird, requisiteStageRefIds: ['1'], steps: [run('createServerGroup'), poll('waitForUpInstances')] },
      { refId: '3', name: weird, requisiteStageRefIds: ['1'], steps: [poll('wait')] },
      { refId: '4', name: weird, requisiteStageRefIds: ['2', '3'] },
      { refId: 'x/y', name: 'Parallel 1', requisiteStageRefIds: ['1'] },
      { refId: 'x_y', name: 'Complete execution', requisiteStageRefIds: ['1'] },
    ]);

    // when
    const { definition, stateMap } = compilePipeline(pipeline, { planStage });

    // then
    const names = [...walkStates(definition)].map(([name]) => name);
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(stateMap).sort()).toEqual([...names].sort());
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(MAX_STATE_NAME_LENGTH);
      expect(name).toMatch(SAFE);
    }
    expect(names).toContain('Complete execution');
    // a stage named like an internal state still has its own name
    expect(names.filter((name) => /^Complete execution \[x_y#[0-9a-f]{6}\]$/.test(name))).toHaveLength(1);
    expect(validateAsl(definition)).toEqual([]);
  });

  it('are stable: the same stages give the same names in any array order', () => {
    const stages = [
      { refId: '1', name: 'Build' },
      { refId: '2', name: 'Test', requisiteStageRefIds: ['1'] },
      { refId: '3', name: 'Deploy', requisiteStageRefIds: ['1'] },
    ];
    const a = testPipeline(stages);
    const b = testPipeline([...stages].reverse());
    expect(Object.keys(compilePipeline(b.pipeline, { planStage: b.planStage }).stateMap)).toEqual(
      Object.keys(compilePipeline(a.pipeline, { planStage: a.planStage }).stateMap),
    );
  });
});
