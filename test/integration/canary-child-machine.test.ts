// A long canary as a child state machine on AWS, in-process: saving a pipeline through the API
// function publishes two machines (the pipeline and its canary child, each with a version and
// the live alias), and the parent's published definition is the local compile with only the
// definition substitutions resolved (the stage runner, the child's version ARN).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipeline } from '../../core/pipeline/parse.ts';
import { compilePipeline, DEFAULT_STAGE_RUNNER_ARN } from '../../statemachines/index.ts';
import { sampleCanaryConfig } from '../contract/canary-config-store.contract.ts';
import { validateAsl } from '../support/asl.ts';
import { STAGE_RUNNER_ARN, startCloud, type Cloud } from '../support/aws-cloud.ts';

const MACHINES = 'arn:aws:states:us-east-1:123456789012:stateMachine:';

/** A canary of 120 one-minute intervals: over the default child threshold (5,000 history events). */
function longCanaryPipeline(name: string): Record<string, unknown> {
  return {
    application: 'shop',
    name,
    stages: [
      {
        refId: '1',
        type: 'kayentaCanary',
        name: 'Canary analysis',
        analysisType: 'realTime',
        canaryConfig: {
          config: sampleCanaryConfig('long'),
          scopes: [{ scopeName: 'default', controlScope: 'shop-baseline', controlLocation: 'local', experimentScope: 'shop-canary', experimentLocation: 'local', step: 60 }],
          lifetimeDuration: 'PT120M',
          canaryAnalysisIntervalMins: 1,
          scoreThresholds: { marginal: 50, pass: 75 },
        },
      },
      { refId: '2', requisiteStageRefIds: ['1'], type: 'wait', name: 'Promote', waitTime: 0 },
    ],
  };
}

describe('a long canary as a child state machine on AWS', () => {
  let cloud: Cloud;
  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('publishes the pipeline and its canary child, each behind the live alias, the parent exactly the local compile modulo substitutions', async () => {
    // given
    const config = longCanaryPipeline('Long canary');

    // when
    const saved = await cloud.call('POST', '/pipelines', config);

    // then
    expect(saved.status).toBe(200);
    const pipelineId: string = saved.json.id;
    const local = compilePipeline(parsePipeline({ ...config, id: pipelineId }).pipeline!);
    expect(local.issues).toEqual([]);
    expect(local.children.map((child) => child.key)).toEqual(['1']);
    const parent = cloud.sfn.stateMachine(`${MACHINES}gennaker-${pipelineId}`)!;
    const child = cloud.sfn.stateMachine(`${MACHINES}gennaker.${pipelineId}.1`)!;
    expect(child.definition).toBe(local.children[0]!.json.split(DEFAULT_STAGE_RUNNER_ARN).join(STAGE_RUNNER_ARN));
    expect(parent.definition).toBe(local.json.split(DEFAULT_STAGE_RUNNER_ARN).join(STAGE_RUNNER_ARN).replace('${ChildStateMachineArn_1}', `${MACHINES}gennaker.${pipelineId}.1:1`));
    for (const machine of [parent, child]) {
      expect(validateAsl(JSON.parse(machine.definition))).toEqual([]);
      expect(machine.versions.map((version) => version.description)).toEqual(['v1 of shop/Long canary']);
      expect(machine.aliases.get('live')!.routing.map((route) => route.stateMachineVersionArn)).toEqual([machine.versions[0]!.arn]);
    }
  });
});
