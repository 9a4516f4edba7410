/**
 * GCE errors as port failures (adapters/targets/gce/gce-errors.ts) for both client majors: a
 * GaxiosError as `@google-cloud/compute` 6.x throws it (HTTP status in `code` and `status`, the raw
 * JSON body as `message`) and a GoogleError as 7.x throws it (gRPC `code`, `httpStatusCode`,
 * `reason`), each built with the library's own class, read alike; throttling, 5xx and connection
 * faults are the only `unavailable`; a quota fails; a finished operation's `error` is a failure.
 */
import { GaxiosError } from 'gaxios';
import { GoogleError } from 'google-gax';
import { describe, expect, it } from 'vitest';
import { gceErrorFacts, gceFailure, operationFailure, reasonOf, statusOf } from '../../../../adapters/targets/gce/gce-errors.ts';

/** Google's error envelope, as Compute answers it. */
function envelope(code: number, reason: string, message: string): Record<string, unknown> {
  return { error: { code, message, errors: [{ message, domain: 'global', reason }] } };
}

/** The 6.x shape: gaxios raises the HTTP answer, its message is the body as text. */
function v6(code: number, reason: string, message: string): GaxiosError {
  const body = JSON.stringify(envelope(code, reason, message));
  const config = { url: new URL('http://127.0.0.1/compute/v1/projects/p/global/instanceTemplates'), method: 'POST', headers: new Headers() } as unknown as ConstructorParameters<typeof GaxiosError>[1];
  const response = { status: code, statusText: '', data: body, headers: new Headers(), config } as unknown as ConstructorParameters<typeof GaxiosError>[2];
  return new GaxiosError(body, config, response);
}

/** The 7.x shape: gax parses the envelope into a GoogleError with the gRPC code. */
function v7(code: number, reason: string, message: string): GoogleError {
  const error = GoogleError.parseHttpError(envelope(code, reason, message));
  // 7.x sets the HTTP status beside the gRPC code (reference/cloud-targets.md §5.3).
  return Object.assign(error, { httpStatusCode: code, reason });
}

const shapes = [
  ['6.x GaxiosError', v6],
  ['7.x GoogleError', v7],
] as const;

describe('GCE errors of both client majors', () => {
  for (const [shape, make] of shapes) {
    describe(shape, () => {
      it.each([
        [404, 'notFound', "The resource 'projects/p/global/images/nope' was not found", 'not-found'],
        [409, 'alreadyExists', "The resource 'projects/p/global/instanceTemplates/t' already exists", 'already-exists'],
        [400, 'invalid', "Invalid value for field 'resource.name'", 'invalid'],
        [412, 'conditionNotMet', 'Precondition Failed', 'failed'],
        [403, 'quotaExceeded', "Quota 'INSTANCES' exceeded.  Limit: 24.0 in region us-central1.", 'failed'],
        [403, 'forbidden', "Required 'compute.instanceTemplates.create' permission", 'failed'],
        [403, 'rateLimitExceeded', 'Rate Limit Exceeded', 'unavailable'],
        [400, 'resourceNotReady', "The resource 'projects/p/zones/z/instanceGroupManagers/g' is not ready", 'unavailable'],
        [429, 'rateLimitExceeded', 'Rate Limit Exceeded', 'unavailable'],
        [500, 'backendError', 'Internal error', 'unavailable'],
        [503, 'backendError', 'The service is currently unavailable', 'unavailable'],
      ])('reads HTTP %i %s', (status, reason, message, expected) => {
        const error = make(status, reason, message);
        expect(statusOf(error)).toBe(status);
        expect(gceErrorFacts(error)).toMatchObject({ status, reason, message });
        expect(reasonOf(error)).toBe(expected);
      });

      it('writes one line naming what failed, Google\'s status, reason and message, and keeps the error as cause', () => {
        const error = make(404, 'notFound', "The resource 'projects/p/global/networks/nope' was not found");
        const failure = gceFailure(error, 'finding network nope');
        expect(failure).toEqual({ ok: false, reason: 'not-found', message: "finding network nope failed: GCE 404 notFound: The resource 'projects/p/global/networks/nope' was not found", cause: error });
        expect(failure.message).not.toContain('\n');
      });

      it('says a throttled call will be tried again, and a quota how to raise it', () => {
        expect(gceFailure(make(429, 'rateLimitExceeded', 'Rate Limit Exceeded'), 'listing groups').message).toBe('listing groups failed: GCE 429 rateLimitExceeded: Rate Limit Exceeded; it will be tried again');
        expect(gceFailure(make(403, 'quotaExceeded', "Quota 'CPUS' exceeded."), 'creating group').message).toContain('raise the quota in the project');
      });

      it('lets the caller override the reason (a missing image named by a field is invalid)', () => {
        const failure = gceFailure(make(404, 'notFound', 'not found'), 'finding image x', (_status, reason) => (reason === 'not-found' ? 'invalid' : reason));
        expect(failure.reason).toBe('invalid');
      });
    });
  }

  it('reads a gRPC code alone (7.x without an HTTP status) as the status it stands for', () => {
    expect(statusOf(Object.assign(new GoogleError('deadline'), { code: 4 }))).toBe(504);
    expect(reasonOf(Object.assign(new GoogleError('deadline'), { code: 4 }))).toBe('unavailable');
    expect(reasonOf(Object.assign(new GoogleError('precondition'), { code: 9 }))).toBe('failed');
    expect(statusOf(Object.assign(new GoogleError('precondition'), { code: 9 }))).toBe(412);
  });

  it('reads a connection fault as unavailable', () => {
    const refused = Object.assign(new Error('request to http://127.0.0.1:1/ failed, reason: connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(reasonOf(refused)).toBe('unavailable');
    expect(gceFailure(refused, 'listing groups').message).toBe('listing groups failed: GCE ECONNREFUSED: request to http://127.0.0.1:1/ failed, reason: connect ECONNREFUSED 127.0.0.1:1; it will be tried again');
    const wrapped = Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNRESET' } });
    expect(reasonOf(wrapped)).toBe('unavailable');
  });

  it('throws what is not a client error: that is a bug, not a cloud failure', () => {
    expect(() => gceFailure(new TypeError('x is undefined'), 'creating')).toThrow('x is undefined');
  });

  it("reads a finished operation's error", () => {
    const operation = {
      name: 'operation-1',
      status: 'DONE',
      httpErrorStatusCode: 404,
      error: { errors: [{ code: 'RESOURCE_NOT_FOUND', message: "The resource 'projects/p/global/images/gone' was not found" }] },
    };
    expect(operationFailure(operation, 'creating instance template t')).toEqual({
      ok: false,
      reason: 'not-found',
      message: "creating instance template t failed: GCE operation operation-1 ended with RESOURCE_NOT_FOUND: The resource 'projects/p/global/images/gone' was not found",
      cause: operation,
    });
    expect(operationFailure({ name: 'operation-2', status: 'DONE', httpErrorStatusCode: 403, error: { errors: [{ code: 'QUOTA_EXCEEDED', message: "Quota 'INSTANCES' exceeded" }] } }, 'creating group')).toMatchObject({ reason: 'failed' });
    expect(operationFailure({ name: 'operation-3', status: 'DONE' }, 'creating group')).toBeUndefined();
  });
});
