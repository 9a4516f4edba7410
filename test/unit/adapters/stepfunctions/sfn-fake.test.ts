// The Step Functions fake's own contract: it answers the calls Gennaker makes the way the
// Step Functions API documents them (names, versions, aliases, errors), and it really runs
// what was published.
import {
  CreateStateMachineAliasCommand,
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineAliasCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { SfnFake, type StatusChangeEvent } from '../../../support/sfn-fake.ts';

const FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:stage-runner';
const ROLE = 'arn:aws:iam::123456789012:role/machines';

/** One Task then a Choice on its answer: succeeds when the function answers SUCCEEDED. */
function definition(comment: string): string {
  return JSON.stringify({
    Comment: comment,
    StartAt: 'Run',
    States: {
      Run: { Type: 'Task', Resource: FUNCTION, ResultPath: '$.result', Next: 'Route' },
      Route: { Type: 'Choice', Choices: [{ Variable: '$.result.status', StringEquals: 'SUCCEEDED', Next: 'Done' }], Default: 'Failed' },
      Done: { Type: 'Succeed' },
      Failed: { Type: 'Fail', Error: 'Gennaker.ExecutionFailed', Cause: 'not succeeded' },
    },
  });
}

function waitingDefinition(): string {
  return JSON.stringify({
    StartAt: 'Judge',
    States: {
      Judge: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: FUNCTION, Payload: { 'taskToken.$': '$$.Task.Token' } },
        TimeoutSeconds: 3600,
        End: true,
      },
    },
  });
}

describe('SfnFake', () => {
  it('publishes versions, reuses the latest when nothing changed, and runs an execution started on an alias', async () => {
    // given
    const calls: unknown[] = [];
    const fake = new SfnFake({ functions: { [FUNCTION]: async (event) => (calls.push(event), { status: 'SUCCEEDED' }) } });
    const client = fake.client;
    const events: StatusChangeEvent[] = [];
    fake.onStatusChange((event) => void events.push(event));

    // when
    const created = await client.send(new CreateStateMachineCommand({ name: 'gk-p1', definition: definition('a'), roleArn: ROLE, publish: true, versionDescription: 'v1' }));
    const same = await client.send(new UpdateStateMachineCommand({ stateMachineArn: created.stateMachineArn, definition: definition('a'), publish: true, versionDescription: 'v2' }));
    const changed = await client.send(new UpdateStateMachineCommand({ stateMachineArn: created.stateMachineArn, definition: definition('b'), publish: true, versionDescription: 'v3' }));
    await client.send(new CreateStateMachineAliasCommand({ name: 'live', description: 'v3', routingConfiguration: [{ stateMachineVersionArn: changed.stateMachineVersionArn, weight: 100 }] }));
    const started = await client.send(new StartExecutionCommand({ stateMachineArn: `${created.stateMachineArn}:live`, name: 'E1', input: '{"executionId":"E1"}' }));
    await fake.settled();

    // then
    expect(created.stateMachineArn).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:gk-p1');
    expect(created.stateMachineVersionArn).toBe(`${created.stateMachineArn}:1`);
    expect(same.stateMachineVersionArn).toBe(`${created.stateMachineArn}:1`);
    expect(changed.stateMachineVersionArn).toBe(`${created.stateMachineArn}:2`);
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:gk-p1:E1');
    expect(calls).toEqual([{ executionId: 'E1' }]);
    const described = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(described.stateMachineVersionArn).toBe(`${created.stateMachineArn}:2`);
    expect(events.map((event) => [event.detail.name, event.detail.status])).toEqual([['E1', 'SUCCEEDED']]);
  });

  it('raises the real error names', async () => {
    // given
    const fake = new SfnFake({ functions: { [FUNCTION]: async () => ({ status: 'SUCCEEDED' }) } });
    const client = fake.client;
    const arn = 'arn:aws:states:us-east-1:123456789012:stateMachine:gk-p2';

    // then
    await expect(client.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition: definition('a') }))).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(client.send(new CreateStateMachineCommand({ name: 'bad name', definition: definition('a'), roleArn: ROLE }))).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(client.send(new CreateStateMachineCommand({ name: 'gk-p2', definition: '{"StartAt":"Nowhere","States":{}}', roleArn: ROLE }))).rejects.toMatchObject({ name: 'InvalidDefinition' });
    await client.send(new CreateStateMachineCommand({ name: 'gk-p2', definition: definition('a'), roleArn: ROLE, publish: true }));
    await expect(client.send(new CreateStateMachineCommand({ name: 'gk-p2', definition: definition('a'), roleArn: ROLE }))).rejects.toMatchObject({ name: 'StateMachineAlreadyExists' });
    await expect(client.send(new DescribeStateMachineAliasCommand({ stateMachineAliasArn: `${arn}:live` }))).rejects.toMatchObject({ name: 'ResourceNotFound' });
    await client.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'E2', input: '{}' }));
    await fake.settled();
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'E2', input: '{}' }))).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await expect(client.send(new StopExecutionCommand({ executionArn: `${arn.replace('stateMachine', 'execution')}:nope` }))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    fake.throttle('StartExecution', 1);
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'E3', input: '{}' }))).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it('returns the running execution for a duplicate start with the same input, and aborts it on stop', async () => {
    // given
    const fake = new SfnFake({ functions: { [FUNCTION]: async () => ({}) } });
    const client = fake.client;
    const created = await client.send(new CreateStateMachineCommand({ name: 'gk-p3', definition: waitingDefinition(), roleArn: ROLE }));
    const events: StatusChangeEvent[] = [];
    fake.onStatusChange((event) => void events.push(event));

    // when
    const first = await client.send(new StartExecutionCommand({ stateMachineArn: created.stateMachineArn, name: 'E4', input: '{"a":1}' }));
    const again = await client.send(new StartExecutionCommand({ stateMachineArn: created.stateMachineArn, name: 'E4', input: '{"a":1}' }));
    const other = client.send(new StartExecutionCommand({ stateMachineArn: created.stateMachineArn, name: 'E4', input: '{"a":2}' }));
    await expect(other).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await client.send(new StopExecutionCommand({ executionArn: first.executionArn, cause: 'canceled' }));
    await fake.settled();

    // then
    expect(again.executionArn).toBe(first.executionArn);
    expect(events.map((event) => event.detail.status)).toEqual(['ABORTED']);
    expect(fake.pendingTokens('E4')).toEqual([]);
  });
});
