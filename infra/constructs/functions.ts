/**
 * Gennaker's five Lambda functions, each bundled from its entry point in functions/<dir>/handler.ts
 * with the local esbuild (no Docker): ESM, minified, Node.js 22 on arm64, with the AWS SDK
 * bundled rather than taken from the runtime, so each bundle holds exactly the SDK clients its
 * handler imports (tree-shaken) at the version the tests ran against.
 *
 * Every function gets its own role (no AWS managed policy), its own log group with a retention,
 * and X-Ray tracing. Permissions beyond writing its logs are granted by the stack
 * (infra/permissions.ts), in one place, so they can be read and reviewed together.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The functions the stack deploys: the key is the folder under functions/. */
export const FUNCTION_SPECS = {
  api: { dir: 'api', suffix: 'api', timeout: Duration.seconds(29), description: 'Gennaker API (API Gateway REST proxy to the Hono app)' },
  stageRunner: { dir: 'stage-runner', suffix: 'stage-runner', timeout: Duration.minutes(5), description: 'Gennaker stage runner: every Task of every pipeline state machine' },
  triggerRouter: { dir: 'triggers', suffix: 'trigger-router', timeout: Duration.seconds(60), description: 'Gennaker trigger router: ECR, CodeCommit, cron and pipeline-completed events' },
  reconciler: { dir: 'reconciler', suffix: 'reconciler', timeout: Duration.seconds(60), description: 'Gennaker reconciler: Step Functions execution status changes' },
  publisher: { dir: 'publisher', suffix: 'publisher', timeout: Duration.minutes(5), description: 'Gennaker publisher: compiles and publishes saved pipelines as state machines' },
} as const;

export type FunctionKey = keyof typeof FUNCTION_SPECS;

/**
 * Credential sources the SDK's default chain imports lazily (`await import(...)`) and only
 * after the environment variables Lambda always sets: SSO, shared ini files, credential
 * processes, web identity files, container and instance metadata. Left out of the bundles
 * (about 130 KB each); were one ever reached, the runtime's own SDK copy would answer.
 */
export const UNREACHABLE_CREDENTIAL_PROVIDERS = [
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
] as const;

/** A function's physical name: `${prefix}-<role>` (e.g. `gennaker-stage-runner`). */
export function functionNameOf(prefix: string, key: FunctionKey): string {
  return `${prefix}-${FUNCTION_SPECS[key].suffix}`;
}

/**
 * A function's ARN built from its name. Roles that the functions' own environment refers to
 * (the state machine role, the scheduler role) use it, so no reference cycle can form.
 */
export function functionArnOf(scope: Construct, prefix: string, key: FunctionKey): string {
  return Stack.of(scope).formatArn({ service: 'lambda', resource: 'function', resourceName: functionNameOf(prefix, key), arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

export interface GennakerFunctionsProps {
  /** The deployment's name prefix: functions are named `${prefix}-<role>` (e.g. `gennaker-api`). */
  readonly prefix: string;
  /** Environment every function gets (table, bus, prefix). */
  readonly environment: Readonly<Record<string, string>>;
  /** Environment added per function, on top of `environment`. */
  readonly environmentOf?: Partial<Record<FunctionKey, Readonly<Record<string, string>>>>;
  /**
   * How long function logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Memory of every function, in MB (CPU grows with it).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Where asynchronous invocations that failed every retry go (EventBridge and API → publisher).
   * @default - failed asynchronous invocations are dropped after Lambda's retries
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * The repository root holding functions/ and package-lock.json.
   * @default - the root of this checkout
   */
  readonly projectRoot?: string;
}

/** The API, stage runner, trigger router, reconciler and publisher functions. */
export class GennakerFunctions extends Construct {
  readonly api: nodejs.NodejsFunction;
  readonly stageRunner: nodejs.NodejsFunction;
  readonly triggerRouter: nodejs.NodejsFunction;
  readonly reconciler: nodejs.NodejsFunction;
  readonly publisher: nodejs.NodejsFunction;
  /** The physical name of each function (deterministic, so ARNs can be known before deploy). */
  readonly functionNames: Readonly<Record<FunctionKey, string>>;

  constructor(scope: Construct, id: string, props: GennakerFunctionsProps) {
    super(scope, id);
    const projectRoot = props.projectRoot ?? REPO_ROOT;
    const names = Object.fromEntries(
      (Object.keys(FUNCTION_SPECS) as FunctionKey[]).map((key) => [key, functionNameOf(props.prefix, key)]),
    ) as Record<FunctionKey, string>;
    this.functionNames = names;

    const create = (key: FunctionKey, options: { readonly asyncDeadLetterQueue: boolean }): nodejs.NodejsFunction => {
      const spec = FUNCTION_SPECS[key];
      const entry = join(projectRoot, 'functions', spec.dir, 'handler.ts');
      if (!existsSync(entry)) {
        throw new Error(`functions/${spec.dir}/handler.ts does not exist: the ${key} function needs it as its Lambda entry point (export a 'handler')`);
      }
      const scopeOf = new Construct(this, key);
      const logGroup = new logs.LogGroup(scopeOf, 'LogGroup', {
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const role = new iam.Role(scopeOf, 'Role', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Runs the ${names[key]} function`,
      });
      // Instead of AWSLambdaBasicExecutionRole (logs:* on every log group): this group only.
      logGroup.grantWrite(role);
      return new nodejs.NodejsFunction(scopeOf, 'Function', {
        functionName: names[key],
        description: spec.description,
        entry,
        handler: 'handler',
        projectRoot,
        depsLockFilePath: join(projectRoot, 'package-lock.json'),
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: props.memorySize ?? 512,
        timeout: spec.timeout,
        tracing: lambda.Tracing.ACTIVE,
        role,
        logGroup,
        environment: { ...props.environment, ...props.environmentOf?.[key] },
        ...(options.asyncDeadLetterQueue && props.deadLetterQueue
          ? { deadLetterQueueEnabled: true, deadLetterQueue: props.deadLetterQueue, retryAttempts: 2 }
          : {}),
        bundling: {
          forceDockerBundling: false,
          format: nodejs.OutputFormat.ESM,
          target: 'node22',
          minify: true,
          sourceMap: false,
          // Bundle the SDK: each function carries only the clients it imports, at a pinned version.
          bundleAwsSDK: true,
          externalModules: [...UNREACHABLE_CREDENTIAL_PROVIDERS],
          mainFields: ['module', 'main'],
          // ESM bundles that contain CommonJS dependencies need a require() of their own
          // (the same banner scripts/build.js uses).
          banner: "import { createRequire as __gennakerRequire } from 'node:module'; const require = __gennakerRequire(import.meta.url);",
          logLevel: nodejs.LogLevel.WARNING,
        },
      });
    };

    this.api = create('api', { asyncDeadLetterQueue: false });
    this.stageRunner = create('stageRunner', { asyncDeadLetterQueue: false });
    this.triggerRouter = create('triggerRouter', { asyncDeadLetterQueue: true });
    this.reconciler = create('reconciler', { asyncDeadLetterQueue: true });
    this.publisher = create('publisher', { asyncDeadLetterQueue: true });
  }

  /** Every function, keyed as in FUNCTION_SPECS. */
  all(): Readonly<Record<FunctionKey, nodejs.NodejsFunction>> {
    return { api: this.api, stageRunner: this.stageRunner, triggerRouter: this.triggerRouter, reconciler: this.reconciler, publisher: this.publisher };
  }
}
