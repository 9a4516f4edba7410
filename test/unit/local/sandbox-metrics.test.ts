/**
 * The metrics accounts of `up --sandbox`: a canary's window, on the runtime's clock, is read at
 * the serving cloud's instants (the world the cloud lived meanwhile), whichever clock the runtime
 * keeps; and the speed `--sandbox-speed` gives, over GENNAKER_SANDBOX_SPEED.
 */
import { describe, expect, it } from 'vitest';
import type { MetricFetchRequest, MetricSource } from '../../../core/ports/metric-source.ts';
import { createSandboxMetrics } from '../../../local/sandbox/sandbox-metrics.ts';
import { sandboxSpeedFrom } from '../../../local/sandbox/sandbox.ts';

/** A CloudWatch source that records the windows it was asked for and answers one point. */
function recordingSource(): { source: MetricSource; windows: Array<[number, number]> } {
  const windows: Array<[number, number]> = [];
  return {
    windows,
    source: {
      type: 'cloudwatch',
      fetch: async (request) => {
        windows.push([request.scope.start, request.scope.end]);
        return { ok: true, values: [0], timestamps: [request.scope.start], query: 'q' };
      },
    },
  };
}

const request = (start: number, end: number): MetricFetchRequest => ({
  metric: { name: 'errors', query: { type: 'cloudwatch' } as MetricFetchRequest['metric']['query'] },
  scope: { scope: 'hello-api', location: 'us-east-1', start, end, stepSeconds: 60 },
});

describe('sandbox metrics accounts', () => {
  it('reads a window of the wall clock as the simulated minutes the cloud lived meanwhile', async () => {
    const recorded = recordingSource();
    const metrics = createSandboxMetrics({ runtime: { now: () => 500_000, rate: 1 }, speed: 30, cloudNow: () => 9_000_000 });
    metrics.add([{ name: 'hello-cloudwatch', type: 'cloudwatch', source: recorded.source }]);
    // The last 5 wall-clock minutes are the last 150 simulated ones.
    const answer = await metrics.lookup({ type: 'cloudwatch', account: 'hello-cloudwatch' })!.fetch(request(200_000, 500_000));
    expect(answer.ok).toBe(true);
    expect(recorded.windows).toEqual([[9_000_000 - 30 * 300_000, 9_000_000]]);
  });

  it('moves a window of a simulated runtime clock by the offset between the clocks only', async () => {
    const recorded = recordingSource();
    const metrics = createSandboxMetrics({ runtime: { now: () => 1_000_000, rate: 30 }, speed: 30, cloudNow: () => 1_004_000 });
    metrics.add([{ name: 'hello-cloudwatch', type: 'cloudwatch', source: recorded.source }]);
    await metrics.lookup({ type: 'cloudwatch', account: 'hello-cloudwatch' })!.fetch(request(700_000, 1_000_000));
    expect(recorded.windows).toEqual([[704_000, 1_004_000]]);
  });

  it('knows an account from the save that named it on, keeps the first source of a name, and reads as is before its cloud runs', async () => {
    const first = recordingSource();
    const second = recordingSource();
    let cloud: number | undefined;
    const metrics = createSandboxMetrics({ runtime: { now: () => 10_000, rate: 1 }, speed: 30, cloudNow: () => cloud });
    expect(metrics.lookup({ type: 'cloudwatch', account: 'hello-cloudwatch' })).toBeUndefined();
    metrics.add([{ name: 'hello-cloudwatch', type: 'cloudwatch', source: first.source }]);
    metrics.add([{ name: 'hello-cloudwatch', type: 'cloudwatch', source: second.source }]);
    await metrics.lookup({ type: 'cloudwatch', account: 'hello-cloudwatch' })!.fetch(request(1_000, 2_000));
    cloud = 40_000;
    await metrics.lookup({ type: 'cloudwatch', account: 'hello-cloudwatch' })!.fetch(request(1_000, 2_000));
    expect(first.windows).toEqual([
      [1_000, 2_000],
      [40_000 - 30 * 9_000, 40_000 - 30 * 8_000],
    ]);
    expect(second.windows).toEqual([]);
    expect(metrics.lookup({ type: 'cloudwatch' })).toBeUndefined();
  });
});

describe('sandboxSpeedFrom', () => {
  it('takes --sandbox-speed over GENNAKER_SANDBOX_SPEED, and names the one that is wrong', () => {
    expect(sandboxSpeedFrom({})).toBeUndefined();
    expect(sandboxSpeedFrom({ GENNAKER_SANDBOX_SPEED: '120' })).toBe(120);
    expect(sandboxSpeedFrom({ GENNAKER_SANDBOX_SPEED: '120' }, '300')).toBe(300);
    expect(() => sandboxSpeedFrom({ GENNAKER_SANDBOX_SPEED: '120' }, 'fast')).toThrow("--sandbox-speed is 'fast'; set simulated seconds per second, a number from 1 to 10000 (default 30)");
    expect(() => sandboxSpeedFrom({}, '')).toThrow("--sandbox-speed is ''");
    expect(() => sandboxSpeedFrom({}, '0.5')).toThrow("--sandbox-speed is '0.5'");
    expect(() => sandboxSpeedFrom({ GENNAKER_SANDBOX_SPEED: '20000' })).toThrow("GENNAKER_SANDBOX_SPEED is '20000'");
  });
});
