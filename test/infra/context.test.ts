/**
 * Deployment settings from CDK context (`-c key=value` strings or cdk.json JSON) and the stack's
 * own checks: good values become props, bad ones fail with one line naming the key, the value
 * and the fix, before anything is synthesized.
 */
import { describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '../../infra/context.ts';
import { validateGennakerStackProps } from '../../infra/stack.ts';

const reader = (context: Record<string, unknown>) => (key: string) => context[key];

describe('stack props from context', () => {
  it('defaults to the Gennaker stack with no props', () => {
    expect(stackPropsFromContext(reader({}))).toEqual({ stackName: 'Gennaker', props: {} });
  });

  it('reads command-line strings and cdk.json values alike', () => {
    const fromCli = stackPropsFromContext(reader({
      stackName: 'GennakerStaging',
      prefix: 'staging',
      logRetentionDays: '90',
      deletionProtection: 'false',
      webhookAllowlist: 'https://a.example.com/*, ,https://b.example.com/*',
      accounts: '{"prod":"arn:aws:iam::123456789012:role/deploy"}',
      apiRateLimit: '10',
      apiBurstLimit: '20',
      tableKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/abcd-1234',
      webhookSecretsParameterPath: '/staging/webhooks',
      apiCloudWatchRole: 'false',
    }));
    const fromJson = stackPropsFromContext(reader({
      stackName: 'GennakerStaging',
      prefix: 'staging',
      logRetentionDays: 90,
      deletionProtection: false,
      webhookAllowlist: ['https://a.example.com/*', 'https://b.example.com/*'],
      accounts: { prod: 'arn:aws:iam::123456789012:role/deploy' },
      apiRateLimit: 10,
      apiBurstLimit: 20,
      tableKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/abcd-1234',
      webhookSecretsParameterPath: '/staging/webhooks',
      apiCloudWatchRole: false,
    }));
    const expected = {
      stackName: 'GennakerStaging',
      props: {
        stateMachineNamePrefix: 'staging',
        logRetention: 90,
        deletionProtection: false,
        webhookAllowlist: ['https://a.example.com/*', 'https://b.example.com/*'],
        accounts: { prod: 'arn:aws:iam::123456789012:role/deploy' },
        apiThrottling: { rateLimit: 10, burstLimit: 20 },
        tableEncryptionKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/abcd-1234',
        webhookSecretsParameterPath: '/staging/webhooks',
        apiCloudWatchRole: false,
      },
    };
    expect(fromCli).toEqual(expected);
    expect(fromJson).toEqual(expected);
  });

  it('reads the notification settings from the command line and cdk.json alike, and refuses a bad one naming the field', () => {
    const settings = { email: { from: 'gennaker@example.com' }, sns: { topicArns: ['arn:aws:sns:us-east-1:123456789012:deploys'] } };
    expect(stackPropsFromContext(reader({ notifications: JSON.stringify(settings) })).props).toEqual({ notifications: settings });
    expect(stackPropsFromContext(reader({ notifications: settings })).props).toEqual({ notifications: settings });
    expect(() => stackPropsFromContext(reader({ notifications: { sns: { topicArns: ['deploys'] } } }))).toThrow(
      `context 'notifications': sns.topicArns.0: expected an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>), got "deploys"`,
    );
    expect(() => stackPropsFromContext(reader({ notifications: '{' }))).toThrow("context 'notifications' is not JSON");
  });

  it('reads accounts with an external id, regions and the ecs kind from the command line and cdk.json alike', () => {
    const ecs = { assumeRole: 'arn:aws:iam::123456789012:role/ecs-deploy', externalId: 'x7-prod', regions: ['us-west-2'], cloudProvider: 'ecs' };
    expect(stackPropsFromContext(reader({ accounts: JSON.stringify({ 'ecs-prod': ecs }) })).props.accounts).toEqual({ 'ecs-prod': ecs });
    expect(stackPropsFromContext(reader({ accounts: { 'ecs-prod': ecs } })).props.accounts).toEqual({ 'ecs-prod': ecs });
  });

  it.each([
    [{ logRetentionDays: '31' }, "context 'logRetentionDays' is \"31\", which CloudWatch Logs does not offer: use one of 1, 3, 5, 7, 14, 30,"],
    [{ logRetentionDays: 'a month' }, "context 'logRetentionDays' is \"a month\", expected a positive number"],
    [{ deletionProtection: 'yes' }, "context 'deletionProtection' is \"yes\", expected true or false: -c deletionProtection=false"],
    [{ accounts: '{prod: arn}' }, "context 'accounts' is not JSON: use -c 'accounts={\"prod\":\"arn:aws:iam::123456789012:role/gennaker-deploy\"}'"],
    [{ accounts: '["arn:aws:iam::123456789012:role/x"]' }, "context 'accounts' is [\"arn:aws:iam::123456789012:role/x\"], expected an object of account name to role ARN"],
    [{ apiRateLimit: '-5' }, "context 'apiRateLimit' is \"-5\", expected a positive number: -c apiRateLimit=50"],
    [{ tableKmsKeyArn: 'alias/aws/dynamodb' }, "context 'tableKmsKeyArn' is 'alias/aws/dynamodb', not a KMS key ARN: use arn:aws:kms:<region>:<account>:key/<key id>"],
    [{ prefix: 42 }, "context 'prefix' is 42, expected a string: set it with -c prefix=<value>"],
  ])('rejects %j with one line naming the key', (context, message) => {
    expect(() => stackPropsFromContext(reader(context))).toThrow(message);
    try {
      stackPropsFromContext(reader(context));
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });
});

describe('the stack props check', () => {
  it('accepts the defaults and a full configuration', () => {
    expect(() => validateGennakerStackProps({})).not.toThrow();
    expect(() => validateGennakerStackProps({
      stateMachineNamePrefix: 'acme-prod',
      accounts: {
        prod: 'arn:aws:iam::123456789012:role/path/gennaker-deploy',
        cn: 'arn:aws-cn:iam::123456789012:role/deploy',
        'ecs-prod': { assumeRole: 'arn:aws:iam::123456789012:role/ecs-deploy', externalId: 'x7-prod', regions: ['us-west-2'], cloudProvider: 'ecs' },
      },
      webhookSecretsParameterPath: '/acme/webhooks',
      apiThrottling: { rateLimit: 5, burstLimit: 10 },
    })).not.toThrow();
  });

  it.each([
    [{ stateMachineNamePrefix: 'gennaker_prod' }, "stateMachineNamePrefix 'gennaker_prod' is not usable: use 1-24 letters, digits or hyphens starting with a letter"],
    [{ stateMachineNamePrefix: 'a-very-long-deployment-prefix' }, "stateMachineNamePrefix 'a-very-long-deployment-prefix' is not usable"],
    [{ accounts: { prod: 'arn:aws:iam::123456789012:user/deployer' } }, "accounts.prod.assumeRole: assumeRole is 'arn:aws:iam::123456789012:user/deployer', not an IAM role ARN; use arn:aws:iam::<12-digit account id>:role/<role name>"],
    [{ accounts: { prod: '*' } }, "accounts.prod.assumeRole: assumeRole is '*', not an IAM role ARN"],
    [{ accounts: { 'prod east': 'arn:aws:iam::123456789012:role/deploy' } }, "accounts.prod east.name: name is 'prod east'; use 1-64 letters, digits, '.', '_' or '-'"],
    [{ accounts: { prod: { assumeRole: 'arn:aws:iam::123456789012:role/deploy', externalId: 'a b' } } }, "accounts.prod.externalId: externalId is 'a b'; use 2-1224 letters, digits or the characters"],
    [{ accounts: { prod: { assumeRole: 'arn:aws:iam::123456789012:role/deploy', cloudProvider: 'gce' } } }, 'accounts.prod.cloudProvider: cloudProvider is \'gce\'; use "aws" (EC2 Auto Scaling groups and Lambda functions), "ecs" (ECS services) or "kubernetes" (EKS clusters)'],
    [
      { accounts: { prod: { assumeRole: 'arn:aws:iam::123456789012:role/deploy', cloudProvider: 'kubernetes', kubeconfig: 'apiVersion: v1' } } },
      'accounts.prod.eks: eks is missing; a kubernetes account on AWS is an EKS cluster: give {"clusterName": "prod", "region": "us-east-1"}',
    ],
    [{ accounts: { prod: { externalId: 'x7-prod' } } }, 'accounts.prod.assumeRole: assumeRole is missing; give the ARN of the role Gennaker assumes in that account'],
    [{ accounts: { prod: { assumeRole: 'arn:aws:iam::123456789012:role/deploy', region: 'us-east-1' } } }, "accounts.prod.region: unknown field 'region'; an account here has assumeRole, externalId, regions, cloudProvider, readRole, weightedTraffic"],
    [
      { accounts: Object.fromEntries(Array.from({ length: 40 }, (_, index) => [`account-${index}`, { assumeRole: `arn:aws:iam::123456789012:role/deploy-${index}`, externalId: 'x'.repeat(20) }])) },
      "characters of JSON, more than the 3000 the functions' environment can hold",
    ],
    [{ webhookSecretsParameterPath: 'gennaker/webhooks' }, "webhookSecretsParameterPath is 'gennaker/webhooks', not an SSM parameter path: use a path starting with '/'"],
    [{ apiThrottling: { rateLimit: 0 } }, 'apiThrottling.rateLimit is 0, expected a positive number of requests per second'],
  ])('fails %j with the fix', (props, message) => {
    expect(() => validateGennakerStackProps(props as never)).toThrow(message);
    try {
      validateGennakerStackProps(props as never);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
