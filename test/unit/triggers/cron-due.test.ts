/** Which cron triggers a ticker window makes due. */
import { describe, expect, it } from 'vitest';
import { dueCronTriggers } from '../../../core/triggers/cron-due.ts';
import { triggered } from './fixtures.ts';

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

describe('dueCronTriggers', () => {
  const everyMinute = triggered([{ type: 'cron', cronExpression: '0 * * * * ?' }]);

  it.each([
    ['a window holding a fire time', T0 - 5_000, T0, [T0]],
    ['a window ending just before it', T0 - 5_000, T0 - 1, []],
    ['a window starting at it (the start is excluded, so a tick never fires twice)', T0, T0 + 5_000, []],
    ['a long pause: missed fire times collapse into the latest', T0 - 3_600_000, T0, [T0]],
    ['an empty window', T0, T0, []],
  ])('%s', (_what, from, to, fireTimes) => {
    expect(dueCronTriggers([everyMinute], from, to).map((due) => due.fireTime)).toEqual(fireTimes);
  });

  it('keys each start by pipeline, trigger index and fire time', () => {
    const [due] = dueCronTriggers([everyMinute], T0 - 1000, T0);
    expect(due!.idempotencyKey).toBe(`cron:${everyMinute.id}:0:${T0}`);
    expect(due!.trigger).toMatchObject({ type: 'cron', fireTime: T0, cronExpression: '0 * * * * ?' });
  });

  it('skips disabled triggers and disabled pipelines', () => {
    const disabledTrigger = triggered([{ type: 'cron', cronExpression: '0 * * * * ?', enabled: false }]);
    const disabledPipeline = triggered([{ type: 'cron', cronExpression: '0 * * * * ?' }], { disabled: true });
    expect(dueCronTriggers([disabledTrigger, disabledPipeline], T0 - 1000, T0)).toEqual([]);
  });

  it('fires every cron trigger of a pipeline on its own', () => {
    const two = triggered([
      { type: 'cron', cronExpression: '0 * * * * ?' },
      { type: 'cron', cronExpression: '0 0 * * * ?' },
    ]);
    expect(dueCronTriggers([two], T0 - 1000, T0).map((due) => due.idempotencyKey)).toEqual([`cron:${two.id}:0:${T0}`, `cron:${two.id}:1:${T0}`]);
  });
});
