/**
 * SigV4 for the CLI's API requests. On AWS the Gennaker API sits behind API Gateway with IAM
 * auth, so every request must carry an AWS Signature Version 4 (service `execute-api`) made
 * with the caller's AWS credentials; API Gateway checks it and hands the API the caller's ARN.
 *
 * When to sign: `GENNAKER_AUTH=sigv4` always, `GENNAKER_AUTH=token` never, and otherwise when
 * the endpoint is an `https://<api-id>.execute-api.<region>.amazonaws.com` URL. The region is
 * the endpoint's own, else AWS_REGION / AWS_DEFAULT_REGION (custom domains, tests). Credentials
 * come from the AWS SDK's default chain: environment variables, the shared config and
 * credentials files (AWS_PROFILE), SSO, credential processes, web identity, container and
 * instance metadata, the same places the AWS CLI looks.
 */
import type { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials as the SDK's chain returns them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Where credentials come from: the SDK's default chain unless a test or caller supplies one. */
export type CredentialsProvider = () => Promise<AwsCredentials>;

/** How the CLI authenticates to an endpoint. */
export type ApiAuth = { readonly kind: 'token' } | { readonly kind: 'sigv4'; readonly region: string };

/** The settings the decision reads (GENNAKER_AUTH, AWS_REGION, AWS_DEFAULT_REGION). */
export type AuthEnvironment = Readonly<Record<string, string | undefined>>;

/** API Gateway's default endpoint host: `<api-id>.execute-api.<region>.amazonaws.com` (`.com.cn` in China). */
const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** The setting was given a value the CLI cannot use; the message names it and the fix. */
export class AuthSettingError extends Error {
  override readonly name = 'AuthSettingError';
}

/**
 * Decides how requests to `endpoint` authenticate. Throws AuthSettingError for a GENNAKER_AUTH
 * value other than `sigv4` or `token`, or when signing is asked for and no region is known.
 */
export function resolveApiAuth(endpoint: string, environment: AuthEnvironment): ApiAuth {
  const mode = environment['GENNAKER_AUTH']?.trim().toLowerCase() || undefined;
  if (mode !== undefined && mode !== 'sigv4' && mode !== 'token') {
    throw new AuthSettingError(`GENNAKER_AUTH is '${environment['GENNAKER_AUTH']}', expected 'sigv4' (sign with AWS credentials) or 'token' (bearer token); unset it to decide by the endpoint`);
  }
  if (mode === 'token') return { kind: 'token' };
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  const hostRegion = url?.protocol === 'https:' ? EXECUTE_API_HOST.exec(url.hostname)?.[1] : undefined;
  if (mode === undefined && hostRegion === undefined) return { kind: 'token' };
  const region = hostRegion ?? (environment['AWS_REGION'] || environment['AWS_DEFAULT_REGION']);
  if (region === undefined) {
    throw new AuthSettingError(`GENNAKER_AUTH=sigv4 needs the API's region for ${endpoint}: set AWS_REGION (e.g. AWS_REGION=us-east-1)`);
  }
  return { kind: 'sigv4', region };
}

/** One request to sign: the headers returned replace the request's. */
export interface RequestToSign {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Signs API requests with SigV4 for `execute-api`. */
export interface RequestSigner {
  /** The request's headers plus Authorization, X-Amz-Date and (with temporary credentials) X-Amz-Security-Token. */
  sign(request: RequestToSign): Promise<Record<string, string>>;
}

/** No credentials could be found; the message says where to put some. */
export class MissingCredentialsError extends Error {
  override readonly name = 'MissingCredentialsError';
}

export interface SigV4SignerOptions {
  readonly region: string;
  /** @default the AWS SDK's default credential chain (env, AWS_PROFILE, SSO, IMDS...) */
  readonly credentials?: CredentialsProvider;
  /** @default new Date() at signing */
  readonly now?: () => Date;
}

/**
 * A signer for the API's requests; credentials are resolved on the first request, once. The SDK's
 * signer and credential chain load on that first request too: the CLI starts without them, and a
 * command talking to a local Gennaker never loads them.
 */
export function createSigV4Signer(options: SigV4SignerOptions): RequestSigner {
  let provider: Promise<CredentialsProvider> | undefined;
  const providerOf = (): Promise<CredentialsProvider> =>
    (provider ??= options.credentials ? Promise.resolve(options.credentials) : import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider()));
  let credentials: Promise<AwsCredentials> | undefined;
  const resolveCredentials = async (): Promise<AwsCredentials> => {
    const chain = await providerOf();
    try {
      return await chain();
    } catch (error) {
      credentials = undefined; // let a later request try again (e.g. after `aws sso login`)
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new MissingCredentialsError(
        `no AWS credentials to sign requests with (${reason}): run 'aws configure' (or 'aws sso login'), or set AWS_PROFILE to a configured profile`,
        { cause: error },
      );
    }
  };
  let sdkSigner: Promise<SignatureV4> | undefined;
  const signerOf = (): Promise<SignatureV4> =>
    (sdkSigner ??= Promise.all([import('@smithy/signature-v4'), import('@smithy/core/checksum')]).then(
      ([{ SignatureV4 }, { Sha256 }]) =>
        new SignatureV4({
          service: 'execute-api',
          region: options.region,
          sha256: Sha256,
          credentials: () => (credentials ??= resolveCredentials()),
        }),
    ));
  return {
    async sign({ method, url, headers, body }) {
      const query: Record<string, string | string[]> = {};
      for (const key of new Set(url.searchParams.keys())) {
        const values = url.searchParams.getAll(key);
        query[key] = values.length === 1 ? values[0]! : values;
      }
      const signed = await (await signerOf()).sign(
        {
          method,
          protocol: url.protocol,
          hostname: url.hostname,
          ...(url.port === '' ? {} : { port: Number(url.port) }),
          path: url.pathname,
          query,
          // The Host header fetch will send: the URL's host, with its port unless default.
          headers: { ...headers, host: url.host },
          ...(body === undefined ? {} : { body }),
        },
        options.now === undefined ? {} : { signingDate: options.now() },
      );
      // fetch sets Host from the URL itself.
      const { host: _host, ...rest } = signed.headers as Record<string, string>;
      return rest;
    },
  };
}
