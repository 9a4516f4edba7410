/**
 * The AWS simulator's framework, driven by the real SDK clients: routing by credential scope,
 * request ids, unknown operations in each protocol's shape, injected throttling that the SDK's
 * standard retry absorbs, the clock, and the side door.
 */
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAwsSimulator, type AwsSimulator } from '../../../sandbox/aws/server.ts';
import type { AwsServiceSim } from '../../../sandbox/aws/service.ts';

const credentials = { accessKeyId: 'AKID', secretAccessKey: 'x' };
const scope = (service: string) => `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`;

let sim: AwsSimulator;
beforeEach(async () => {
  sim = await startAwsSimulator({ seed: 7 });
});
afterEach(async () => {
  await sim.close();
});

const sts = () => new STSClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials });

describe('the AWS simulator framework', () => {
  it('answers STS GetCallerIdentity and sets $metadata.requestId from the header', async () => {
    const out = await sts().send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe('123456789012');
    expect(out.Arn).toBe('arn:aws:iam::123456789012:user/sandbox');
    expect(out.UserId).toMatch(/^AIDA/);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sim.calls()).toEqual([expect.objectContaining({ seq: 1, service: 'sts', action: 'GetCallerIdentity', status: 200, region: 'us-east-1' })]);
  });

  it('assumes a seeded role, records the external id, and the new credentials identify as the role', async () => {
    sim.seed.sts.role({ arn: 'arn:aws:iam::210987654321:role/deployer', externalId: 'ext-1' });
    const out = await sts().send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::210987654321:role/deployer', RoleSessionName: 'gennaker', ExternalId: 'ext-1', DurationSeconds: 900 }));
    expect(out.Credentials).toEqual({
      AccessKeyId: expect.stringMatching(/^ASIA[A-Z0-9]{16}$/),
      SecretAccessKey: expect.any(String),
      SessionToken: expect.any(String),
      Expiration: new Date(Date.UTC(2026, 0, 1, 0, 15)),
    });
    expect(out.AssumedRoleUser).toEqual({ AssumedRoleId: expect.stringMatching(/^AROA[A-Z0-9]+:gennaker$/), Arn: 'arn:aws:sts::210987654321:assumed-role/deployer/gennaker' });
    const asRole = new STSClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: 'y', sessionToken: 't' } });
    expect((await asRole.send(new GetCallerIdentityCommand({}))).Arn).toBe('arn:aws:sts::210987654321:assumed-role/deployer/gennaker');
    expect(sim.snapshot().services['sts']).toMatchObject({ assumedRoles: [{ roleArn: 'arn:aws:iam::210987654321:role/deployer', externalId: 'ext-1', sessionName: 'gennaker' }] });
    expect(sim.events({ kind: 'role.assumed' })).toHaveLength(1);
  });

  it('rejects a role nobody seeded, or a wrong external id, with AccessDenied 403', async () => {
    sim.seed.sts.role({ arn: 'arn:aws:iam::210987654321:role/deployer', externalId: 'ext-1' });
    for (const input of [{ RoleArn: 'arn:aws:iam::210987654321:role/other' }, { RoleArn: 'arn:aws:iam::210987654321:role/deployer', ExternalId: 'wrong' }]) {
      const error = await sts().send(new AssumeRoleCommand({ RoleSessionName: 's1', ...input })).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });
      expect((error as Error).message).toContain(`not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`);
    }
  });

  it('retries an injected throttle with the SDK standard retry, then succeeds', async () => {
    sim.inject({ service: 'sts', action: 'GetCallerIdentity', error: 'Throttling', times: 1 });
    const out = await sts().send(new GetCallerIdentityCommand({}));
    expect(out.$metadata.attempts).toBe(2);
    expect(sim.calls().map((c) => [c.action, c.status, c.errorCode ?? null, c.injected ?? false])).toEqual([
      ['GetCallerIdentity', 400, 'Throttling', true],
      ['GetCallerIdentity', 200, null, false],
    ]);
  });

  it('fails with the injected error code when it is not retryable', async () => {
    sim.inject({ error: 'AccessDenied', status: 403, message: 'nope' });
    const error = await sts().send(new GetCallerIdentityCommand({})).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AccessDenied', message: 'nope', $metadata: { httpStatusCode: 403, attempts: 1 } });
  });

  it('answers an unknown awsQuery action with InvalidAction 400, which the SDK surfaces by code', async () => {
    const client = sts();
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body: string };
        // Same length: content-length is already set.
        request.body = request.body.replace('Action=GetCallerIdentity', 'Action=GetCallerIdentitx');
        return next(args);
      },
      { step: 'build', name: 'renameAction' },
    );
    const error = await client.send(new GetCallerIdentityCommand({})).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidAction', $metadata: { httpStatusCode: 400 } });
    expect((error as Error).message).toBe('Could not find operation GetCallerIdentitx for version 2011-06-15');
  });

  it('answers each protocol its own unknown-operation error, and unknown services too', async () => {
    const post = (service: string, headers: Record<string, string>, body: string, path = '/') =>
      fetch(`${sim.endpoint}${path}`, { method: 'POST', headers: { authorization: scope(service), ...headers }, body });
    const ec2 = await post('ec2', { 'content-type': 'application/x-www-form-urlencoded' }, 'Action=RunInstances&Version=2016-11-15');
    expect(ec2.status).toBe(400);
    expect(await ec2.text()).toContain('<Response><Errors><Error><Code>InvalidAction</Code>');
    const json = await post('ecs', { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.CreateCapacityProvider' }, '{}');
    expect([json.status, json.headers.get('x-amzn-errortype'), ((await json.json()) as { __type: string }).__type]).toEqual([400, 'UnknownOperationException', 'UnknownOperationException']);
    const rest = await fetch(`${sim.endpoint}/2015-03-31/functions/f/nowhere`, { headers: { authorization: scope('lambda') } });
    expect([rest.status, rest.headers.get('x-amzn-errortype')]).toEqual([404, 'UnknownOperationException']);
    expect(rest.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('routes by the credential scope to a registered service and advances its clock only by tick', async () => {
    const seen: string[] = [];
    const echo: AwsServiceSim = {
      signingName: 'echo',
      protocol: { kind: 'awsJson', jsonVersion: '1.1' },
      operations: ['Ping'],
      handle: (req, ctx) => {
        seen.push(req.region);
        ctx.event('pinged', { at: ctx.now() });
        return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify({ now: ctx.now() }) };
      },
      reconcile: () => undefined,
      snapshot: () => ({ pings: seen.length }),
      nextChangeAt: () => undefined,
    };
    sim.register(echo);
    expect(() => sim.register(echo)).toThrow("a service with signing name 'echo' is already registered");
    const ping = () =>
      fetch(`${sim.endpoint}/`, {
        method: 'POST',
        headers: { authorization: scope('echo').replace('us-east-1', 'eu-west-1'), 'x-amz-target': 'Echo.Ping', 'content-type': 'application/x-amz-json-1.1' },
        body: '{}',
      }).then((r) => r.json() as Promise<{ now: number }>);
    const start = sim.now();
    expect((await ping()).now).toBe(start);
    expect(sim.tick(90_000)).toBe(start + 90_000);
    expect((await ping()).now).toBe(start + 90_000);
    expect(seen).toEqual(['eu-west-1', 'eu-west-1']);
    expect(sim.events({ kind: 'pinged' }).map((e) => e.time)).toEqual([start, start + 90_000]);
    expect(sim.snapshot().services['echo']).toEqual({ pings: 2 });
  });

  it('serves the side door: state, calls, events, tick, inject, and 400 with the reason for bad input', async () => {
    const side = (path: string, body?: unknown) =>
      fetch(`${sim.endpoint}/__sandbox/${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    expect(await side('tick', { ms: 60_000 })).toEqual({ status: 200, body: { now: '2026-01-01T00:01:00.000Z' } });
    expect(await side('tick', { ms: 'soon' })).toEqual({ status: 400, body: { error: `tick: 'ms' must be a number of milliseconds, got "soon"` } });
    expect(await side('inject', { service: 'sts', error: 'Throttling', times: 2 })).toEqual({ status: 200, body: { pending: 2 } });
    expect(await side('inject', { error: 'Throttling', times: 0 })).toEqual({ status: 400, body: { error: "inject: 'times' must be a whole number >= 1, got 0" } });
    await sts().send(new GetCallerIdentityCommand({}));
    const calls = (await side('calls')).body['calls'] as { errorCode?: string }[];
    expect(calls.map((c) => c.errorCode ?? 'ok')).toEqual(['Throttling', 'Throttling', 'ok']);
    expect(await side('sts/role', { arn: 'arn:aws:iam::123456789012:role/r' })).toEqual({ status: 200, body: { arn: 'arn:aws:iam::123456789012:role/r' } });
    expect((await side('sts/role', { arn: 'nope' })).status).toBe(400);
    const state = (await side('state')).body;
    expect(state).toMatchObject({ now: '2026-01-01T00:01:00.000Z', accountId: '123456789012', services: { sts: { roles: [{ arn: 'arn:aws:iam::123456789012:role/r' }] } } });
    expect((await side('events')).body).toEqual({ events: [] });
    expect((await side('nowhere')).status).toBe(404);
  });

  it('refuses bodies over 8 MiB with 413', async () => {
    const response = await fetch(`${sim.endpoint}/`, {
      method: 'POST',
      headers: { authorization: scope('sts'), 'content-type': 'application/x-www-form-urlencoded' },
      body: `Action=GetCallerIdentity&Version=2011-06-15&Pad=${'x'.repeat(8 * 1024 * 1024)}`,
    });
    expect(response.status).toBe(413);
  });
});
