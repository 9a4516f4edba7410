/**
 * The REST API in front of the API function: every route is proxied to the one Hono app, and
 * every method requires IAM (SigV4) auth — there is no anonymous route, and no OPTIONS method
 * (the API is not called cross-origin). Requests are throttled per stage and access-logged to a
 * log group with a retention.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The methods the API answers; each one is declared explicitly so each carries IAM auth. */
export const API_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export interface ApiThrottling {
  /**
   * Steady-state requests per second across the stage.
   * @default 50
   */
  readonly rateLimit?: number;
  /**
   * Burst capacity across the stage.
   * @default 100
   */
  readonly burstLimit?: number;
}

export interface ApiProps {
  /** The function that serves every route. */
  readonly handler: lambda.IFunction;
  /**
   * The deployment stage, the last part of the endpoint URL.
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Stage-wide throttling.
   * @default - 50 requests per second, bursts of 100
   */
  readonly throttling?: ApiThrottling;
  /**
   * How long access logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Create the account-wide role API Gateway uses to write to CloudWatch Logs. Access logs need
   * it once per account and region; turn it off when the account already has one configured.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
}

/** A regional REST API, IAM-authorized on every method, proxying to the API function. */
export class Api extends Construct {
  readonly restApi: apigateway.RestApi;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      description: 'Gennaker API (IAM auth)',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      cloudWatchRole: props.cloudWatchRole ?? true,
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        throttlingRateLimit: props.throttling?.rateLimit ?? 50,
        throttlingBurstLimit: props.throttling?.burstLimit ?? 100,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        // Errors only, and never request or response bodies: they may hold webhook secrets.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        tracingEnabled: true,
        metricsEnabled: true,
      },
    });

    // Attached to every method (cdk-nag APIG2). No body model on the catch-all proxy: several
    // routes take no body at all (cancel, restart, a bare start), and an edge model cannot tell
    // them apart; the app validates every body with messages that name the field, the value
    // and the fix, and answers 400 before anything changes.
    const requestValidator = new apigateway.RequestValidator(this, 'RequestValidator', {
      restApi: this.restApi,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const integration = new apigateway.LambdaIntegration(props.handler, { proxy: true, scopePermissionToMethod: false });
    const methodOptions: apigateway.MethodOptions = { authorizationType: apigateway.AuthorizationType.IAM, requestValidator };
    const proxy = this.restApi.root.addResource('{proxy+}');
    for (const resource of [this.restApi.root, proxy]) {
      for (const method of API_METHODS) resource.addMethod(method, integration, methodOptions);
    }
  }

  /** The stage's invoke URL, e.g. https://<api-id>.execute-api.<region>.amazonaws.com/prod/ */
  get url(): string {
    return this.restApi.url;
  }
}
