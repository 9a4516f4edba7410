/**
 * Small stateful fakes of the other AWS APIs the cloud functions call, plus API Gateway's proxy
 * event, for running the Lambda handlers in-process (Step Functions' fake is sfn-fake.ts).
 *
 * - EventBridge `PutEvents`: each entry becomes the event a rule target receives (envelope with
 *   id, source, detail-type, detail parsed) and is handed to `onEvent` listeners; nothing fails.
 *   `EnableRule` / `DisableRule` record the rule's state in `rules`.
 * - Scheduler: schedules by (group, name); `CreateSchedule` on an existing name is
 *   ConflictException, `UpdateSchedule` / `DeleteSchedule` on a missing one ResourceNotFoundException;
 *   `ListSchedules` filters by group and NamePrefix. `fire(name, time)` returns the target's input
 *   with `<aws.scheduler.scheduled-time>` replaced, as Scheduler invokes the target.
 */
import { DisableRuleCommand, EnableRuleCommand, PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';

export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

export class EventBridgeFake {
  readonly events: BusEvent[] = [];
  /** Rules switched by EnableRule / DisableRule, by name: true while enabled. */
  readonly rules = new Map<string, boolean>();
  private readonly listeners = new Set<(event: BusEvent) => void | Promise<void>>();
  private count = 0;
  private readonly delivering = new Set<Promise<void>>();

  onEvent(listener: (event: BusEvent) => void | Promise<void>): void {
    this.listeners.add(listener);
  }

  /** Settles when every listener call so far has finished. */
  async idle(): Promise<void> {
    while (this.delivering.size > 0) await Promise.all([...this.delivering]);
  }

  get client(): Pick<EventBridgeClient, 'send'> {
    return {
      send: (async (command: object) => {
        if (command instanceof EnableRuleCommand || command instanceof DisableRuleCommand) {
          this.rules.set(command.input.Name!, command instanceof EnableRuleCommand);
          return { $metadata: {} };
        }
        if (!(command instanceof PutEventsCommand)) throw new Error(`the EventBridge fake does not implement ${command.constructor.name}`);
        for (const entry of command.input.Entries ?? []) {
          const event: BusEvent = {
            version: '0',
            id: `bus-event-${++this.count}`,
            source: entry.Source ?? '',
            'detail-type': entry.DetailType ?? '',
            account: '123456789012',
            time: '2026-01-01T00:00:00Z',
            region: 'us-east-1',
            resources: [],
            detail: JSON.parse(entry.Detail ?? '{}'),
          };
          this.events.push(event);
          // EventBridge delivers to targets after PutEvents returns.
          for (const listener of this.listeners) {
            const delivery: Promise<void> = Promise.resolve()
              .then(() => listener(event))
              .finally(() => this.delivering.delete(delivery));
            this.delivering.add(delivery);
          }
        }
        return { FailedEntryCount: 0, Entries: (command.input.Entries ?? []).map((_, i) => ({ EventId: `bus-event-${this.count - i}` })), $metadata: {} };
      }) as unknown as EventBridgeClient['send'],
    };
  }
}

export interface FakeSchedule {
  readonly name: string;
  readonly group: string;
  readonly expression: string;
  readonly timezone?: string;
  readonly targetArn: string;
  readonly roleArn: string;
  readonly input: string;
}

export class SchedulerFake {
  readonly schedules = new Map<string, FakeSchedule>();
  readonly calls: string[] = [];

  get client(): Pick<SchedulerClient, 'send'> {
    return { send: ((command: object) => this.send(command)) as unknown as SchedulerClient['send'] };
  }

  /** What Scheduler passes its target when `name` fires at `time`. */
  fire(name: string, time: string): unknown {
    const schedule = [...this.schedules.values()].find((candidate) => candidate.name === name);
    if (!schedule) throw new Error(`no schedule named ${name}`);
    return JSON.parse(schedule.input.replaceAll('<aws.scheduler.scheduled-time>', time));
  }

  private async send(command: object): Promise<unknown> {
    const key = (group: string | undefined, name: string | undefined) => `${group ?? 'default'}/${name}`;
    const store = (input: CreateScheduleCommand['input']) =>
      this.schedules.set(key(input.GroupName, input.Name), {
        name: input.Name!,
        group: input.GroupName ?? 'default',
        expression: input.ScheduleExpression!,
        ...(input.ScheduleExpressionTimezone ? { timezone: input.ScheduleExpressionTimezone } : {}),
        targetArn: input.Target!.Arn!,
        roleArn: input.Target!.RoleArn!,
        input: input.Target!.Input ?? '{}',
      });
    await Promise.resolve();
    if (command instanceof CreateScheduleCommand) {
      this.calls.push(`create ${command.input.Name}`);
      if (this.schedules.has(key(command.input.GroupName, command.input.Name))) throw new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} });
      store(command.input);
      return { ScheduleArn: `arn:aws:scheduler:us-east-1:123456789012:schedule/${command.input.GroupName}/${command.input.Name}` };
    }
    if (command instanceof UpdateScheduleCommand) {
      this.calls.push(`update ${command.input.Name}`);
      if (!this.schedules.has(key(command.input.GroupName, command.input.Name))) throw new ResourceNotFoundException({ message: 'missing', Message: 'missing', $metadata: {} });
      store(command.input);
      return {};
    }
    if (command instanceof DeleteScheduleCommand) {
      this.calls.push(`delete ${command.input.Name}`);
      if (!this.schedules.delete(key(command.input.GroupName, command.input.Name))) throw new ResourceNotFoundException({ message: 'missing', Message: 'missing', $metadata: {} });
      return {};
    }
    if (command instanceof ListSchedulesCommand) {
      const { GroupName, NamePrefix } = command.input;
      return {
        Schedules: [...this.schedules.values()]
          .filter((schedule) => (GroupName === undefined || schedule.group === GroupName) && schedule.name.startsWith(NamePrefix ?? ''))
          .map((schedule) => ({ Name: schedule.name, GroupName: schedule.group })),
      };
    }
    throw new Error(`the Scheduler fake does not implement ${command.constructor.name}`);
  }
}

/** An API Gateway REST API (v1) proxy event, as IAM-authorized requests arrive at the API function. */
export function apiGatewayEvent(
  method: string,
  path: string,
  options: { readonly body?: unknown; readonly userArn?: string; readonly query?: Record<string, string>; readonly headers?: Record<string, string> } = {},
): Record<string, unknown> {
  const headers = { 'content-type': 'application/json', ...(options.headers ?? {}) };
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: options.query ? Object.fromEntries(Object.entries(options.query).map(([name, value]) => [name, [value]])) : null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      httpMethod: method,
      path: `/prod${path}`,
      stage: 'prod',
      requestId: `req-${path}`,
      resourcePath: '/{proxy+}',
      identity: options.userArn
        ? { accountId: '123456789012', caller: 'AROAEXAMPLE:alice', userArn: options.userArn, user: 'AROAEXAMPLE:alice', sourceIp: '198.51.100.7' }
        : { sourceIp: '198.51.100.7', userArn: null, caller: null },
    },
    body: options.body === undefined ? null : JSON.stringify(options.body),
    isBase64Encoded: false,
  };
}
