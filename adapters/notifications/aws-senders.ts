/**
 * The notification senders of the AWS mode: email through SES v2 (SendEmail, simple content) and
 * SNS topics (Publish, the event as JSON with the subject). Throttling and service faults may
 * pass and are retried by the notifier; refusals (an unverified sender, a missing topic, access
 * denied) will not. The SDK's text stays out of the reason beyond its error name and message.
 */
import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { NotificationSender, SendOutcome } from '../../core/ports/notification-sender.ts';

const RETRYABLE = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'ServiceUnavailable', 'InternalFailure', 'InternalError', 'KMSThrottlingException']);

/** An SDK error as a send outcome. */
function failureOf(error: unknown, what: string): SendOutcome {
  const failure = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = failure.name ?? 'Error';
  const status = failure.$metadata?.httpStatusCode;
  const retryable = RETRYABLE.has(name) || (status !== undefined && status >= 500) || status === undefined;
  return { ok: false, reason: `${what}: ${name}${failure.message ? ` ${failure.message.replace(/\s+/g, ' ').slice(0, 160)}` : ''}`, retryable };
}

export interface SesEmailSenderOptions {
  readonly client: Pick<SESv2Client, 'send'>;
  /** A verified identity. */
  readonly from: string;
  /** A configuration set to send with. @default none */
  readonly configurationSetName?: string;
}

/** Email through SES v2 SendEmail. */
export function createSesEmailSender(options: SesEmailSenderOptions): NotificationSender {
  return {
    async send(notification) {
      try {
        await options.client.send(
          new SendEmailCommand({
            FromEmailAddress: options.from,
            Destination: { ToAddresses: [notification.address], ...(notification.cc !== undefined ? { CcAddresses: [notification.cc] } : {}) },
            Content: { Simple: { Subject: { Data: notification.subject.slice(0, 998), Charset: 'UTF-8' }, Body: { Text: { Data: notification.text, Charset: 'UTF-8' } } } },
            ...(options.configurationSetName !== undefined ? { ConfigurationSetName: options.configurationSetName } : {}),
          }),
        );
        return { ok: true };
      } catch (error) {
        return failureOf(error, `SES refused the mail to ${notification.address}`);
      }
    },
  };
}

/** SNS: the event's JSON published to the topic ARN (the address), with the summary as subject. */
export function createSnsSender(options: { readonly client: Pick<SNSClient, 'send'> }): NotificationSender {
  return {
    async send(notification) {
      try {
        await options.client.send(
          new PublishCommand({
            TopicArn: notification.address,
            // SNS subjects: at most 100 characters, no line breaks.
            Subject: notification.subject.replace(/[\r\n]+/g, ' ').slice(0, 100),
            Message: JSON.stringify(notification.payload),
            MessageAttributes: {
              event: { DataType: 'String', StringValue: notification.event },
              application: { DataType: 'String', StringValue: notification.application },
            },
          }),
        );
        return { ok: true };
      } catch (error) {
        return failureOf(error, `SNS refused the message to ${notification.address}`);
      }
    },
  };
}
