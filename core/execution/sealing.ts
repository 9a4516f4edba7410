/**
 * Secret values at rest: what Gennaker writes of an execution holds no secret in plaintext.
 *
 * A value is either **sealed** (encrypted with the SecretCipher port and written in its place
 * as `[[gennaker-sealed:<ciphertext>]]`, so the stage runner can decrypt it when a stage needs
 * it) or **redacted** (replaced by `******` for good: the values of `#secret('name')`, which
 * are read again whenever a stage runs and never stored). Sealing is by value: a secret at
 * least MIN_REDACTED_LENGTH long is sealed wherever its text appears, a shorter one only where a
 * whole string equals it; and by position for the credentials of URLs (secrets.ts).
 *
 * Nothing shown ever decrypts: the API and the CLI print each sealed value as `******`
 * (redactExecution). Without a cipher (no key configured) every secret is redacted instead,
 * which keeps it out of storage but also out of reach of later steps.
 */
import type { SecretCipher } from '../ports/secret-cipher.ts';
import { MIN_REDACTED_LENGTH, REDACTED, SEALED_CLOSE, SEALED_OPEN, SEALED_PATTERN, urlCredentialRanges, type TextRange } from './secrets.ts';

/** What a write must keep out of storage. */
export interface SecretSet {
  /** Sealed wherever they appear (URL credentials are sealed by position besides). */
  readonly sealed: Iterable<string>;
  /** Replaced by `******` for good (values that are read again, never stored). */
  readonly redacted?: Iterable<string>;
}

/** Seals and opens the data of one application's executions. */
export interface Sealer {
  /** Whether sealed values can be opened again (a cipher is configured). */
  readonly canOpen: boolean;
  /** The value with every secret of `secrets` and every URL credential sealed (or redacted). */
  protect<T>(value: T, secrets: SecretSet): Promise<T>;
  /** The value with every sealed value it can decrypt opened, and the secrets it opened. */
  open<T>(value: T): Promise<{ readonly value: T; readonly secrets: readonly string[] }>;
}

/** Creates the sealer of an application's executions; the application is the cipher's context. */
export function createSealer(cipher: SecretCipher | undefined, application: string): Sealer {
  return {
    canOpen: cipher !== undefined,

    async protect<T>(value: T, secrets: SecretSet): Promise<T> {
      const sealed = lengthOrdered(secrets.sealed);
      const redacted = new Set(secrets.redacted ?? []);
      const all = lengthOrdered([...sealed, ...redacted]);
      // First pass: where each string's secrets stand, and which plaintexts need a ciphertext.
      const plans = new Map<string, Replacement[]>();
      const plaintexts = new Set<string>();
      walkStrings(value, (text) => {
        if (plans.has(text)) return;
        const plan = replacementsIn(text, all);
        plans.set(text, plan);
        for (const replacement of plan) if (!redacted.has(replacement.plaintext)) plaintexts.add(replacement.plaintext);
      });
      if (![...plans.values()].some((plan) => plan.length > 0)) return value;
      const ordered = [...plaintexts];
      const ciphertexts = cipher && ordered.length > 0 ? await cipher.encrypt(ordered, application) : [];
      const tokens = new Map(ordered.map((plaintext, index) => [plaintext, cipher ? `${SEALED_OPEN}${ciphertexts[index]}${SEALED_CLOSE}` : REDACTED] as const));
      const rewrite = (text: string): string => {
        const plan = plans.get(text);
        if (!plan || plan.length === 0) return text;
        let out = '';
        let at = 0;
        for (const replacement of plan) {
          out += text.slice(at, replacement.start) + (redacted.has(replacement.plaintext) ? REDACTED : tokens.get(replacement.plaintext)!);
          at = replacement.end;
        }
        return out + text.slice(at);
      };
      // A number is replaced only when it is a secret itself; its digits inside it are not text.
      return mapStrings(value, rewrite, (number) => (all.includes(String(number)) ? rewrite(String(number)) : number)) as T;
    },

    async open<T>(value: T): Promise<{ readonly value: T; readonly secrets: readonly string[] }> {
      if (!cipher) return { value, secrets: [] };
      const found = new Set<string>();
      walkStrings(value, (text) => {
        if (!text.includes(SEALED_OPEN)) return;
        for (const match of text.matchAll(SEALED_PATTERN)) found.add(match[1]!);
      });
      if (found.size === 0) return { value, secrets: [] };
      const ciphertexts = [...found];
      const plaintexts = await cipher.decrypt(ciphertexts, application);
      const opened = new Map<string, string>();
      ciphertexts.forEach((ciphertext, index) => {
        const plaintext = plaintexts[index];
        if (plaintext !== undefined) opened.set(ciphertext, plaintext);
      });
      const rewrite = (text: string): string =>
        text.includes(SEALED_OPEN) ? text.replace(SEALED_PATTERN, (whole, ciphertext: string) => opened.get(ciphertext) ?? whole) : text;
      return { value: mapStrings(value, rewrite, (number) => number) as T, secrets: [...new Set(opened.values())] };
    },
  };
}

interface Replacement extends TextRange {
  readonly plaintext: string;
}

/** Distinct non-empty secrets, longest first, so no secret leaves part of a longer one in place. */
function lengthOrdered(values: Iterable<string>): string[] {
  return [...new Set([...values].filter((value) => value !== ''))].sort((a, b) => b.length - a.length);
}

/**
 * The replacements in one text, in order and never overlapping: the sealed values already in it
 * are left alone, URL credentials are taken by position, then each secret by value (a whole
 * string of any length; inside other text from MIN_REDACTED_LENGTH characters).
 */
function replacementsIn(text: string, secrets: readonly string[]): Replacement[] {
  const taken: TextRange[] = [];
  if (text.includes(SEALED_OPEN)) for (const match of text.matchAll(SEALED_PATTERN)) taken.push({ start: match.index, end: match.index + match[0].length });
  const chosen: Replacement[] = [];
  const free = (start: number, end: number) => taken.every((range) => end <= range.start || start >= range.end);
  const take = (start: number, end: number) => {
    if (end <= start || !free(start, end)) return;
    taken.push({ start, end });
    chosen.push({ start, end, plaintext: text.slice(start, end) });
  };
  if (secrets.includes(text)) {
    take(0, text.length);
    return chosen;
  }
  for (const range of urlCredentialRanges(text)) take(range.start, range.end);
  for (const secret of secrets) {
    if (secret.length < MIN_REDACTED_LENGTH) continue;
    let from = 0;
    for (;;) {
      const found = text.indexOf(secret, from);
      if (found < 0) break;
      take(found, found + secret.length);
      from = found + secret.length;
    }
  }
  return chosen.sort((a, b) => a.start - b.start);
}

/** Visits every string, and every number as its text (a secret may have been given as a number). */
function walkStrings(value: unknown, visit: (text: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (typeof value === 'number') visit(String(value));
  else if (Array.isArray(value)) for (const item of value) walkStrings(item, visit);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) walkStrings(item, visit);
}

/** A copy with every string (and number) mapped; keys are kept, `__proto__` included, as data. */
function mapStrings(value: unknown, text: (value: string) => string, number: (value: number) => unknown): unknown {
  if (typeof value === 'string') return text(value);
  if (typeof value === 'number') return number(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, text, number));
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(copy, key, { value: mapStrings(item, text, number), enumerable: true, writable: true, configurable: true });
    }
    return copy;
  }
  return value;
}
