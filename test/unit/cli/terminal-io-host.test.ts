/**
 * How the terminal shows a status that is not a success: with its reason on the same line,
 * plain (one line per change) and in the live tree, where a line never outgrows the terminal
 * (the tree is redrawn in place by counting lines).
 */
import { describe, expect, it } from 'vitest';
import type { IoMessage, StageProgress } from '../../../core/io-host.ts';
import { createTerminalIoHost } from '../../../cli/terminal-io-host.ts';

function render(message: IoMessage, stderr: { isTTY?: boolean; columns?: number } = {}): string[] {
  let written = '';
  const saved = process.env['NO_COLOR'];
  process.env['NO_COLOR'] = '1';
  try {
    const io = createTerminalIoHost({ stdout: { write: () => true }, stderr: { ...stderr, write: (text: string) => (written += text) } });
    io.emit(message);
  } finally {
    if (saved === undefined) delete process.env['NO_COLOR'];
    else process.env['NO_COLOR'] = saved;
  }
  return written.split('\n').filter((line) => line !== '');
}

const failedStage: StageProgress = {
  id: 's1',
  refId: '1',
  name: 'Deploy',
  type: 'deploy',
  status: 'TERMINAL',
  depth: 0,
  durationMs: 3,
  reason: 'hello-demo-v002: 0 of 3 instances Up after 15 s (waitForHealthyTimeoutSec); the health check answered 500',
};
const progress: IoMessage = {
  kind: 'execution-progress',
  executionId: 'E1',
  pipeline: 'Deploy hello',
  status: 'TERMINAL',
  durationMs: 20,
  reason: `stage 'Deploy': ${failedStage.reason}`,
  statusChanged: true,
  stages: [failedStage],
  changed: [failedStage],
};

describe('the terminal IoHost', () => {
  it('prints the reason beside each status that is not a success, one line each', () => {
    expect(render(progress)).toEqual([
      `Deploy hello: stage 'Deploy' [1] TERMINAL (3 ms): ${failedStage.reason}`,
      `Deploy hello: execution E1 TERMINAL: stage 'Deploy': ${failedStage.reason}`,
    ]);
  });

  it('shows the reason in the live tree, cut to the width of the terminal', () => {
    const lines = render(progress, { isTTY: true, columns: 80 });
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines[1]).toMatch(/Deploy \[1\] deploy {2}TERMINAL {2}3 ms {2}hello-demo-v002: 0 of 3 instances Up.*…$/);
  });

  it('lists the notification deliveries with the execution, a failed one with its reason', () => {
    const notifications = [
      { key: 'k1', event: 'pipeline.failed', type: 'slack', recipient: '#deploys', status: 'SENT' as const, attempts: 1, updatedAt: 0 },
      { key: 'k2', event: 'stage.failed', type: 'webhook', recipient: 'https://hooks.example.com/…', stageId: 's1', stageRefId: '1', status: 'FAILED' as const, attempts: 1, reason: 'the webhook https://hooks.example.com answered 500 boom', updatedAt: 0 },
      { key: 'k3', event: 'manualJudgment', type: 'slack', recipient: '#approvers', stageId: 's2', stageRefId: '2', reminder: 2, status: 'SENT' as const, attempts: 1, updatedAt: 0 },
    ];
    const plain = render({ ...progress, notifications });
    expect(plain.slice(2)).toEqual([
      'Deploy hello: notification slack to #deploys (pipeline.failed) SENT',
      'Deploy hello: notification webhook to https://hooks.example.com/… (stage.failed of stage 1) FAILED: the webhook https://hooks.example.com answered 500 boom',
      'Deploy hello: notification slack to #approvers (manualJudgment reminder 2 of stage 2) SENT',
    ]);
    const live = render({ ...progress, notifications }, { isTTY: true, columns: 200 });
    expect(live.slice(2)).toEqual([
      '  notification slack #deploys (pipeline.failed)  SENT',
      '  notification webhook https://hooks.example.com/… (stage.failed of stage 1)  FAILED  the webhook https://hooks.example.com answered 500 boom',
      '  notification slack #approvers (manualJudgment reminder 2 of stage 2)  SENT',
    ]);
  });
});
