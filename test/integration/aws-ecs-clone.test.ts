/**
 * cloneServerGroup on ECS through the deploy core and the aws-ecs target, against the AWS
 * simulator with the real SDK clients: the conformance cluster's v000 is cloned with red/black,
 * every call delivered twice. The clone runs a new revision of the cluster's task definition made
 * from the source's (its image kept, the stage's environment variable added, its own Spinnaker
 * variables), in the source's network configuration, behind its target group, at its capacity;
 * one service is made, and the target group never has fewer healthy targets than capacity.min.
 */
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { healthyTargetsOverTime } from '../../sandbox/aws/elbv2-targets.ts';
import { ACCOUNT, CLUSTER, ECS_CLUSTER, ecsStageRig, IMAGE_REPOSITORY, REGION, seedProduction, serverGroup, startEcsWorld, type EcsWorld } from '../support/aws-ecs-world.ts';
import { driveStage } from '../support/stage-driver.ts';

let world: EcsWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function service(name: string) {
  const described = await world!.clients.ecs.send(new DescribeServicesCommand({ cluster: ECS_CLUSTER, services: [name] }));
  return described.services![0]!;
}

describe('cloneServerGroup on ECS', () => {
  it("clones v000 with red/black: its task definition, network and load balancer, the stage's environment variable, one service though delivered twice", async () => {
    // given v000 serving 3 tasks (min 2, max 6)
    world = await startEcsWorld();
    await seedProduction(world);
    const start = world.sim.now();
    const r = ecsStageRig(world);
    // when
    const stage = {
      type: 'cloneServerGroup',
      cloudProvider: 'ecs',
      credentials: ACCOUNT,
      region: REGION,
      application: 'ecsapp',
      stack: 'prod',
      freeFormDetails: 'ecsdemo',
      targetCluster: CLUSTER,
      target: 'current_asg_dynamic',
      useSourceCapacity: true,
      strategy: 'redblack',
      environmentVariables: { FEATURE: 'on' },
      waitForHealthyTimeoutSec: 300,
    };
    const result = await driveStage(stage, r.cloneServerGroup, r.clock, { twice: true });
    // then
    expect(result.message).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    const created = world.sim.events({ kind: 'ecs.service' }).filter((event) => event.detail['status'] === 'ACTIVE').map((event) => String(event.detail['service']));
    expect(created).toEqual([`${CLUSTER}-v000`, `${CLUSTER}-v001`]);
    expect((await serverGroup(world, `${CLUSTER}-v001`))!.capacity).toEqual({ min: 2, max: 6, desired: 3 });
    expect((await serverGroup(world, `${CLUSTER}-v000`))!.disabled).toBe(true);
    // the source's task definition, as a revision of the cluster's family, with the override
    const [source, clone] = [await service(`${CLUSTER}-v000`), await service(`${CLUSTER}-v001`)];
    const definition = (await world.clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: clone.taskDefinition }))).taskDefinition!;
    const sourceDefinition = (await world.clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: source.taskDefinition }))).taskDefinition!;
    expect(definition.family).toBe(CLUSTER);
    expect(definition.taskDefinitionArn).not.toBe(sourceDefinition.taskDefinitionArn);
    expect({ cpu: definition.cpu, memory: definition.memory, networkMode: definition.networkMode }).toEqual({ cpu: sourceDefinition.cpu, memory: sourceDefinition.memory, networkMode: sourceDefinition.networkMode });
    const container = definition.containerDefinitions![0]!;
    expect(container.image).toBe(`${IMAGE_REPOSITORY}:1.0.0`);
    expect(container.environment).toEqual(expect.arrayContaining([{ name: 'FEATURE', value: 'on' }, { name: 'SERVER_GROUP', value: `${CLUSTER}-v001` }]));
    expect(container.environment!.filter((variable) => variable.name === 'SERVER_GROUP')).toHaveLength(1);
    // the source's network configuration and load balancer
    expect(clone.networkConfiguration).toEqual(source.networkConfiguration);
    expect(clone.loadBalancers).toEqual(source.loadBalancers);
    expect(clone.launchType).toBe(source.launchType);
    // and the target group never below capacity.min healthy targets
    const series = healthyTargetsOverTime(world.sim.events(), world.targetGroupArn);
    const atStart = series.filter((point) => point.time <= start).at(-1)?.healthy ?? 0;
    expect(Math.min(atStart, ...series.filter((point) => point.time > start).map((point) => point.healthy))).toBeGreaterThanOrEqual(2);
  });
});
