/**
 * The API server's answers as port reasons (adapters/targets/kubernetes/errors.ts), read from
 * client-node's own ApiException with the Status body as a JSON string, and the network's faults;
 * one line per failure, tokens masked.
 */
import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { kubernetesFailure, reasonOf } from '../../../../adapters/targets/kubernetes/errors.ts';

const status = (code: number, reason: string, message: string) => new ApiException<string>(code, 'Unknown API Status Code!', JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code }), {});

describe('API server answers', () => {
  it.each([
    [404, 'NotFound', 'not-found'],
    [409, 'AlreadyExists', 'already-exists'],
    [409, 'Conflict', 'conflict'],
    [422, 'Invalid', 'invalid'],
    [400, 'BadRequest', 'invalid'],
    [415, 'UnsupportedMediaType', 'invalid'],
    [403, 'Forbidden', 'forbidden'],
    [401, 'Unauthorized', 'failed'],
    [429, 'TooManyRequests', 'unavailable'],
    [500, 'InternalError', 'unavailable'],
    [503, 'ServiceUnavailable', 'unavailable'],
    [410, 'Gone', 'failed'],
  ])('maps %i %s to %s', (code, reason, expected) => {
    expect(reasonOf(status(code, reason, 'x'))).toBe(expected);
  });

  it('says what was attempted, on which object, and the server\'s message, on one line', () => {
    const failure = kubernetesFailure(status(422, 'Invalid', 'ReplicaSet.apps "web-v001" is invalid:\n spec.selector: Required value'), 'applying replicaSet default/web-v001');
    expect(failure).toMatchObject({ ok: false, reason: 'invalid', status: 422, message: 'applying replicaSet default/web-v001 failed: 422 Invalid: ReplicaSet.apps "web-v001" is invalid: spec.selector: Required value' });
  });

  it('maps refused connections and timeouts to unavailable, and masks tokens', () => {
    const refused = Object.assign(new Error('request to https://k failed, reason: connect ECONNREFUSED'), { name: 'FetchError', code: 'ECONNREFUSED', type: 'system' });
    expect(kubernetesFailure(refused, 'reading pod default/p')).toMatchObject({ reason: 'unavailable', message: 'reading pod default/p failed: the API server could not be reached (ECONNREFUSED); it will be tried again' });
    const timeout = Object.assign(new Error('The operation was aborted.'), { name: 'AbortError', type: 'aborted' });
    expect(kubernetesFailure(timeout, 'listing pods')).toMatchObject({ reason: 'unavailable' });
    const leaky = status(401, 'Unauthorized', 'token Bearer abc.def.ghi and k8s-aws-v1.aHR0cHM6Ly9zdHM rejected');
    expect(kubernetesFailure(leaky, 'reading x').message).toBe("reading x failed: 401 Unauthorized: token Bearer ****** and k8s-aws-v1.****** rejected; the account's credentials were refused: check its kubeconfig user, token or EKS role");
  });

  it('throws what is neither the server\'s nor the network\'s: that is a bug', () => {
    expect(() => kubernetesFailure(new TypeError('x is undefined'), 'reading x')).toThrow(TypeError);
  });
});
