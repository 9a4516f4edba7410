/**
 * The webhook allowlist's pattern syntax as README documents it (Webhook stages): each example
 * there is a case here, `/*` at the end of a path included.
 */
import { describe, expect, it } from 'vitest';
import { checkUrl, parseAllowlistPattern } from '../../../adapters/http/url-allowlist.ts';

function allowed(pattern: string, url: string): boolean {
  const parsed = parseAllowlistPattern(pattern);
  if (!parsed.ok) throw new Error(parsed.message);
  return checkUrl(url, [parsed.pattern]).allowed;
}

describe('allowlist patterns', () => {
  it.each([
    // host: exact, or `*.` for any subdomain (not the domain itself)
    ['https://hooks.example.com', 'https://hooks.example.com/deploy', true],
    ['https://*.example.com', 'https://ci.example.com/hook', true],
    ['https://*.example.com', 'https://a.b.example.com/hook', true],
    ['https://*.example.com', 'https://example.com/hook', false],
    // scheme must match
    ['https://hooks.example.com', 'http://hooks.example.com/deploy', false],
    // port: none means the scheme's default; `*` any
    ['https://hooks.example.com', 'https://hooks.example.com:8443/deploy', false],
    ['https://hooks.example.com:8443', 'https://hooks.example.com:8443/deploy', true],
    ['http://127.0.0.1:*', 'http://127.0.0.1:9090/anything', true],
    ['http://127.0.0.1:*', 'http://127.0.0.1/anything', true],
    // path: a prefix of whole segments
    ['http://127.0.0.1:8080/hooks', 'http://127.0.0.1:8080/hooks', true],
    ['http://127.0.0.1:8080/hooks', 'http://127.0.0.1:8080/hooks/deploy', true],
    ['http://127.0.0.1:8080/hooks', 'http://127.0.0.1:8080/hooksy', false],
    ['http://127.0.0.1:8080/hooks', 'http://127.0.0.1:8080/other', false],
    // `/*` at the end: every path (under the prefix)
    ['http://127.0.0.1:8080/*', 'http://127.0.0.1:8080/', true],
    ['http://127.0.0.1:8080/*', 'http://127.0.0.1:8080/a/b?c=d', true],
    ['http://127.0.0.1:8080/*', 'http://127.0.0.1:8081/a', false],
    ['http://localhost:*/*', 'http://localhost:3000/x', true],
    ['http://127.0.0.1:8080/hooks/*', 'http://127.0.0.1:8080/hooks/deploy/now', true],
    ['http://127.0.0.1:8080/hooks/*', 'http://127.0.0.1:8080/hooks', true],
    ['http://127.0.0.1:8080/hooks/*', 'http://127.0.0.1:8080/other', false],
    ['https://*.example.com/*', 'https://ci.example.com/x/y', true],
    // query and fragment are not part of the match
    ['https://hooks.example.com/deploy', 'https://hooks.example.com/deploy?token=1#x', true],
  ])('%s: %s → %s', (pattern, url, expected) => {
    expect(allowed(pattern, url)).toBe(expected);
  });

  it('refuses a * inside a path, naming the one wildcard a path has', () => {
    expect(parseAllowlistPattern('http://127.0.0.1:8080/hooks*/x')).toEqual({
      ok: false,
      message: "allowlist entry 'http://127.0.0.1:8080/hooks*/x' has a '*' inside its path; a path may only end in '/*' (every path under it), e.g. 'http://127.0.0.1:8080/hooks/*'",
    });
    expect(parseAllowlistPattern('http://127.0.0.1:8080/*/deploy')).toMatchObject({ ok: false });
  });

  it('refuses what is not a pattern', () => {
    expect(parseAllowlistPattern('hooks.example.com')).toMatchObject({ ok: false });
    expect(parseAllowlistPattern('http://*:8080')).toMatchObject({ ok: false });
    expect(parseAllowlistPattern('ftp://files.example.com')).toMatchObject({ ok: false });
  });
});
