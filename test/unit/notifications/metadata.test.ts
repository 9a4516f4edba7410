import { describe, expect, it } from 'vitest';
import { notificationTypeMetadata } from '../../../core/notifications/metadata.ts';

const names = (types: ReturnType<typeof notificationTypeMetadata>) => types.map((type) => type.notificationType);

describe('the notification types a deployment sends', () => {
  it('lists Slack webhooks, Teams and webhooks without settings; a Slack channel needs the default webhook', () => {
    const bare = notificationTypeMetadata({}, 'local');
    const withChannel = notificationTypeMetadata({ slack: { webhookUrlSecret: 'slack-webhook' } }, 'local');
    expect(names(bare)).toEqual(['slack', 'microsoftteams', 'webhook']);
    expect(bare[0]!.parameters[0]).toMatchObject({ name: 'address', required: true, description: expect.stringContaining('slack.webhookUrlSecret') });
    expect(withChannel[0]!.parameters[0]).toMatchObject({ name: 'address', required: false, description: expect.stringContaining('#deploys') });
  });

  it('lists email locally only with an SMTP server, on AWS with a sender; SNS on AWS only with topics; GitHub statuses with a token', () => {
    const email = { from: 'gennaker@example.com' };
    const topics = { topicArns: ['arn:aws:sns:us-east-1:123456789012:deploys'] };
    expect(names(notificationTypeMetadata({ email, sns: topics }, 'local'))).toEqual(['slack', 'microsoftteams', 'webhook']);
    expect(names(notificationTypeMetadata({ email: { ...email, smtp: { host: '127.0.0.1' } } }, 'local'))).toContain('email');
    const aws = notificationTypeMetadata({ email, sns: topics, githubStatus: { tokenSecret: 'github-token' } }, 'aws');
    expect(names(aws)).toEqual(['slack', 'microsoftteams', 'webhook', 'email', 'sns', 'githubStatus']);
    expect(aws.find((type) => type.notificationType === 'sns')!.parameters[0]!.description).toContain('arn:aws:sns:us-east-1:123456789012:deploys');
    expect(aws.find((type) => type.notificationType === 'email')!.parameters.map((parameter) => parameter.name)).toEqual(['address', 'cc', 'customSubject', 'customBody', 'when', 'message', 'notifyEveryMs']);
    // A commit status has no judgment state, so it cannot remind.
    const github = aws.find((type) => type.notificationType === 'githubStatus')!;
    expect(github.events).not.toContain('manualJudgment');
    expect(github.parameters.map((parameter) => parameter.name)).toEqual(['repo', 'commit', 'when', 'message']);
  });
});
