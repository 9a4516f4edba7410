/** Webhook signatures: reading the headers, HMAC verification, and Echo's secret rule. */
import { describe, expect, it } from 'vitest';
import { createSignatureVerifier, signBody } from '../../../adapters/crypto/signature-verifier.ts';
import { acceptsSignature, readEventSignature } from '../../../core/triggers/signature.ts';

const verify = createSignatureVerifier();
const body = '{"ref":"refs/heads/main"}';

describe('readEventSignature', () => {
  it.each([
    ['GitHub sha256', { 'x-hub-signature-256': 'sha256=ABCD' }, { scheme: 'hmac-sha256', digest: 'abcd' }],
    ['GitHub sha1', { 'x-hub-signature': 'sha1=abcd' }, { scheme: 'hmac-sha1', digest: 'abcd' }],
    ['sha256 wins over sha1', { 'x-hub-signature': 'sha1=aa', 'x-hub-signature-256': 'sha256=bb' }, { scheme: 'hmac-sha256', digest: 'bb' }],
    ['Bitbucket sha256 in X-Hub-Signature', { 'x-hub-signature': 'sha256=cc' }, { scheme: 'hmac-sha256', digest: 'cc' }],
    ['GitLab token', { 'x-gitlab-token': 'tok' }, { scheme: 'token', token: 'tok' }],
    ['an unreadable header', { 'x-hub-signature-256': 'md5=zz' }, { scheme: 'unreadable', header: 'X-Hub-Signature-256' }],
    ['no signature', {}, undefined],
  ])('%s', (_what, headers, expected) => {
    expect(readEventSignature(headers)).toEqual(expected);
  });
});

describe('HMAC verification', () => {
  it.each([
    ['accepts a valid sha256 signature', { 'x-hub-signature-256': signBody('s3cret', body) }, 's3cret', body, true],
    ['accepts a valid sha1 signature', { 'x-hub-signature': signBody('s3cret', body, 'sha1') }, 's3cret', body, true],
    ['rejects a signature made with another secret', { 'x-hub-signature-256': signBody('other', body) }, 's3cret', body, false],
    ['rejects a body changed after signing', { 'x-hub-signature-256': signBody('s3cret', body) }, 's3cret', `${body} `, false],
    ['rejects a truncated digest', { 'x-hub-signature-256': signBody('s3cret', body).slice(0, 20) }, 's3cret', body, false],
    ['accepts the right GitLab token', { 'x-gitlab-token': 's3cret' }, 's3cret', body, true],
    ['rejects a wrong GitLab token', { 'x-gitlab-token': 's3cre' }, 's3cret', body, false],
  ])('%s', (_what, headers, secret, raw, expected) => {
    const signature = readEventSignature(headers)!;
    expect(verify(secret, signature, raw)).toBe(expected);
  });
});

describe("Echo's secret rule", () => {
  const signed = readEventSignature({ 'x-hub-signature-256': signBody('s3cret', body) });

  it.each([
    ['a trigger without secret accepts an unsigned event', undefined, undefined, true],
    ['a trigger without secret rejects a signed event', undefined, signed, false],
    ['a trigger with a secret rejects an unsigned event', 's3cret', undefined, false],
    ['a trigger with a secret accepts a valid signature', 's3cret', signed, true],
    ['a trigger with another secret rejects the signature', 'nope', signed, false],
  ])('%s', (_what, secret, signature, expected) => {
    expect(acceptsSignature(secret, signature, body, verify)).toBe(expected);
  });
});
