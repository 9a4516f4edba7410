/**
 * How the simulator reads a request before any service sees it: which service it is for (from
 * the SigV4 credential scope), which protocol it speaks, which operation it calls, and how that
 * protocol says "unknown operation" or "slow down".
 */
import { awsJsonError, restJsonError, targetOperation } from './json-protocol.ts';
import { awsQueryError, ec2Error, queryParams } from './query-protocol.ts';
import { s3Error } from './s3.ts';
import type { AwsProtocol, AwsServiceSim, SimRequest, SimResponse } from './service.ts';

/** Service, region and access key id from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, …`. */
export function credentialScope(authorization: string | undefined): { accessKeyId: string; region: string; service: string } | undefined {
  const match = /Credential=([^/,\s]+)\/\d{8}\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/.exec(authorization ?? '');
  if (!match) return undefined;
  return { accessKeyId: match[1]!, region: match[2]!, service: match[3]! };
}

/** The service of an AWS endpoint host (`ec2.us-west-2.amazonaws.com`, `sts.amazonaws.com`), for a request without a credential scope. */
export function serviceOfHost(host: string | undefined): string | undefined {
  const name = (host ?? '').split(':')[0]!;
  return /\.amazonaws\.com(\.cn)?$/.test(name) ? name.split('.')[0] : undefined;
}

/** The protocol a request speaks: the service's own declaration, or a guess from the request. */
export function protocolOf(service: AwsServiceSim | undefined, signingName: string, req: SimRequest): AwsProtocol {
  if (service?.protocol) return service.protocol;
  const target = req.headers['x-amz-target'];
  if (target) return { kind: 'awsJson', jsonVersion: (req.headers['content-type'] ?? '').includes('1.0') ? '1.0' : '1.1' };
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/x-www-form-urlencoded') || req.query['Action'] !== undefined) {
    const version = queryParams(req)['Version'] ?? '';
    return signingName === 'ec2'
      ? { kind: 'ec2Query', xmlns: `http://ec2.amazonaws.com/doc/${version}/`, version }
      : { kind: 'awsQuery', xmlns: `https://${signingName}.amazonaws.com/doc/${version}/`, version };
  }
  return { kind: 'restJson' };
}

/** The operation a request calls, or undefined when its protocol does not say (REST without `operationOf`). */
export function operationOf(service: AwsServiceSim | undefined, protocol: AwsProtocol, req: SimRequest): string | undefined {
  if (service?.operationOf) return service.operationOf(req);
  switch (protocol.kind) {
    case 'awsQuery':
    case 'ec2Query':
      return queryParams(req)['Action'];
    case 'awsJson':
      return targetOperation(req.headers['x-amz-target']);
    case 'restJson':
    case 'restXml':
      return undefined;
  }
}

/** The protocol's own error response. */
export function protocolError(protocol: AwsProtocol, status: number, code: string, message: string, requestId: string): SimResponse {
  switch (protocol.kind) {
    case 'awsQuery':
      return awsQueryError(protocol.xmlns, status, code, message, requestId);
    case 'ec2Query':
      return ec2Error(status, code, message, requestId);
    case 'awsJson':
      return awsJsonError(protocol.jsonVersion, status, code, message);
    case 'restJson':
      return restJsonError(status, code, message);
    case 'restXml':
      return s3Error(status, code, message, requestId);
  }
}

/** The protocol's "unknown operation" answer (reference §7): InvalidAction 400, UnknownOperationException, REST 404. */
export function unknownOperation(protocol: AwsProtocol, operation: string | undefined, requestId: string): SimResponse {
  const name = operation ?? '(none)';
  switch (protocol.kind) {
    case 'awsQuery':
      return awsQueryError(protocol.xmlns, 400, 'InvalidAction', `Could not find operation ${name} for version ${protocol.version}`, requestId);
    case 'ec2Query':
      return ec2Error(400, 'InvalidAction', `The action ${name} is not valid for this web service.`, requestId);
    case 'awsJson':
      return awsJsonError(protocol.jsonVersion, 400, 'UnknownOperationException', `Unknown operation ${name}`);
    case 'restJson':
      return restJsonError(404, 'UnknownOperationException', `Unknown operation ${name}`);
    case 'restXml':
      return s3Error(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented', requestId);
  }
}

/**
 * The code and status a protocol uses for throttling. Each is one the SDK's standard retry
 * recognises by name (and 429 by status), so the SDK backs off and retries.
 */
export function throttleFor(protocol: AwsProtocol): { code: string; status: number } {
  switch (protocol.kind) {
    case 'ec2Query':
      return { code: 'RequestLimitExceeded', status: 503 };
    case 'awsQuery':
      return { code: 'Throttling', status: 400 };
    case 'awsJson':
      return { code: 'ThrottlingException', status: 400 };
    case 'restJson':
      return { code: 'TooManyRequestsException', status: 429 };
    case 'restXml':
      return { code: 'SlowDown', status: 503 };
  }
}

/** The error code in a response a service wrote, for the call log. */
export function errorCodeOf(response: SimResponse): string | undefined {
  if (response.status < 400) return undefined;
  const header = response.headers['x-amzn-errortype'];
  if (header) return header.split(':')[0];
  const body = typeof response.body === 'string' ? response.body : response.body.toString('utf8');
  const xml = /<Code>([^<]*)<\/Code>/.exec(body);
  if (xml) return xml[1];
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    const code = json['__type'] ?? json['code'] ?? json['Code'];
    if (typeof code === 'string') return code.split('#').pop();
  } catch {
    // not JSON: no code to report
  }
  return `HTTP${response.status}`;
}
