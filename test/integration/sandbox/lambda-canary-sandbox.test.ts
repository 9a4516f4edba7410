/**
 * `gennaker run examples/pipelines/lambda-canary.json --sandbox` in-process (cli/commands/run.ts
 * on the real local runtime and the real `--sandbox`): the Lambda stages publish version 2 and
 * send it 10% of the alias, the kayentaCanary stage judges version 2 (experiment) against
 * version 1 (control) over the simulated CloudWatch's per-version metrics, read through the real
 * CloudWatch source and `@aws-sdk/client-cloudwatch`, and the pipeline promotes or rolls back.
 * A good release ends SUCCEEDED with the alias on version 2; a faulty build (`-bad`) fails the
 * canary on its Errors, and the alias ends on version 1. The simulated clock runs fast; nothing
 * sleeps. The two releases run side by side, each on its own sandbox and runtime: most of a
 * run is its Wait states, whole wall-clock seconds however fast the simulated clock goes.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../cli/usage.ts';
import type { IoMessage } from '../../../core/io-host.ts';
import type { Sandbox } from '../../../local/sandbox/sandbox.ts';
import type { CloudWatchSim } from '../../../sandbox/aws/cloudwatch.ts';
import { LAMBDA_CANARY_EXAMPLE, runLambdaCanaryExample, type LambdaCanaryRun } from '../../support/lambda-canary-run.ts';

const infos = (messages: readonly IoMessage[]) => messages.flatMap((message) => (message.kind === 'info' ? [message.message] : []));
const errors = (messages: readonly IoMessage[]) => messages.flatMap((message) => (message.kind === 'error' ? [message.message] : []));
const statuses = (execution: Record<string, any>) => Object.fromEntries((execution.stages as Array<{ refId: string; status: string }>).filter((stage) => !stage.refId.includes('<')).map((stage) => [stage.refId, stage.status]));

/** The ExecutedVersion values the simulated CloudWatch was asked for, per metric. */
function versionsAsked(sandbox: Sandbox): Record<string, string[]> {
  const cloudWatch = sandbox.awsSimulator()!.service<CloudWatchSim>('monitoring')!;
  const asked: Record<string, Set<string>> = {};
  for (const query of cloudWatch.metricQueries()) {
    expect(query).toMatchObject({ namespace: 'AWS/Lambda', region: 'us-east-1', stat: 'Average', periodSeconds: 60, dimensions: { FunctionName: 'hello-api', Resource: 'hello-api:live' } });
    (asked[query.metricName] ??= new Set()).add(query.dimensions['ExecutedVersion']!);
  }
  return Object.fromEntries(Object.entries(asked).map(([metric, versions]) => [metric, [...versions].sort()]));
}

describe('examples/pipelines/lambda-canary.json with --sandbox', () => {
  let good: LambdaCanaryRun;
  let bad: LambdaCanaryRun;
  beforeAll(async () => {
    [good, bad] = await Promise.all([runLambdaCanaryExample('2.0.0'), runLambdaCanaryExample('2.0.0-bad')]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([good?.sandbox.close(), bad?.sandbox.close()]);
  });

  it('promotes a good release: the canary passes every interval and the alias ends on version 2 alone', () => {
    const { code, messages, execution, sandbox, calls } = good;
    expect(errors(messages)).toEqual([]);
    expect(code).toBe(EXIT.ok);
    expect(statuses(execution)).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'SUCCEEDED', '4': 'SUCCEEDED', '5': 'SKIPPED', '6': 'SUCCEEDED' });
    const canary = execution.stages.find((stage: { refId: string }) => stage.refId === '3').outputs;
    expect(canary).toMatchObject({ overallResult: 'success', canaryScores: [100, 100], controlScope: '1', experimentScope: '2' });
    expect(canary.intervals[1].metrics.map((metric: { name: string; classification: string }) => `${metric.name} ${metric.classification}`)).toEqual(['Errors Pass', 'Throttles Pass', 'Duration Pass']);
    // The metrics account and the alias's traffic were seeded; the run says where the alias ended.
    expect(infos(messages)).toEqual(
      expect.arrayContaining([
        '  metrics account hello-cloudwatch (cloudwatch on the simulated AWS)',
        "  traffic hello-api:live (10 invocations/s split by the alias's weights, per version in CloudWatch (AWS/Lambda by FunctionName, Resource, ExecutedVersion))",
        'sandbox: alias live of hello-api (aws-sandbox, us-east-1) after the run routes version 2 (100%)',
      ]),
    );
    expect(sandbox.describeAliases()).toEqual([{ account: 'aws-sandbox', region: 'us-east-1', functionName: 'hello-api', alias: 'live', routing: [{ version: '2', share: 1 }] }]);
    // Control asked for version 1, experiment for version 2, of each metric.
    expect(versionsAsked(sandbox)).toEqual({ Errors: ['1', '2'], Throttles: ['1', '2'], Duration: ['1', '2'] });
    // While the canary ran, the alias sent version 2 a tenth of its traffic.
    const changes = sandbox.awsSimulator()!.events({ kind: 'lambda.alias' }).map((event) => `${String(event.detail['functionVersion'])} ${JSON.stringify(event.detail['additionalVersionWeights'])}`);
    expect(changes).toEqual(['1 {}', '1 {"2":0.1}', '2 {}']);
    // The run's calls, as `run` reports them: 2 intervals × 3 metrics × 2 scopes of GetMetricData, one code update, two alias moves.
    expect(calls).toEqual(expect.arrayContaining([{ call: 'monitoring:GetMetricData', count: 12 }, { call: 'lambda:UpdateFunctionCode', count: 1 }, { call: 'lambda:UpdateAlias', count: 2 }]));
  });

  it('rolls a faulty build back: Errors of version 2 are High (critical), the run fails saying so, and the alias ends on version 1 alone', () => {
    const { code, messages, execution, sandbox } = bad;
    expect(code).toBe(EXIT.failed);
    expect(statuses(execution)).toEqual({ '1': 'SUCCEEDED', '2': 'SUCCEEDED', '3': 'FAILED_CONTINUE', '4': 'SKIPPED', '5': 'SUCCEEDED', '6': 'TERMINAL' });
    const canary = execution.stages.find((stage: { refId: string }) => stage.refId === '3').outputs;
    expect(canary).toMatchObject({ overallResult: 'failure', canaryScores: [0], controlScope: '1', experimentScope: '2' });
    const errorsMetric = canary.intervals[0].metrics.find((metric: { name: string }) => metric.name === 'Errors');
    expect(errorsMetric).toMatchObject({ classification: 'High', critical: true, control: { mean: 0 } });
    expect(errorsMetric.experiment.mean).toBeGreaterThan(0.15);
    expect(errors(messages)).toEqual(["pipeline 'Lambda canary' ended TERMINAL: stage 'Canary verdict': the canary analysis of the new version failed; alias live was rolled back to the previous version"]);
    expect(infos(messages)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ {2}code object s3:\/\/hello-artifacts\/hello-api\/2\.0\.0-bad\.zip \(.*a faulty build: its versions fail 25% of their invocations\)$/), 'sandbox: alias live of hello-api (aws-sandbox, us-east-1) after the run routes version 1 (100%)']),
    );
    expect(sandbox.describeAliases()[0]!.routing).toEqual([{ version: '1', share: 1 }]);
    expect(versionsAsked(sandbox)).toEqual({ Errors: ['1', '2'], Throttles: ['1', '2'], Duration: ['1', '2'] });
    const changes = sandbox.awsSimulator()!.events({ kind: 'lambda.alias' }).map((event) => `${String(event.detail['functionVersion'])} ${JSON.stringify(event.detail['additionalVersionWeights'])}`);
    expect(changes).toEqual(['1 {}', '1 {"2":0.1}', '1 {}']);
  });

  it("seeds an alias's traffic once: serving the pipeline again seeds nothing new but its metrics account", async () => {
    const again = await good.sandbox.serve([JSON.parse(readFileSync(LAMBDA_CANARY_EXAMPLE, 'utf8'))], { version: '2.0.0' });
    expect(again.seeded.map((resource) => `${resource.kind} ${resource.id}`)).toEqual(['metrics account hello-cloudwatch']);
    expect(again.metricsAccounts?.map((account) => `${account.name} ${account.type}`)).toEqual(['hello-cloudwatch cloudwatch']);
  });
});
