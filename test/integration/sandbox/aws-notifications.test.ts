/**
 * The SES v2 and SNS senders (adapters/notifications/aws-senders.ts) with the real SDK clients,
 * against the AWS simulator's SES and SNS: what is sent arrives as AWS keeps it, and what AWS
 * refuses comes back as a one-line reason that says whether trying again may help.
 */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSesEmailSender, createSnsSender } from '../../../adapters/notifications/aws-senders.ts';
import type { OutboundNotification } from '../../../core/ports/notification-sender.ts';
import { startAwsSimulator, type AwsSimulator } from '../../../sandbox/aws/server.ts';

const credentials = { accessKeyId: 'AKID', secretAccessKey: 'x' };

let sim: AwsSimulator;
beforeEach(async () => {
  sim = await startAwsSimulator({ seed: 3 });
});
afterEach(async () => {
  await sim.close();
});

const ses = (maxAttempts = 3) => new SESv2Client({ endpoint: sim.endpoint, region: 'us-east-1', credentials, maxAttempts });
const sns = (maxAttempts = 3) => new SNSClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials, maxAttempts });

const notification = (overrides: Partial<OutboundNotification> = {}): OutboundNotification => ({
  type: 'email',
  address: 'ops@example.com',
  application: 'shop',
  event: 'pipeline.failed',
  status: 'failed',
  title: 'Pipeline failed for SHOP',
  subject: "shop's release pipeline has failed",
  text: "shop's release pipeline has failed.\n\nFor more details, please visit: https://deck/#/applications/shop/executions/details/E1",
  link: 'https://deck/#/applications/shop/executions/details/E1',
  payload: { event: 'pipeline.failed', application: 'shop', execution: { id: 'E1' } },
  ...overrides,
});

describe('email through SES v2', () => {
  it('sends from a verified domain, as SES keeps it', async () => {
    sim.seed.ses.identity('example.com');
    const sender = createSesEmailSender({ client: ses(), from: 'Gennaker <gennaker@example.com>' });

    const outcome = await sender.send(notification({ cc: 'lead@example.com' }));

    expect(outcome).toEqual({ ok: true });
    expect(sim.snapshot().services['ses']).toMatchObject({
      sent: [{ from: 'Gennaker <gennaker@example.com>', to: ['ops@example.com'], cc: ['lead@example.com'], subject: "shop's release pipeline has failed", text: notification().text }],
    });
    expect(sim.calls({ service: 'ses' })).toEqual([expect.objectContaining({ action: 'SendEmail', status: 200 })]);
  });

  it('fails for good when the sender is not verified, as SES answers MessageRejected', async () => {
    const sender = createSesEmailSender({ client: ses(), from: 'gennaker@unverified.example' });

    const outcome = await sender.send(notification());

    expect(outcome).toEqual({
      ok: false,
      reason: 'SES refused the mail to ops@example.com: MessageRejected Email address is not verified. The following identities failed the check in region US-EAST-1: gennaker@unverified.example',
      retryable: false,
    });
    expect((sim.snapshot().services['ses'] as { sent: unknown[] }).sent).toEqual([]);
  });

  it('says a throttled send may pass, and the SDK\'s own retry absorbs one throttle', async () => {
    sim.seed.ses.identity('gennaker@example.com');
    sim.inject({ service: 'ses', action: 'SendEmail', error: 'Throttling', times: 1 });
    expect(await createSesEmailSender({ client: ses(1), from: 'gennaker@example.com' }).send(notification())).toMatchObject({ ok: false, retryable: true });
    sim.inject({ service: 'ses', action: 'SendEmail', error: 'Throttling', times: 1 });
    expect(await createSesEmailSender({ client: ses(3), from: 'gennaker@example.com' }).send(notification())).toEqual({ ok: true });
    expect((sim.snapshot().services['ses'] as { sent: unknown[] }).sent).toHaveLength(1);
  });

  it('answers a send without destination or content with BadRequestException, as SES does', async () => {
    sim.seed.ses.identity('example.com');
    const error = await ses()
      .send(new SendEmailCommand({ FromEmailAddress: 'a@example.com', Destination: {}, Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } } }))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'BadRequestException', $metadata: { httpStatusCode: 400 } });
  });
});

describe('SNS', () => {
  it('publishes the event as JSON with its subject and attributes', async () => {
    const { TopicArn } = await sns().send(new CreateTopicCommand({ Name: 'deploys' }));
    const sender = createSnsSender({ client: sns() });

    const outcome = await sender.send(notification({ type: 'sns', address: TopicArn!, subject: 'a subject\nwith a line break' }));

    expect(TopicArn).toBe('arn:aws:sns:us-east-1:123456789012:deploys');
    expect(outcome).toEqual({ ok: true });
    const published = (sim.snapshot().services['sns'] as { published: Array<Record<string, unknown>> }).published;
    expect(published).toEqual([
      expect.objectContaining({
        topicArn: TopicArn,
        subject: 'a subject with a line break',
        message: JSON.stringify(notification().payload),
        attributes: { event: { DataType: 'String', StringValue: 'pipeline.failed' }, application: { DataType: 'String', StringValue: 'shop' } },
      }),
    ]);
  });

  it('fails for good on a topic that does not exist (NotFound), and SNS refuses a subject with a line break', async () => {
    const outcome = await createSnsSender({ client: sns() }).send(notification({ type: 'sns', address: 'arn:aws:sns:us-east-1:123456789012:nobody' }));
    expect(outcome).toEqual({ ok: false, reason: 'SNS refused the message to arn:aws:sns:us-east-1:123456789012:nobody: NotFoundException Topic does not exist', retryable: false });

    const { TopicArn } = await sns().send(new CreateTopicCommand({ Name: 'deploys' }));
    const error = await sns()
      .send(new PublishCommand({ TopicArn, Message: '{}', Subject: 'two\nlines' }))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 } });
    expect(((sim.snapshot().services['sns'] as { published: unknown[] }).published)).toEqual([]);
  });

  it('verifies SES identities through the side door too', async () => {
    sim.control('ses', 'identity', { name: 'example.com' });
    expect(await createSesEmailSender({ client: ses(), from: 'gennaker@example.com' }).send(notification())).toEqual({ ok: true });
    expect(() => sim.control('ses', 'domain', {})).toThrow("unknown ses command 'domain'");
  });
});
