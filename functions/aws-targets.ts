/**
 * The AWS deploy targets of the stage runner: each configured account served through its own
 * role (STS AssumeRole, adapters/aws/assumed-role.ts), with the SDK clients of each region it
 * deploys to. `aws` accounts hold EC2 Auto Scaling groups (adapters/targets/aws-ec2), Lambda
 * functions (adapters/targets/aws-lambda) and CodeBuild projects (adapters/builds); `ecs` accounts hold ECS services
 * (adapters/targets/aws-ecs).
 *
 * Loaded on demand (functions/aws-account-targets.ts): these SDK clients are most of a megabyte,
 * so scripts/build.js bundles this module on its own (`aws-targets.mjs` beside the stage runner's
 * `index.mjs`), read the first time a stage calls a deploy target, not at every cold start.
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { assumedRoleCredentials, type AssumedRoleCredentials } from '../adapters/aws/assumed-role.ts';
import { createCodeBuildBuilds } from '../adapters/builds/codebuild-builds.ts';
import { createEc2Target } from '../adapters/targets/aws-ec2/ec2-target.ts';
import { createEcsTarget } from '../adapters/targets/aws-ecs/ecs-target.ts';
import { createAwsLambdaFunctions } from '../adapters/targets/aws-lambda/lambda-functions.ts';
import { createRegionalTarget } from '../adapters/targets/regional-target.ts';
import type { Account } from '../core/ports/accounts.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { Target } from '../core/ports/target.ts';

/** Settings every SDK client here gets (tests point them at the AWS simulator). */
export interface AwsClientSettings {
  /** @default AWS's own endpoints */
  readonly endpoint?: string;
  /** @default 3 (the SDK's standard retry) */
  readonly maxAttempts?: number;
}

/** Where STS is called, the clock sessions are renewed by, and the session name of each call. */
export interface AwsTargetsOptions {
  /** The stage runner's own region: STS is called there. */
  readonly region: string;
  /** Decides when an assumed session is due for renewal. */
  readonly clock: Clock;
  /** The role session name of the calls made now (`gennaker-<execution id>`). */
  readonly sessionName: () => string;
  readonly clients?: AwsClientSettings;
  /**
   * The credentials STS is called with. @default the function's own (Lambda's environment)
   */
  readonly callerCredentials?: AwsCredentialIdentity;
  /** The inline session policy every assumed session carries (the API's reads: describe-only). @default none: the role's permissions */
  readonly sessionPolicy?: string;
  /** Who assumes the accounts' roles, for the fix of a refusal. @default "the stage runner's role" */
  readonly caller?: string;
  /**
   * How an account without `assumeRole` acts: refused (on AWS every deploy account acts through
   * its role), or, `caller`, with the caller's own credentials (local mode: the person's
   * environment, profile or SSO session). @default 'refuse'
   */
  readonly withoutRole?: 'refuse' | 'caller';
}

/** The AWS targets of the configured accounts. */
export interface AwsTargets {
  /** The target of an `aws` or `ecs` account that has a role; made once per account. */
  targetOf(account: Account): Target;
  /**
   * The credentials of an account's role: the provider its target's clients use, so every client
   * made in the account (the canary's CloudWatch too: functions/aws-metrics.ts) shares one session
   * per execution.
   */
  credentialsOf(account: Account): AssumedRoleCredentials;
  /** Closes every SDK client made so far. */
  close(): void;
}

/** Creates the targets; nothing is called before a port is. */
export function createAwsTargets(options: AwsTargetsOptions): AwsTargets {
  const settings = {
    ...(options.clients?.endpoint !== undefined ? { endpoint: options.clients.endpoint } : {}),
    ...(options.clients?.maxAttempts !== undefined ? { maxAttempts: options.clients.maxAttempts } : {}),
  };
  const made: Array<{ destroy(): void }> = [];
  const keep = <C extends { destroy(): void }>(client: C): C => {
    made.push(client);
    return client;
  };
  const sts = keep(new STSClient({ region: options.region, ...settings, ...(options.callerCredentials ? { credentials: options.callerCredentials } : {}) }));
  const targets = new Map<string, Target>();
  const roles = new Map<string, AssumedRoleCredentials>();

  const credentialsOf = (account: Account): AssumedRoleCredentials => {
    let credentials = roles.get(account.name);
    if (credentials) return credentials;
    if (!account.assumeRole) throw new Error(`account '${account.name}' has no assumeRole: on AWS every deploy account acts through its role`);
    credentials = assumedRoleCredentials({
      account: account.name,
      roleArn: account.assumeRole,
      ...(account.externalId !== undefined ? { externalId: account.externalId } : {}),
      sts,
      sessionName: options.sessionName,
      clock: options.clock,
      ...(options.sessionPolicy !== undefined ? { sessionPolicy: options.sessionPolicy } : {}),
      ...(options.caller !== undefined ? { caller: options.caller } : {}),
    });
    roles.set(account.name, credentials);
    return credentials;
  };

  const build = (account: Account): Target => {
    // Without a role (local mode only): the caller's credentials, or the SDK's own chain.
    const credentials = account.assumeRole === undefined && options.withoutRole === 'caller' ? options.callerCredentials : credentialsOf(account);
    const config = (region: string) => ({ region, ...(credentials ? { credentials } : {}), ...settings });
    // One client per service and region, made on first use.
    const perRegion = <C extends { destroy(): void }>(make: (region: string) => C) => {
      const byRegion = new Map<string, C>();
      return (region: string): C => {
        let client = byRegion.get(region);
        if (!client) {
          client = keep(make(region));
          byRegion.set(region, client);
        }
        return client;
      };
    };
    const ec2 = perRegion((region) => new EC2Client(config(region)));
    const elbv2 = perRegion((region) => new ElasticLoadBalancingV2Client(config(region)));
    const common = { account: account.name, regions: account.regions };
    if (account.cloudProvider === 'ecs') {
      const ecs = perRegion((region) => new ECSClient(config(region)));
      const applicationAutoScaling = perRegion((region) => new ApplicationAutoScalingClient(config(region)));
      return createRegionalTarget({
        ...common,
        cloudProvider: 'ecs',
        create: (region) =>
          createEcsTarget({
            account: account.name,
            region,
            clients: { ecs: ecs(region), applicationAutoScaling: applicationAutoScaling(region), elbv2: elbv2(region), ec2: ec2(region) },
            clock: options.clock,
            ...(account.accountId !== undefined ? { accountId: account.accountId } : {}),
            // Fargate tasks log and pull with it when their task definition names none (clouddriver: the account's role).
            ...(account.executionRoleArn ?? account.assumeRole ? { executionRoleArn: (account.executionRoleArn ?? account.assumeRole)! } : {}),
          }),
      });
    }
    const autoScaling = perRegion((region) => new AutoScalingClient(config(region)));
    const lambda = perRegion((region) => new LambdaClient(config(region)));
    const codeBuild = perRegion((region) => new CodeBuildClient(config(region)));
    const servers = createRegionalTarget({
      ...common,
      cloudProvider: 'aws',
      create: (region) =>
        createEc2Target({ account: account.name, region, clients: { ec2: ec2(region), autoScaling: autoScaling(region), elbv2: elbv2(region) }, clock: options.clock, ...(account.weightedTraffic ? { weightedTraffic: true } : {}) }),
    });
    // An aws account also holds the functions Spinnaker's Lambda stages deploy, and the CodeBuild projects awsCodeBuild stages build.
    return { ...servers, functions: createAwsLambdaFunctions({ regions: account.regions, clientFor: lambda }), builds: createCodeBuildBuilds({ regions: account.regions, clientFor: codeBuild }) };
  };

  return {
    targetOf(account) {
      let target = targets.get(account.name);
      if (!target) {
        target = build(account);
        targets.set(account.name, target);
      }
      return target;
    },
    credentialsOf,
    close() {
      for (const client of made.splice(0)) client.destroy();
    },
  };
}
