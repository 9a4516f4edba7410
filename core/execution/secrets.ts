/**
 * Secret values of an execution, redacted by value wherever the execution is shown (the API,
 * the CLI, canary reports): the values of parameters whose `parameterConfig` entry says
 * `"secret": true`, and the environment of `runJob` stages. Each is replaced by `******` where
 * it stands (the parameter, every `env` entry), and wherever else its text appears (stage
 * contexts and outputs evaluated from it, a job's output in a failure message, a property file)
 * for secret parameters and for `env` entries whose names look secret (`API_TOKEN`,
 * `DB_PASSWORD`...). Other `env` values (`LOG_LEVEL=info`, `NAME=migrate`) are configuration:
 * replacing every "info" in an execution would hide it without hiding anything. Sealed values
 * (sealing.ts) and the credentials of URLs are shown as `******` too.
 *
 * What is stored holds no secret in plaintext (sealing.ts): the redaction here is what keeps
 * records written before sealing existed, and the non-secret `env` entries, out of sight. Which
 * parameters are secret is recorded with the execution (`trigger.secretParameters`, written by
 * the execution service at start), so a later change of the pipeline does not reveal an older run.
 */
import type { Pipeline } from '../pipeline/model.ts';
import type { Execution, JsonObject, StageRecord } from '../ports/execution-store.ts';

/** What a secret is shown as. */
export const REDACTED = '******';

/**
 * A secret at least this long is also replaced inside other text. A shorter one is replaced only
 * where it stands, since replacing "1" in every text would hide the execution without hiding
 * anything.
 */
export const MIN_REDACTED_LENGTH = 4;

/** The trigger field naming an execution's secret parameters. */
export const SECRET_PARAMETERS_FIELD = 'secretParameters';

/** The names of the pipeline's secret parameters. */
export function secretParameterNames(pipeline: Pipeline): string[] {
  return pipeline.parameterConfig.filter((parameter) => parameter.secret).map((parameter) => parameter.name);
}

/** Opens a sealed value inside text. */
export const SEALED_OPEN = '[[gennaker-sealed:';
/** Closes a sealed value inside text. */
export const SEALED_CLOSE = ']]';
/** A sealed value anywhere in a text; group 1 is the ciphertext. */
export const SEALED_PATTERN = /\[\[gennaker-sealed:([A-Za-z0-9_.-]+)\]\]/g;

/** The text shown for a sealed value: `******`. */
export function hideSealed(text: string): string {
  return text.includes(SEALED_OPEN) ? text.replace(SEALED_PATTERN, REDACTED) : text;
}

/** Whether a whole string is one sealed value. */
export function isSealedValue(value: unknown): value is string {
  return typeof value === 'string' && /^\[\[gennaker-sealed:[A-Za-z0-9_.-]+\]\]$/.test(value);
}

/** The secret parameter names an execution's trigger records. */
export function recordedSecretParameters(trigger: JsonObject): string[] {
  const names = trigger[SECRET_PARAMETERS_FIELD];
  return Array.isArray(names) ? names.filter((name): name is string => typeof name === 'string') : [];
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Words that make a name secret wherever they stand in a word: `GITHUB_TOKEN`, `apitoken`,
 * `X-Hub-Signature`, `client_secret`, `DB_PASSWORD`, `aws_session_token`, `Authorization`.
 */
const SECRET_WORD_PARTS = /token|secret|passw|passphrase|credential|signature|authorization|cookie|apikey|accesskey|privatekey|signingkey|clientkey|masterkey|sessionkey|licensekey|subscriptionkey|encryptionkey/;
/** Words that make a name secret only as a whole word: `API_KEY`, `x-api-key`, `privateKey`, `DB_PASS`, `GH_PAT`, `SENTRY_DSN`, `SESSION_ID`. */
const SECRET_WORDS = new Set(['key', 'keys', 'pass', 'pat', 'dsn', 'session', 'sessionid']);
/** Query parameter names that carry credentials in URLs, though not secret as environment names (`PWD` is the working directory). */
const CREDENTIAL_PARAMETERS = new Set(['sig', 'auth', 'pwd']);

/** A name's words, lower case: split at `_`, `-`, `.`, spaces, and camelCase humps (`apiKey` → api, key). */
function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
}

/**
 * Names whose values are secrets (environment entries, headers, URL query parameters): a word
 * holding TOKEN, SECRET, PASSWORD, CREDENTIAL, SIGNATURE, AUTHORIZATION, COOKIE, APIKEY..., or a
 * whole word KEY, PASS, PAT, DSN, SESSION. By words, so `API_KEY`, `apiKey` and
 * `x-api-key` are secret while `keyword`, `monkey`, `passenger` and `compass` are not.
 */
export function isSecretName(name: string): boolean {
  const words = wordsOf(name);
  return words.some((word) => SECRET_WORDS.has(word) || SECRET_WORD_PARTS.test(word)) || SECRET_WORD_PARTS.test(words.join(''));
}

/** URL query parameters that carry credentials: the secret-looking names (`access_token`, `key`...), and `sig`, `auth`, `pwd`. */
export function isCredentialParameter(name: string): boolean {
  return isSecretName(name) || CREDENTIAL_PARAMETERS.has(name.toLowerCase());
}

/** URLs inside a text: a scheme, `://`, and everything up to a space, a quote or a bracket. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** Where a credential stands in a text: `[start, end)`. */
export interface TextRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The credentials of the URLs in a text, by position: the userinfo (`https://user:pass@host`
 * gives the password; `https://TOKEN@host`, with no password, the user name, which is then the
 * token), and the values of query parameters whose names carry credentials (`access_token`,
 * `token`, `key`, `signature`, `X-Amz-Signature`, `X-Amz-Credential`, `sig`...).
 */
export function urlCredentialRanges(text: string): TextRange[] {
  if (!text.includes('://')) return [];
  const ranges: TextRange[] = [];
  for (const match of text.matchAll(URL_IN_TEXT)) {
    const url = match[0];
    const base = match.index;
    const authorityStart = url.indexOf('://') + 3;
    const authorityEnd = firstOf(url, ['/', '?', '#'], authorityStart);
    const at = url.lastIndexOf('@', authorityEnd - 1);
    if (at >= authorityStart) {
      const colon = url.indexOf(':', authorityStart);
      if (colon >= 0 && colon < at) {
        if (colon + 1 < at) ranges.push({ start: base + colon + 1, end: base + at });
      } else if (authorityStart < at) {
        ranges.push({ start: base + authorityStart, end: base + at });
      }
    }
    const query = url.indexOf('?', authorityEnd);
    if (query < 0) continue;
    const queryEnd = firstOf(url, ['#'], query);
    let position = query + 1;
    while (position < queryEnd) {
      const next = firstOf(url, ['&', ';'], position);
      const end = Math.min(next, queryEnd);
      const equals = url.indexOf('=', position);
      if (equals >= 0 && equals < end && equals + 1 < end) {
        let name = url.slice(position, equals);
        try {
          name = decodeURIComponent(name);
        } catch {
          // A name that is not valid percent-encoding is judged as written.
        }
        if (isCredentialParameter(name)) ranges.push({ start: base + equals + 1, end: base + end });
      }
      position = end + 1;
    }
  }
  return ranges;
}

function firstOf(text: string, characters: readonly string[], from: number): number {
  let first = text.length;
  for (const character of characters) {
    const found = text.indexOf(character, from);
    if (found >= 0 && found < first) first = found;
  }
  return first;
}

/** The text with the credentials of its URLs replaced by `******`. */
export function redactUrlCredentials(text: string): string {
  const ranges = urlCredentialRanges(text);
  if (ranges.length === 0) return text;
  let out = '';
  let at = 0;
  for (const range of ranges) {
    out += text.slice(at, range.start) + REDACTED;
    at = range.end;
  }
  return out + text.slice(at);
}

/**
 * The credential in an `Authorization`-style header value: `Bearer abc` gives `abc` as well as
 * the whole value, so a response or a message quoting only the token hides it too.
 */
export function headerSecretValues(value: string): string[] {
  const scheme = /^\s*(bearer|basic|token|digest|bot|apikey|sso-key)\s+(\S.*?)\s*$/i.exec(value);
  return scheme ? [value, scheme[2]!] : [value];
}

function envValues(stage: StageRecord): string[] {
  if (stage.type !== 'runJob' || !isObject(stage.context.env)) return [];
  return Object.entries(stage.context.env)
    .filter(([name]) => isSecretName(name))
    .map(([, value]) => scalarText(value))
    .filter((value): value is string => value !== undefined && value !== '');
}

/** Every secret value of an execution: its secret parameters' values and its jobs' secret-looking environment values. */
export function secretValuesOf(execution: Pick<Execution, 'trigger' | 'parameters' | 'stages'>): string[] {
  const names = recordedSecretParameters(execution.trigger);
  const parameters = [isObject(execution.trigger['parameters']) ? execution.trigger['parameters'] : {}, execution.parameters];
  const values = new Set<string>();
  for (const name of names) {
    for (const source of parameters) {
      const value = scalarText(source[name]);
      if (value !== undefined && value !== '') values.add(value);
    }
  }
  for (const stage of execution.stages) for (const value of envValues(stage)) values.add(value);
  return [...values];
}

/**
 * A replacer for showing: the given secret values, every sealed value and every URL credential
 * become `******` inside any JSON value (values longest first, so no secret leaves part of itself).
 */
export function createRedactor(secrets: readonly string[]): <T>(value: T) => T {
  const inText = [...new Set(secrets.filter((secret) => secret.length >= MIN_REDACTED_LENGTH))].sort((a, b) => b.length - a.length);
  const text = (value: string): string => {
    let out = redactUrlCredentials(hideSealed(value));
    for (const secret of inText) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return text(value);
    if (typeof value === 'number' && inText.includes(String(value))) return REDACTED;
    if (Array.isArray(value)) return value.map(walk);
    if (isObject(value)) {
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) Object.defineProperty(copy, key, { value: walk(item), enumerable: true, writable: true, configurable: true });
      return copy;
    }
    return value;
  };
  return <T>(value: T): T => walk(value) as T;
}

/** The object with the named entries replaced by `******` (where a secret stands, whatever its length). */
function hideEntries(value: unknown, names: readonly string[]): unknown {
  if (!isObject(value) || names.length === 0) return value;
  const out: Record<string, unknown> = { ...value };
  for (const name of names) if (out[name] !== undefined && out[name] !== null && out[name] !== '') out[name] = REDACTED;
  return out;
}

/** The execution as it may be shown: every secret value replaced by `******`. */
export function redactExecution(execution: Execution): Execution {
  const secrets = secretValuesOf(execution);
  const redact = createRedactor(secrets);
  const names = recordedSecretParameters(execution.trigger);
  const trigger = { ...execution.trigger, ...(isObject(execution.trigger['parameters']) ? { parameters: hideEntries(execution.trigger['parameters'], names) } : {}) };
  return {
    ...execution,
    trigger: redact(trigger),
    parameters: redact(hideEntries(execution.parameters, names) as JsonObject),
    ...(execution.cancellationReason !== undefined ? { cancellationReason: redact(execution.cancellationReason) } : {}),
    stages: execution.stages.map((stage) => {
      const context = stage.type === 'runJob' && isObject(stage.context.env) ? { ...stage.context, env: hideEntries(stage.context.env, Object.keys(stage.context.env)) } : stage.context;
      return { ...stage, context: redact(context as JsonObject), outputs: redact(stage.outputs) };
    }),
  };
}
