/**
 * The outbound URL allowlist (DESIGN.md §8: no SSRF into the control plane). A pattern is
 * `scheme://host[:port][/path-prefix]`: the host may start with `*.` (any subdomain, not the
 * domain itself), the port may be `*` (any; without a port only the scheme's default port
 * matches), and a path prefix matches whole segments (`/hooks` allows `/hooks/x`, not `/hooksy`).
 *
 * Link-local addresses — the cloud metadata endpoints (169.254.169.254, fd00:ec2::254) among
 * them — are refused even when a pattern matches, unless `allowLinkLocal` is set. The check is
 * on the URL's host as written; names resolving to such addresses are not caught here.
 */

export interface AllowlistPattern {
  readonly scheme: string;
  readonly host: string;
  readonly wildcard: boolean;
  /** undefined: the scheme's default port; '*': any. */
  readonly port: string | undefined;
  readonly pathPrefix: string;
  readonly text: string;
}

/** Parses one pattern, or says why it is not one. */
export function parseAllowlistPattern(text: string): { ok: true; pattern: AllowlistPattern } | { ok: false; message: string } {
  const match = /^(https?):\/\/(\*\.)?([^/:*\s]+|\[[0-9a-fA-F:.]+\])(?::(\d+|\*))?(\/[^\s]*)?$/i.exec(text.trim());
  if (!match) return { ok: false, message: `allowlist entry '${text}' is not a URL pattern; write e.g. 'https://*.example.com' or 'http://127.0.0.1:8080/hooks'` };
  const [, scheme, star, host, port, path] = match;
  return {
    ok: true,
    pattern: {
      scheme: scheme!.toLowerCase(),
      host: host!.toLowerCase(),
      wildcard: star !== undefined,
      port,
      pathPrefix: path === undefined || path === '/' ? '' : path.replace(/\/+$/, ''),
      text: text.trim(),
    },
  };
}

/** True for IPv4 169.254.0.0/16, IPv6 fe80::/10 and the EC2 IPv6 metadata address. */
export function isLinkLocalHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (/^169\.254\.\d{1,3}\.\d{1,3}$/.test(bare)) return true;
  if (/^fe[89ab][0-9a-f]?:/.test(bare)) return true;
  if (bare === 'fd00:ec2::254' || bare === 'metadata.google.internal') return true;
  return false;
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

export type AllowlistDecision = { readonly allowed: true } | { readonly allowed: false; readonly message: string };

/** Decides whether `url` may be called. */
export function checkUrl(url: string, patterns: readonly AllowlistPattern[], options: { readonly allowLinkLocal?: boolean } = {}): AllowlistDecision {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { allowed: false, message: `'${url}' is not a URL` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { allowed: false, message: `only http and https URLs may be called, not '${parsed.protocol}' (${url})` };
  }
  const host = parsed.hostname.toLowerCase();
  const port = parsed.port === '' ? DEFAULT_PORTS[parsed.protocol]! : parsed.port;
  const origin = `${parsed.protocol}//${parsed.host}`;
  if (!options.allowLinkLocal && isLinkLocalHost(host)) {
    return { allowed: false, message: `calls to ${parsed.host} are refused: it is a link-local address (cloud metadata endpoints live there)` };
  }
  const matches = patterns.some((pattern) => {
    if (`${pattern.scheme}:` !== parsed.protocol) return false;
    const hostOk = pattern.wildcard ? host.endsWith(`.${pattern.host}`) : host === pattern.host;
    if (!hostOk) return false;
    const portOk = pattern.port === '*' || (pattern.port ?? DEFAULT_PORTS[parsed.protocol]) === port;
    if (!portOk) return false;
    if (pattern.pathPrefix === '') return true;
    return parsed.pathname === pattern.pathPrefix || parsed.pathname.startsWith(`${pattern.pathPrefix}/`);
  });
  if (matches) return { allowed: true };
  return {
    allowed: false,
    message: `calls to ${parsed.host} are not on the webhook allowlist; add a pattern such as '${origin}' (or '${parsed.protocol}//*.${host.split('.').slice(1).join('.') || host}') to the webhook allowlist (--allow-url or GENNAKER_WEBHOOK_ALLOWLIST locally, WEBHOOK_ALLOWLIST on AWS)`,
  };
}
