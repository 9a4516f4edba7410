import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAesGcmCipher } from '../../../adapters/crypto/aes-gcm-cipher.ts';
import { createSealer } from '../../../core/execution/sealing.ts';
import { createRedactor, headerSecretValues, redactUrlCredentials, urlCredentialRanges } from '../../../core/execution/secrets.ts';
import { revealedSecrets } from '../../../core/execution/stage-secrets.ts';
import { secretCallProblems, secretNamesIn } from '../../../core/expressions/secret-calls.ts';
import { evaluateTemplate } from '../../../core/expressions/index.ts';

/** A seeded byte source: the same IVs every run. */
function seededBytes(seed: string): (bytes: number) => Uint8Array {
  let counter = 0;
  return (bytes) => createHash('sha256').update(`${seed}:${counter++}`).digest().subarray(0, bytes);
}
const key = createHash('sha256').update('test key').digest();
const cipher = createAesGcmCipher(key, seededBytes('iv'));

describe('URL credentials', () => {
  it.each([
    ['https://api.example.com/x?access_token=abc123&team=core', 'https://api.example.com/x?access_token=******&team=core'],
    ['GET https://h/p?token=t1&key=k2&signature=s3 failed', 'GET https://h/p?token=******&key=******&signature=****** failed'],
    ['https://b.s3.amazonaws.com/o?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=ff00&X-Amz-Expires=60', 'https://b.s3.amazonaws.com/o?X-Amz-Credential=******&X-Amz-Signature=******&X-Amz-Expires=60'],
    ['https://user:hunter2@git.example.com/r.git', 'https://user:******@git.example.com/r.git'],
    ['https://ghp_abcdef@github.com/o/r.git', 'https://******@github.com/o/r.git'],
    ['https://h/p?sig=xyz#frag', 'https://h/p?sig=******#frag'],
    ['https://h/p?page=2&q=monk', 'https://h/p?page=2&q=monk'],
    ['no url here ?token=abc', 'no url here ?token=abc'],
  ])('%s', (text, shown) => {
    expect(redactUrlCredentials(text)).toBe(shown);
  });

  it('finds each credential by position', () => {
    const text = 'see https://u:p4ss@h/x?api_key=K&ok=1';
    expect(urlCredentialRanges(text).map((range) => text.slice(range.start, range.end))).toEqual(['p4ss', 'K']);
  });
});

describe('secret values revealed by a stage', () => {
  it('takes webhook headers and job environments with secret-looking names, and the credential of a Bearer header', () => {
    expect(revealedSecrets('webhook', { customHeaders: { Authorization: 'Bearer abc123', 'X-Api-Key': 'k-999', 'X-Team': 'core' } })).toEqual(['Bearer abc123', 'abc123', 'k-999']);
    expect(revealedSecrets('runJob', { env: { DB_PASSWORD: 'pw-1234', LOG_LEVEL: 'info', GITHUB_TOKEN: 42 } })).toEqual(['pw-1234', '42']);
    expect(revealedSecrets('wait', { customHeaders: { Authorization: 'x' } })).toEqual([]);
    expect(headerSecretValues('Basic dXNlcjpwYXNz')).toEqual(['Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz']);
  });
});

describe('sealing', () => {
  const sealer = createSealer(cipher, 'payments');

  it('seals each secret by value and each URL credential by position, and opens them again', async () => {
    // given
    const value = { note: 'token is s3cr3t-value!', list: ['s3cr3t-value', 7], url: 'https://h/x?token=ab&q=1', short: 'ab', number: 123456 };

    // when
    const sealed = await sealer.protect(value, { sealed: ['s3cr3t-value', '123456'] });
    const opened = await sealer.open(sealed);

    // then
    const text = JSON.stringify(sealed);
    expect(text).not.toContain('s3cr3t-value');
    expect(text).not.toContain('123456');
    expect(sealed.url).toMatch(/^https:\/\/h\/x\?token=\[\[gennaker-sealed:g1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\]\]&q=1$/);
    expect(sealed.short).toBe('ab');
    expect(opened.value).toEqual({ ...value, number: '123456' });
    expect([...opened.secrets].sort()).toEqual(['123456', 'ab', 's3cr3t-value']);
    expect(createRedactor([])(sealed)).toEqual({ note: 'token is ******!', list: ['******', 7], url: 'https://h/x?token=******&q=1', short: 'ab', number: '******' });
  });

  it('is idempotent: sealing what is sealed changes nothing', async () => {
    const once = await sealer.protect({ a: 'x s3cr3t-value y' }, { sealed: ['s3cr3t-value'] });
    expect(await sealer.protect(once, { sealed: ['s3cr3t-value'] })).toEqual(once);
  });

  it('redacts for good what must not be stored, longest secret first', async () => {
    const sealed = await sealer.protect({ header: 'Bearer from-the-store', other: 'from-the-store-and-more' }, { sealed: [], redacted: ['from-the-store', 'from-the-store-and-more'] });
    expect(sealed).toEqual({ header: 'Bearer ******', other: '******' });
  });

  it('does not open a value sealed for another application', async () => {
    const sealed = await sealer.protect({ a: 's3cr3t-value' }, { sealed: ['s3cr3t-value'] });
    const elsewhere = await createSealer(cipher, 'other-app').open(sealed);
    expect(elsewhere.value).toEqual(sealed);
    expect(elsewhere.secrets).toEqual([]);
  });

  it('redacts instead of sealing when no key is configured', async () => {
    const keyless = createSealer(undefined, 'payments');
    expect(await keyless.protect({ a: 'x s3cr3t-value', u: 'https://h/?key=k' }, { sealed: ['s3cr3t-value'] })).toEqual({ a: 'x ******', u: 'https://h/?key=******' });
  });
});

describe('the AES-256-GCM cipher', () => {
  it('refuses a ciphertext that was altered, or decrypted under another key or context', async () => {
    const [ciphertext] = await cipher.encrypt(['value'], 'app');
    const altered = ciphertext!.slice(0, -2) + (ciphertext!.endsWith('AA') ? 'BB' : 'AA');
    const otherKey = createAesGcmCipher(createHash('sha256').update('other').digest(), seededBytes('iv'));
    expect(await cipher.decrypt([ciphertext!, altered], 'app')).toEqual(['value', undefined]);
    expect(await cipher.decrypt([ciphertext!], 'another-app')).toEqual([undefined]);
    expect(await otherKey.decrypt([ciphertext!], 'app')).toEqual([undefined]);
  });
});

describe('#secret', () => {
  it('reads the secret the evaluation was given, and fails clearly without one', () => {
    const secrets = (name: string) => (name === 'db' ? { ok: true as const, value: 'pw' } : { ok: false as const, message: `no secret '${name}'` });
    expect(evaluateTemplate("user:${#secret('db')}", { variables: {}, secrets })).toEqual({ value: 'user:pw', failures: [] });
    expect(evaluateTemplate("${#secret('nope')}", { variables: {}, secrets }).failures[0]?.message).toContain("no secret 'nope'");
    expect(evaluateTemplate("${#secret('db')}", { variables: {} }).failures[0]?.message).toContain('secrets are read only when a stage runs');
  });

  it('names the secrets a stage reads, and refuses a computed or invalid name', () => {
    expect(secretNamesIn({ url: "https://h/?t=${#secret('hook-token')}", headers: { A: '${#secret("db/password")}' } })).toEqual(['hook-token', 'db/password']);
    expect(secretCallProblems('${#secret(parameters.name)}')).toEqual([expect.stringContaining("#secret takes the secret's name as a quoted literal")]);
    expect(secretCallProblems("${#secret('bad name')}")).toEqual([expect.stringContaining('a secret name has 1 to 512 of the characters')]);
    expect(secretCallProblems("${#secret('ok')}")).toEqual([]);
  });
});
