/**
 * The outbound URL allowlist (DESIGN.md §8: no SSRF into the control plane). A pattern is
 * `scheme://host[:port][/path-prefix]`: the host may start with `*.` (any subdomain, not the
 * domain itself), the port may be `*` (any; without a port only the scheme's default port
 * matches), and a path prefix matches whole segments (`/hooks` allows `/hooks/x`, not `/hooksy`).
 * A path may end in `/*`, which says the same as leaving it off (`http://host:8080/*` allows
 * every path, `/hooks/*` everything under `/hooks`); a `*` anywhere else in a path is refused,
 * as no other wildcard exists there.
 *
 * Link-local addresses — the cloud metadata endpoints (169.254.169.254, fd00:ec2::254) among
 * them — are refused even when a pattern matches, unless `allowLinkLocal` is set, in every form
 * an address can be written (`[::ffff:a9fe:a9fe]`, `2852039166`, NAT64). `checkUrl` judges the
 * URL as written; `checkResolvedAddress` judges each address a host name resolves to, at connect
 * time (fetch-http-client.ts connects to the address it checked), so a DNS name on the allowlist
 * cannot lead to the metadata endpoint or to this machine's loopback, where the control plane
 * listens. Loopback is reached only through a pattern that names a loopback host itself
 * (`http://127.0.0.1:8080`, `http://localhost:9090`): someone chose it.
 */
import { BlockList, isIP } from 'node:net';

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
  // `/*` at the end: every path under the prefix, which a prefix already means.
  const prefix = path?.endsWith('/*') ? path.slice(0, -1) : path;
  if (prefix?.includes('*')) {
    return { ok: false, message: `allowlist entry '${text}' has a '*' inside its path; a path may only end in '/*' (every path under it), e.g. 'http://127.0.0.1:8080/hooks/*'` };
  }
  return {
    ok: true,
    pattern: {
      scheme: scheme!.toLowerCase(),
      host: host!.toLowerCase(),
      wildcard: star !== undefined,
      port,
      pathPrefix: prefix === undefined || prefix === '/' ? '' : prefix.replace(/\/+$/, ''),
      text: text.trim(),
    },
  };
}

/** Link-local and metadata addresses, also as IPv4-compatible and NAT64 IPv6 (IPv4-mapped forms match IPv4 rules by themselves). */
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');
LINK_LOCAL.addAddress('fd00:ec2::254', 'ipv6');
LINK_LOCAL.addSubnet('::a9fe:0', 112, 'ipv6');
LINK_LOCAL.addSubnet('64:ff9b::a9fe:0', 112, 'ipv6');

/** Loopback and the unspecified address (a connection to 0.0.0.0 or :: reaches this machine). */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addSubnet('0.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addAddress('::', 'ipv6');
LOOPBACK.addSubnet('::7f00:0', 104, 'ipv6');
LOOPBACK.addSubnet('64:ff9b::7f00:0', 104, 'ipv6');

/** Names that always mean a metadata endpoint or this machine, whatever a resolver says. */
const LINK_LOCAL_NAMES = new Set(['metadata.google.internal', 'metadata', 'instance-data']);
const LOOPBACK_NAMES = new Set(['localhost']);

/** What an address is, for the outbound rules. */
export type AddressClass = 'link-local' | 'loopback' | 'other';

/** Classifies an IP address in any textual form Node reads (brackets allowed). */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  const family = isIP(bare);
  if (family === 0) return 'other';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (LINK_LOCAL.check(bare, type)) return 'link-local';
  if (LOOPBACK.check(bare, type)) return 'loopback';
  return 'other';
}

/** True for a link-local or metadata host as written: 169.254.0.0/16, fe80::/10, fd00:ec2::254 in any form, metadata host names. */
export function isLinkLocalHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  return LINK_LOCAL_NAMES.has(bare) || classifyAddress(bare) === 'link-local';
}

/** True for a loopback host as written: 127.0.0.0/8, ::1, the unspecified addresses in any form, `localhost` and its subdomains. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  return LOOPBACK_NAMES.has(bare) || bare.endsWith('.localhost') || classifyAddress(bare) === 'loopback';
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

export type AllowlistDecision =
  | {
      readonly allowed: true;
      /** The host to resolve and connect to (brackets removed). */
      readonly host: string;
      /** Whether the pattern that allowed it names a loopback host itself, so loopback addresses may be reached. */
      readonly loopbackAllowed: boolean;
    }
  | { readonly allowed: false; readonly message: string };

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
  const matched = patterns.find((pattern) => {
    if (`${pattern.scheme}:` !== parsed.protocol) return false;
    const hostOk = pattern.wildcard ? host.endsWith(`.${pattern.host}`) : host === pattern.host;
    if (!hostOk) return false;
    const portOk = pattern.port === '*' || (pattern.port ?? DEFAULT_PORTS[parsed.protocol]) === port;
    if (!portOk) return false;
    if (pattern.pathPrefix === '') return true;
    return parsed.pathname === pattern.pathPrefix || parsed.pathname.startsWith(`${pattern.pathPrefix}/`);
  });
  if (matched) return { allowed: true, host: host.replace(/^\[|\]$/g, ''), loopbackAllowed: isLoopbackHost(matched.host) };
  return {
    allowed: false,
    message: `calls to ${parsed.host} are not on the webhook allowlist; add a pattern such as '${origin}' (or '${parsed.protocol}//*.${host.split('.').slice(1).join('.') || host}') to the webhook allowlist (--allow-url or GENNAKER_WEBHOOK_ALLOWLIST locally, WEBHOOK_ALLOWLIST on AWS)`,
  };
}

/**
 * Judges one address a host resolved to, just before connecting: link-local and metadata
 * addresses never (unless `allowLinkLocal`), loopback only when the allowing pattern named a
 * loopback host. `host` and `url` are for the message.
 */
export function checkResolvedAddress(
  address: string,
  host: string,
  options: { readonly allowLinkLocal?: boolean; readonly loopbackAllowed: boolean },
): { readonly allowed: true } | { readonly allowed: false; readonly message: string } {
  const kind = classifyAddress(address);
  if (kind === 'link-local' && !options.allowLinkLocal) {
    return { allowed: false, message: `calls to ${host} are refused: it resolves to ${address}, a link-local address (cloud metadata endpoints live there)` };
  }
  if (kind === 'loopback' && !options.loopbackAllowed) {
    return {
      allowed: false,
      message: `calls to ${host} are refused: it resolves to ${address}, this machine's loopback; only a pattern that names a loopback host (e.g. 'http://127.0.0.1:8080') allows calls there`,
    };
  }
  return { allowed: true };
}
