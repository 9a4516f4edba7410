/**
 * Gennaker's six Lambda functions, each bundled from its entry point in functions/<dir>/handler.ts
 * by scripts/build.js (the local esbuild, no Docker): ESM, minified, Node.js 22 on arm64, with the
 * AWS SDK bundled rather than taken from the runtime, so each bundle holds exactly the SDK clients
 * its handler imports (tree-shaken) at the version the tests ran against.
 *
 * Why not NodejsFunction: it runs the esbuild command line, which takes no plugins, and the
 * plugins are what keep the bundles small (zod tree-shaken, the YAML parser loaded on demand,
 * Lambda's environment credentials only). So each function's code is an asset whose local
 * bundling runs `node scripts/build.js --only <dir> --outdir <asset dir>` during synthesis:
 * offline, about a second per function, and byte for byte what `npm run build` measures.
 *
 * Every function gets its own role (no AWS managed policy), its own log group with a retention,
 * and X-Ray tracing. Permissions beyond writing its logs are granted by the stack
 * (infra/permissions.ts), in one place, so they can be read and reviewed together.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArnFormat, AssetHashType, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
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
  notifier: { dir: 'notifier', suffix: 'notifier', timeout: Duration.seconds(60), description: "Gennaker notifier: sends the notifications of Gennaker's events" },
} as const;

export type FunctionKey = keyof typeof FUNCTION_SPECS;

/**
 * The code of one function: scripts/build.js's output for functions/<dir>, built at synthesis.
 * The asset's hash is that of the output, so an unchanged bundle is not uploaded again.
 */
export function functionCode(projectRoot: string, dir: string): lambda.Code {
  const script = join(projectRoot, 'scripts', 'build.js');
  return lambda.Code.fromAsset(join(projectRoot, 'functions', dir), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: local bundling always answers (it throws rather than fall back to Docker).
      image: lambda.Runtime.NODEJS_22_X.bundlingImage,
      local: {
        tryBundle(outputDir: string): boolean {
          const run = spawnSync(process.execPath, [script, '--only', dir, '--outdir', outputDir], { cwd: projectRoot, encoding: 'utf8' });
          if (run.status !== 0) {
            const reason = (run.stderr || run.error?.message || `exit status ${run.status}`).trim().split('\n')[0];
            throw new Error(`bundling functions/${dir} failed: ${reason}; run 'node scripts/build.js --only ${dir}' to see the whole error`);
          }
          return true;
        },
      },
    },
  });
}

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
   * The repository root holding functions/ and scripts/build.js.
   * @default - the root of this checkout
   */
  readonly projectRoot?: string;
}

/** The API, stage runner, trigger router, reconciler, publisher and notifier functions. */
export class GennakerFunctions extends Construct {
  readonly api: lambda.Function;
  readonly stageRunner: lambda.Function;
  readonly triggerRouter: lambda.Function;
  readonly reconciler: lambda.Function;
  readonly publisher: lambda.Function;
  readonly notifier: lambda.Function;
  /** The physical name of each function (deterministic, so ARNs can be known before deploy). */
  readonly functionNames: Readonly<Record<FunctionKey, string>>;

  constructor(scope: Construct, id: string, props: GennakerFunctionsProps) {
    super(scope, id);
    const projectRoot = props.projectRoot ?? REPO_ROOT;
    const names = Object.fromEntries(
      (Object.keys(FUNCTION_SPECS) as FunctionKey[]).map((key) => [key, functionNameOf(props.prefix, key)]),
    ) as Record<FunctionKey, string>;
    this.functionNames = names;

    const create = (key: FunctionKey, options: { readonly asyncDeadLetterQueue: boolean }): lambda.Function => {
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
      return new lambda.Function(scopeOf, 'Function', {
        functionName: names[key],
        description: spec.description,
        code: functionCode(projectRoot, spec.dir),
        handler: 'index.handler',
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
      });
    };

    this.api = create('api', { asyncDeadLetterQueue: false });
    this.stageRunner = create('stageRunner', { asyncDeadLetterQueue: false });
    this.triggerRouter = create('triggerRouter', { asyncDeadLetterQueue: true });
    this.reconciler = create('reconciler', { asyncDeadLetterQueue: true });
    this.publisher = create('publisher', { asyncDeadLetterQueue: true });
    this.notifier = create('notifier', { asyncDeadLetterQueue: true });
  }

  /** Every function, keyed as in FUNCTION_SPECS. */
  all(): Readonly<Record<FunctionKey, lambda.Function>> {
    return { api: this.api, stageRunner: this.stageRunner, triggerRouter: this.triggerRouter, reconciler: this.reconciler, publisher: this.publisher, notifier: this.notifier };
  }
}
