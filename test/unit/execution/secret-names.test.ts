/**
 * Which names carry secrets (environment entries, headers, URL query parameters): by words, so
 * the credentials people name are hidden and the everyday names that merely contain "key" or
 * "pass" (`keyword`, `monkey`, `compass`) stay readable.
 */
import { describe, expect, it } from 'vitest';
import { isCredentialParameter, isSecretName, urlCredentialRanges } from '../../../core/execution/secrets.ts';

const SECRET = [
  'API_KEY', 'apiKey', 'x-api-key', 'apikey', 'key', 'KEYS', 'PRIVATE_KEY', 'privateKey', 'aws_secret_access_key', 'AWS_SESSION_TOKEN',
  'GITHUB_TOKEN', 'access_token', 'accessToken', 'githubtoken', 'client_secret', 'DB_PASSWORD', 'passwd', 'DB_PASS', 'passphrase',
  'Authorization', 'Proxy-Authorization', 'Cookie', 'Set-Cookie', 'X-Hub-Signature-256', 'X-Amz-Signature', 'X-Amz-Credential',
  'GOOGLE_APPLICATION_CREDENTIALS', 'GH_PAT', 'SENTRY_DSN', 'SESSION_ID', 'sessionId', 'subscription-key', 'Ocp-Apim-Subscription-Key',
  'signing_key', 'encryptionKey',
];
const PLAIN = ['keyword', 'keywords', 'monkey', 'hotkeys', 'passenger', 'compass', 'bypass', 'private', 'PWD', 'path', 'author', 'LOG_LEVEL', 'version', 'pattern', 'region', 'sortBy', 'q'];

describe('secret names', () => {
  it.each(SECRET)('%s is secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each(PLAIN)('%s is not', (name) => {
    expect(isSecretName(name)).toBe(false);
  });

  it('counts sig, auth and pwd as credentials in URLs only', () => {
    for (const name of ['sig', 'auth', 'pwd', 'PWD']) {
      expect(isCredentialParameter(name)).toBe(true);
      expect(isSecretName(name)).toBe(false);
    }
    expect(isCredentialParameter('keyword')).toBe(false);
  });

  it('hides the value of ?key= and ?api_key= but not of ?keyword= or ?monkey=', () => {
    const url = 'https://api.example.com/search?keyword=shoes&monkey=banana&key=AIzaSyA1&api_key=k-2&sig=s3';
    const hidden = urlCredentialRanges(url).map((range) => url.slice(range.start, range.end));
    expect(hidden).toEqual(['AIzaSyA1', 'k-2', 's3']);
  });
});
