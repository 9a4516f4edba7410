/**
 * A linear-time regular-expression engine for `matches`, `replaceAll`, `replaceFirst` and
 * `split`, covering the Java syntax pipelines use: literals, `.`, classes `[a-z]` `[^...]`,
 * `\d \w \s` (and negations), a few `\p{...}`, anchors `^ $ \b \B \A \z \Z`, groups
 * `( )` `(?: )` `(?<name> )`, alternation, greedy and lazy quantifiers `* + ? {n} {n,} {n,m}`,
 * inline flags `(?i) (?s) (?m)`, `\Q...\E`.
 *
 * Why not the host RegExp: a pattern from pipeline data such as `(a+)+$` makes a backtracking
 * engine run for years on a short input. This engine simulates the automaton (Pike VM, as RE2
 * does): work is at most pattern size × input length, every step is charged to the budget, and
 * features that need backtracking (backreferences, lookaround, possessive and atomic groups)
 * are refused with a clear message instead.
 */
import { checkCollectionSize, createTextBuilder, ExpressionFailure, type Budget } from './budget.ts';

/** What the engine needs from an evaluation: the meter and a per-evaluation compile cache. */
export interface RegexHost {
  readonly budget: Budget;
  readonly regexCache: Map<string, CompiledRegex>;
}

/** A pattern compiled to the automaton's program. */
export interface CompiledRegex {
  readonly pattern: string;
  readonly program: readonly Instruction[];
  readonly groupCount: number;
  readonly groupNames: ReadonlyMap<string, number>;
}

/** Capture slots of a match: [start0, end0, start1, end1, ...], -1 when a group did not take part. */
export type Captures = readonly number[];

const MAX_PROGRAM_SIZE = 20_000;
const MAX_REPEAT = 1_000;
const MAX_PATTERN_LENGTH = 10_000;

// --- syntax tree -------------------------------------------------------------------------------

type ClassItem = { readonly lo: number; readonly hi: number } | { readonly named: NamedClass; readonly negated: boolean };
type NamedClass = 'digit' | 'word' | 'space' | 'lower' | 'upper' | 'alpha' | 'alnum' | 'punct' | 'xdigit';

interface CharClass {
  readonly items: readonly ClassItem[];
  readonly negated: boolean;
  readonly ignoreCase: boolean;
}

type AssertKind = 'bol' | 'eol' | 'begin' | 'end' | 'endOrFinalTerminator' | 'wordBoundary' | 'notWordBoundary';

type RegexNode =
  | { readonly t: 'empty' }
  | { readonly t: 'class'; readonly cls: CharClass }
  | { readonly t: 'any'; readonly dotAll: boolean }
  | { readonly t: 'assert'; readonly kind: AssertKind; readonly multiline: boolean }
  | { readonly t: 'group'; readonly index: number | null; readonly body: RegexNode }
  | { readonly t: 'concat'; readonly items: readonly RegexNode[] }
  | { readonly t: 'alt'; readonly items: readonly RegexNode[] }
  | { readonly t: 'repeat'; readonly body: RegexNode; readonly min: number; readonly max: number; readonly greedy: boolean };

type Instruction =
  | { readonly op: 'class'; readonly cls: CharClass }
  | { readonly op: 'any'; readonly dotAll: boolean }
  | { readonly op: 'split'; x: number; y: number }
  | { readonly op: 'jmp'; x: number }
  | { readonly op: 'save'; readonly slot: number }
  | { readonly op: 'assert'; readonly kind: AssertKind; readonly multiline: boolean }
  | { readonly op: 'match' };

interface Flags {
  ignoreCase: boolean;
  dotAll: boolean;
  multiline: boolean;
}

class RegexSyntaxError {
  constructor(readonly message: string) {}
}

// --- parser ------------------------------------------------------------------------------------

class RegexParser {
  private pos = 0;
  groupCount = 0;
  readonly groupNames = new Map<string, number>();
  private depth = 0;

  constructor(private readonly src: string) {}

  parse(): RegexNode {
    const flags: Flags = { ignoreCase: false, dotAll: false, multiline: false };
    const node = this.parseAlternation(flags);
    if (this.pos < this.src.length) throw new RegexSyntaxError(`unmatched ')' at index ${this.pos}`);
    return node;
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private parseAlternation(flags: Flags): RegexNode {
    if (++this.depth > 100) throw new RegexSyntaxError('groups are nested too deeply');
    const items = [this.parseConcat(flags)];
    while (this.peek() === '|') {
      this.pos++;
      items.push(this.parseConcat(flags));
    }
    this.depth--;
    return items.length === 1 ? (items[0] as RegexNode) : { t: 'alt', items };
  }

  private parseConcat(flags: Flags): RegexNode {
    const items: RegexNode[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      const atom = this.parseAtom(flags);
      if (atom === undefined) continue;
      items.push(this.parseQuantifier(atom));
    }
    if (items.length === 0) return { t: 'empty' };
    return items.length === 1 ? (items[0] as RegexNode) : { t: 'concat', items };
  }

  private parseQuantifier(atom: RegexNode): RegexNode {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos, this.pos + 24));
      if (match === null) throw new RegexSyntaxError(`illegal repetition at index ${this.pos}; escape a literal '{' as \\{`);
      min = Number(match[1]);
      max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
      if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) {
        throw new RegexSyntaxError(`repetition counts above ${MAX_REPEAT} are not supported`);
      }
      if (max < min) throw new RegexSyntaxError(`illegal repetition range {${min},${max}}`);
      this.pos += match[0].length - 1;
    } else return atom;
    this.pos++;
    let greedy = true;
    if (this.peek() === '?') {
      greedy = false;
      this.pos++;
    } else if (this.peek() === '+') {
      throw new RegexSyntaxError('possessive quantifiers (*+, ++, ?+) are not supported');
    }
    const next = this.peek();
    if (next === '*' || next === '+' || next === '?' || next === '{') {
      throw new RegexSyntaxError(`dangling meta character '${next}' at index ${this.pos}`);
    }
    return { t: 'repeat', body: atom, min, max, greedy };
  }

  /** One atom; undefined for constructs that only change flags. */
  private parseAtom(flags: Flags): RegexNode | undefined {
    const c = this.src[this.pos++] as string;
    switch (c) {
      case '(':
        return this.parseGroup(flags);
      case '[':
        return { t: 'class', cls: this.parseClass(flags) };
      case '.':
        return { t: 'any', dotAll: flags.dotAll };
      case '^':
        return { t: 'assert', kind: 'bol', multiline: flags.multiline };
      case '$':
        return { t: 'assert', kind: 'eol', multiline: flags.multiline };
      case '\\':
        return this.parseEscape(flags);
      case '*':
      case '+':
      case '?':
        throw new RegexSyntaxError(`dangling meta character '${c}' at index ${this.pos - 1}`);
      case '{':
        throw new RegexSyntaxError(`illegal repetition at index ${this.pos - 1}; escape a literal '{' as \\{`);
      default:
        return literal(c.charCodeAt(0), flags);
    }
  }

  private parseGroup(flags: Flags): RegexNode | undefined {
    if (this.peek() !== '?') {
      const index = ++this.groupCount;
      const body = this.parseAlternation({ ...flags });
      this.expectClose();
      return { t: 'group', index, body };
    }
    this.pos++;
    const kind = this.peek();
    if (kind === ':') {
      this.pos++;
      const body = this.parseAlternation({ ...flags });
      this.expectClose();
      return { t: 'group', index: null, body };
    }
    if (kind === '<' && /[A-Za-z]/.test(this.src[this.pos + 1] ?? '')) {
      const match = /^<([A-Za-z][A-Za-z0-9]*)>/.exec(this.src.slice(this.pos, this.pos + 200));
      if (match === null) throw new RegexSyntaxError('named group needs a name like (?<name>...)');
      const name = match[1] as string;
      if (this.groupNames.has(name)) throw new RegexSyntaxError(`named group <${name}> is defined twice`);
      this.pos += match[0].length;
      const index = ++this.groupCount;
      this.groupNames.set(name, index);
      const body = this.parseAlternation({ ...flags });
      this.expectClose();
      return { t: 'group', index, body };
    }
    if (kind === '=' || kind === '!' || kind === '<') {
      throw new RegexSyntaxError('lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported');
    }
    if (kind === '>') throw new RegexSyntaxError('atomic groups (?>...) are not supported');
    // Inline flags: (?i) (?-i) (?is:...)
    const match = /^([a-zA-Z]*)(-([a-zA-Z]*))?([:)])/.exec(this.src.slice(this.pos, this.pos + 40));
    if (match === null) throw new RegexSyntaxError(`unknown group construct at index ${this.pos - 2}`);
    const scoped = match[4] === ':';
    const target = scoped ? { ...flags } : flags;
    applyFlags(target, match[1] ?? '', true);
    applyFlags(target, match[3] ?? '', false);
    this.pos += match[0].length;
    if (!scoped) return undefined;
    const body = this.parseAlternation(target);
    this.expectClose();
    return { t: 'group', index: null, body };
  }

  private expectClose(): void {
    if (this.peek() !== ')') throw new RegexSyntaxError(`unclosed group: add ')'`);
    this.pos++;
  }

  private parseEscape(flags: Flags): RegexNode | undefined {
    const c = this.src[this.pos++];
    if (c === undefined) throw new RegexSyntaxError('unexpected end of pattern after \\');
    const named = namedEscape(c);
    if (named !== undefined) return { t: 'class', cls: { items: [named], negated: false, ignoreCase: false } };
    switch (c) {
      case 'b':
        return { t: 'assert', kind: 'wordBoundary', multiline: false };
      case 'B':
        return { t: 'assert', kind: 'notWordBoundary', multiline: false };
      case 'A':
        return { t: 'assert', kind: 'begin', multiline: false };
      case 'z':
        return { t: 'assert', kind: 'end', multiline: false };
      case 'Z':
        return { t: 'assert', kind: 'endOrFinalTerminator', multiline: false };
      case 'Q': {
        const end = this.src.indexOf('\\E', this.pos);
        const text = this.src.slice(this.pos, end === -1 ? undefined : end);
        this.pos = end === -1 ? this.src.length : end + 2;
        const items = Array.from({ length: text.length }, (_, i) => literal(text.charCodeAt(i), flags));
        return items.length === 0 ? undefined : { t: 'concat', items };
      }
      case 'p':
      case 'P':
        return { t: 'class', cls: { items: [this.parseProperty(c === 'P')], negated: false, ignoreCase: false } };
      default: {
        this.pos--;
        return literal(this.parseEscapedChar(), flags);
      }
    }
  }

  /** `\p{Lower}` and friends (POSIX names Java supports, with or without `Is`). */
  private parseProperty(negated: boolean): ClassItem {
    const match = /^\{(?:Is)?([A-Za-z]+)\}/.exec(this.src.slice(this.pos, this.pos + 40));
    const single = /^[LN]/.exec(this.src.slice(this.pos, this.pos + 1));
    let name: string;
    if (match !== null) {
      name = match[1] as string;
      this.pos += match[0].length;
    } else if (single !== null) {
      name = single[0];
      this.pos++;
    } else throw new RegexSyntaxError('\\p needs a property name like \\p{Alpha}');
    const map: Record<string, NamedClass> = {
      Lower: 'lower',
      Upper: 'upper',
      Alpha: 'alpha',
      Digit: 'digit',
      Alnum: 'alnum',
      Punct: 'punct',
      Space: 'space',
      XDigit: 'xdigit',
      L: 'alpha',
      N: 'digit',
    };
    const named = Object.hasOwn(map, name) ? map[name] : undefined;
    if (named === undefined) throw new RegexSyntaxError(`\\p{${name}} is not supported (supported: ${Object.keys(map).join(', ')})`);
    return { named, negated };
  }

  /** The character of an escape that denotes one character (`\t`, `\x41`, `\u0041`, `\.`...). Position is at the escaped char. */
  private parseEscapedChar(): number {
    const c = this.src[this.pos++] as string;
    const simple: Record<string, number> = { t: 9, n: 10, r: 13, f: 12, a: 7, e: 27 };
    if (Object.hasOwn(simple, c)) return simple[c] as number;
    if (c === '0') {
      const match = /^[0-7]{1,3}/.exec(this.src.slice(this.pos, this.pos + 3));
      if (match === null) throw new RegexSyntaxError('illegal octal escape \\0');
      let digits = match[0];
      if (digits.length === 3 && Number(digits[0]) > 3) digits = digits.slice(0, 2);
      this.pos += digits.length;
      return Number.parseInt(digits, 8);
    }
    if (c === 'x') {
      const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(this.src.slice(this.pos, this.pos + 10));
      if (braced !== null) {
        this.pos += braced[0].length;
        const code = Number.parseInt(braced[1] as string, 16);
        if (code > 0xffff) throw new RegexSyntaxError('\\x{...} above U+FFFF is not supported');
        return code;
      }
      const match = /^[0-9a-fA-F]{2}/.exec(this.src.slice(this.pos, this.pos + 2));
      if (match === null) throw new RegexSyntaxError('illegal hexadecimal escape: use \\xhh');
      this.pos += 2;
      return Number.parseInt(match[0], 16);
    }
    if (c === 'u') {
      const match = /^[0-9a-fA-F]{4}/.exec(this.src.slice(this.pos, this.pos + 4));
      if (match === null) throw new RegexSyntaxError('illegal unicode escape: use \\uhhhh');
      this.pos += 4;
      return Number.parseInt(match[0], 16);
    }
    if (c === 'c') {
      const next = this.src[this.pos++];
      if (next === undefined) throw new RegexSyntaxError('illegal control escape \\c');
      return next.charCodeAt(0) ^ 64;
    }
    if (/[1-9]/.test(c) || c === 'k') throw new RegexSyntaxError('backreferences (\\1, \\k<name>) are not supported');
    if (/[A-Za-z]/.test(c)) throw new RegexSyntaxError(`illegal or unsupported escape \\${c}`);
    return c.charCodeAt(0);
  }

  private parseClass(flags: Flags): CharClass {
    const start = this.pos - 1;
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    const items: ClassItem[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw new RegexSyntaxError(`unclosed character class starting at index ${start}`);
      if (c === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (c === '[') throw new RegexSyntaxError('nested character classes are not supported');
      if (c === '&' && this.src[this.pos + 1] === '&') throw new RegexSyntaxError('character class intersections (&&) are not supported');
      let lo: number;
      if (c === '\\') {
        this.pos++;
        const e = this.peek();
        if (e === undefined) throw new RegexSyntaxError('unexpected end of pattern after \\');
        const named = namedEscape(e);
        if (named !== undefined) {
          this.pos++;
          items.push(named);
          continue;
        }
        if (e === 'p' || e === 'P') {
          this.pos++;
          items.push(this.parseProperty(e === 'P'));
          continue;
        }
        if (e === 'b') throw new RegexSyntaxError('\\b is not allowed inside a character class');
        lo = this.parseEscapedChar();
      } else {
        this.pos++;
        lo = c.charCodeAt(0);
      }
      if (this.peek() === '-' && this.src[this.pos + 1] !== ']' && this.src[this.pos + 1] !== undefined) {
        this.pos++;
        let hi: number;
        const h = this.src[this.pos] as string;
        if (h === '\\') {
          this.pos++;
          if (namedEscape(this.peek() ?? '') !== undefined) throw new RegexSyntaxError('illegal character range');
          hi = this.parseEscapedChar();
        } else if (h === '[') {
          throw new RegexSyntaxError('nested character classes are not supported');
        } else {
          this.pos++;
          hi = h.charCodeAt(0);
        }
        if (hi < lo) throw new RegexSyntaxError(`illegal character range ${String.fromCharCode(lo)}-${String.fromCharCode(hi)}`);
        items.push({ lo, hi });
      } else {
        items.push({ lo, hi: lo });
      }
    }
    return { items, negated, ignoreCase: flags.ignoreCase };
  }
}

function applyFlags(flags: Flags, letters: string, on: boolean): void {
  for (const letter of letters) {
    if (letter === 'i') flags.ignoreCase = on;
    else if (letter === 's') flags.dotAll = on;
    else if (letter === 'm') flags.multiline = on;
    else if (letter === 'u' || letter === 'U') continue;
    else throw new RegexSyntaxError(`inline flag '${letter}' is not supported (supported: i, s, m)`);
  }
}

function namedEscape(c: string): ClassItem | undefined {
  switch (c) {
    case 'd':
      return { named: 'digit', negated: false };
    case 'D':
      return { named: 'digit', negated: true };
    case 'w':
      return { named: 'word', negated: false };
    case 'W':
      return { named: 'word', negated: true };
    case 's':
      return { named: 'space', negated: false };
    case 'S':
      return { named: 'space', negated: true };
    default:
      return undefined;
  }
}

function literal(code: number, flags: Flags): RegexNode {
  return { t: 'class', cls: { items: [{ lo: code, hi: code }], negated: false, ignoreCase: flags.ignoreCase } };
}

// --- character tests -----------------------------------------------------------------------------

function isLineTerminator(code: number): boolean {
  return code === 0x0a || code === 0x0d || code === 0x85 || code === 0x2028 || code === 0x2029;
}

function isWordChar(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f;
}

function namedMatches(named: NamedClass, code: number): boolean {
  switch (named) {
    case 'digit':
      return code >= 0x30 && code <= 0x39;
    case 'word':
      return isWordChar(code);
    case 'space':
      return code === 0x20 || (code >= 0x09 && code <= 0x0d);
    case 'lower':
      return code >= 0x61 && code <= 0x7a;
    case 'upper':
      return code >= 0x41 && code <= 0x5a;
    case 'alpha':
      return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a);
    case 'alnum':
      return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39);
    case 'punct':
      return (code >= 0x21 && code <= 0x2f) || (code >= 0x3a && code <= 0x40) || (code >= 0x5b && code <= 0x60) || (code >= 0x7b && code <= 0x7e);
    case 'xdigit':
      return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
  }
}

function classContains(cls: CharClass, code: number): boolean {
  for (const item of cls.items) {
    if ('named' in item) {
      if (namedMatches(item.named, code) !== item.negated) return true;
    } else if (code >= item.lo && code <= item.hi) return true;
  }
  return false;
}

/** Java's default case-insensitive matching is ASCII-only; so is this. */
function classMatches(cls: CharClass, code: number): boolean {
  let hit = classContains(cls, code);
  if (!hit && cls.ignoreCase) {
    if (code >= 0x41 && code <= 0x5a) hit = classContains(cls, code + 32);
    else if (code >= 0x61 && code <= 0x7a) hit = classContains(cls, code - 32);
  }
  return hit !== cls.negated;
}

// --- compiler ------------------------------------------------------------------------------------

function compile(node: RegexNode): Instruction[] {
  const program: Instruction[] = [];
  const emit = (instruction: Instruction): number => {
    if (program.length >= MAX_PROGRAM_SIZE) {
      throw new RegexSyntaxError('the pattern is too large once its repetitions are expanded; simplify it');
    }
    program.push(instruction);
    return program.length - 1;
  };
  const walk = (n: RegexNode): void => {
    switch (n.t) {
      case 'empty':
        return;
      case 'class':
        emit({ op: 'class', cls: n.cls });
        return;
      case 'any':
        emit({ op: 'any', dotAll: n.dotAll });
        return;
      case 'assert':
        emit({ op: 'assert', kind: n.kind, multiline: n.multiline });
        return;
      case 'group':
        if (n.index !== null) emit({ op: 'save', slot: 2 * n.index });
        walk(n.body);
        if (n.index !== null) emit({ op: 'save', slot: 2 * n.index + 1 });
        return;
      case 'concat':
        for (const item of n.items) walk(item);
        return;
      case 'alt': {
        const jumps: Array<{ op: 'jmp'; x: number }> = [];
        n.items.forEach((item, i) => {
          if (i < n.items.length - 1) {
            const split: { op: 'split'; x: number; y: number } = { op: 'split', x: 0, y: 0 };
            emit(split);
            split.x = program.length;
            walk(item);
            const jump: { op: 'jmp'; x: number } = { op: 'jmp', x: 0 };
            emit(jump);
            jumps.push(jump);
            split.y = program.length;
          } else walk(item);
        });
        for (const jump of jumps) jump.x = program.length;
        return;
      }
      case 'repeat': {
        for (let i = 0; i < n.min; i++) walk(n.body);
        if (n.max === Infinity) {
          const split: { op: 'split'; x: number; y: number } = { op: 'split', x: 0, y: 0 };
          const loop = emit(split);
          const bodyStart = program.length;
          walk(n.body);
          emit({ op: 'jmp', x: loop });
          const after = program.length;
          [split.x, split.y] = n.greedy ? [bodyStart, after] : [after, bodyStart];
          return;
        }
        const splits: Array<{ op: 'split'; x: number; y: number }> = [];
        for (let i = n.min; i < n.max; i++) {
          const split: { op: 'split'; x: number; y: number } = { op: 'split', x: 0, y: 0 };
          emit(split);
          splits.push(split);
          const bodyStart = program.length;
          walk(n.body);
          split.x = bodyStart;
        }
        const after = program.length;
        for (const split of splits) {
          if (n.greedy) split.y = after;
          else [split.x, split.y] = [after, split.x];
        }
        return;
      }
    }
  };
  emit({ op: 'save', slot: 0 });
  walk(node);
  emit({ op: 'save', slot: 1 });
  emit({ op: 'match' });
  return program;
}

/** Parses and compiles a pattern; a string says what is wrong with it. */
function compilePattern(pattern: string): CompiledRegex | string {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return `regular expression of ${pattern.length} characters exceeds the limit of ${MAX_PATTERN_LENGTH}`;
  }
  try {
    const parser = new RegexParser(pattern);
    const tree = parser.parse();
    return { pattern, program: compile(tree), groupCount: parser.groupCount, groupNames: parser.groupNames };
  } catch (error) {
    if (error instanceof RegexSyntaxError) return `invalid regular expression '${shorten(pattern)}': ${error.message}`;
    throw error;
  }
}

/** Compiles a pattern (cached per evaluation); a bad pattern is an evaluation failure naming it. */
export function compileRegex(pattern: string, host: RegexHost): CompiledRegex {
  const cached = host.regexCache.get(pattern);
  if (cached !== undefined) return cached;
  const compiled = compilePattern(pattern);
  if (typeof compiled === 'string') throw new ExpressionFailure(compiled);
  host.regexCache.set(pattern, compiled);
  return compiled;
}

/** What is wrong with a pattern, or undefined when this engine accepts it (used to check literal patterns while parsing). */
export function regexSyntaxProblem(pattern: string): string | undefined {
  const compiled = compilePattern(pattern);
  return typeof compiled === 'string' ? compiled : undefined;
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

// --- the machine ---------------------------------------------------------------------------------

interface Thread {
  readonly pc: number;
  readonly caps: number[];
}

function assertHolds(kind: AssertKind, multiline: boolean, input: string, pos: number): boolean {
  const length = input.length;
  switch (kind) {
    case 'begin':
      return pos === 0;
    case 'end':
      return pos === length;
    case 'bol':
      if (pos === 0) return true;
      return multiline && pos < length && isLineTerminator(input.charCodeAt(pos - 1)) && !(input.charCodeAt(pos - 1) === 0x0d && input.charCodeAt(pos) === 0x0a);
    case 'eol':
      if (multiline) return pos === length || isLineTerminator(input.charCodeAt(pos));
      return atEndOrFinalTerminator(input, pos);
    case 'endOrFinalTerminator':
      return atEndOrFinalTerminator(input, pos);
    case 'wordBoundary':
    case 'notWordBoundary': {
      const before = pos > 0 && isWordChar(input.charCodeAt(pos - 1));
      const after = pos < length && isWordChar(input.charCodeAt(pos));
      return (before !== after) === (kind === 'wordBoundary');
    }
  }
}

function atEndOrFinalTerminator(input: string, pos: number): boolean {
  const length = input.length;
  if (pos === length) return true;
  if (pos === length - 1) return isLineTerminator(input.charCodeAt(pos));
  return pos === length - 2 && input.charCodeAt(pos) === 0x0d && input.charCodeAt(pos + 1) === 0x0a;
}

/**
 * Runs the automaton from `start`. `full`: the match must span start..end of input (Java's
 * `matches()`). Otherwise finds the leftmost match at or after `start`, preferring earlier
 * alternatives and greedier repetitions exactly as a backtracking engine would (leftmost-first).
 */
function run(re: CompiledRegex, input: string, start: number, full: boolean, host: RegexHost): Captures | undefined {
  const program = re.program;
  const budget = host.budget;
  const slots = 2 * (re.groupCount + 1);
  const marks = new Int32Array(program.length).fill(-1);
  let generation = 0;
  const tick = (): void => {
    budget.regexSteps++;
    if (budget.regexSteps > budget.limits.maxRegexSteps) {
      throw new ExpressionFailure(
        `regular expression '${shorten(re.pattern)}' needed more than ${budget.limits.maxRegexSteps} steps on a string of ${input.length} characters`,
      );
    }
  };
  const add = (list: Thread[], pc0: number, caps0: number[], pos: number): void => {
    const stack: Thread[] = [{ pc: pc0, caps: caps0 }];
    while (stack.length > 0) {
      const { pc, caps } = stack.pop() as Thread;
      if (marks[pc] === generation) continue;
      marks[pc] = generation;
      tick();
      const instruction = program[pc] as Instruction;
      switch (instruction.op) {
        case 'jmp':
          stack.push({ pc: instruction.x, caps });
          break;
        case 'split':
          stack.push({ pc: instruction.y, caps });
          stack.push({ pc: instruction.x, caps });
          break;
        case 'save': {
          const copy = caps.slice();
          copy[instruction.slot] = pos;
          stack.push({ pc: pc + 1, caps: copy });
          break;
        }
        case 'assert':
          if (assertHolds(instruction.kind, instruction.multiline, input, pos)) stack.push({ pc: pc + 1, caps });
          break;
        default:
          list.push({ pc, caps });
      }
    }
  };
  const initial = new Array<number>(slots).fill(-1);
  let current: Thread[] = [];
  add(current, 0, initial, start);
  let matched: number[] | undefined;
  for (let pos = start; ; pos++) {
    generation++;
    const next: Thread[] = [];
    const code = pos < input.length ? input.charCodeAt(pos) : -1;
    for (const thread of current) {
      tick();
      const instruction = program[thread.pc] as Instruction;
      if (instruction.op === 'match') {
        if (full && pos !== input.length) continue;
        matched = thread.caps;
        break;
      }
      if (code < 0) continue;
      if (instruction.op === 'class' ? classMatches(instruction.cls, code) : instruction.op === 'any' && (instruction.dotAll || !isLineTerminator(code))) {
        add(next, thread.pc + 1, thread.caps, pos + 1);
      }
    }
    if (pos >= input.length) break;
    if (matched === undefined && !full) add(next, 0, initial, pos + 1);
    current = next;
    // With no live thread, only a search that has not matched yet goes on (new starts come each step).
    if (current.length === 0 && (full || matched !== undefined)) break;
  }
  return matched;
}

// --- Java's String methods on top of the machine ---------------------------------------------------

/** `String.matches` and the `matches` operator: the whole input must match. */
export function regexMatchesWhole(input: string, pattern: string, host: RegexHost): boolean {
  return run(compileRegex(pattern, host), input, 0, true, host) !== undefined;
}

/** Successive non-overlapping matches, Java's `Matcher.find()` loop (an empty match advances by one). */
function* findAll(re: CompiledRegex, input: string, host: RegexHost): Generator<Captures> {
  let from = 0;
  while (from <= input.length) {
    const caps = run(re, input, from, false, host);
    if (caps === undefined) return;
    yield caps;
    const start = caps[0] as number;
    const end = caps[1] as number;
    from = end === start ? end + 1 : end;
  }
}

/** `replaceAll` / `replaceFirst` with Java's replacement syntax (`$1`, `${name}`, `\$`). */
export function regexReplace(input: string, pattern: string, replacement: string, all: boolean, host: RegexHost): string {
  const re = compileRegex(pattern, host);
  const out = createTextBuilder(host.budget);
  const push = (text: string): void => out.push(text);
  let last = 0;
  for (const caps of findAll(re, input, host)) {
    push(input.slice(last, caps[0]));
    push(expandReplacement(replacement, caps, re, input));
    last = caps[1] as number;
    if (!all) break;
  }
  push(input.slice(last));
  return out.build();
}

function expandReplacement(replacement: string, caps: Captures, re: CompiledRegex, input: string): string {
  let out = '';
  const group = (index: number): string => {
    const start = caps[2 * index] ?? -1;
    const end = caps[2 * index + 1] ?? -1;
    return start >= 0 && end >= 0 ? input.slice(start, end) : '';
  };
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i] as string;
    if (c === '\\') {
      i++;
      if (i >= replacement.length) throw new ExpressionFailure(`replacement '${shorten(replacement)}' ends with a lone \\`);
      out += replacement[i];
    } else if (c === '$') {
      i++;
      if (i >= replacement.length) throw new ExpressionFailure(`replacement '${shorten(replacement)}' has a '$' without a group; escape it as \\$`);
      if (replacement[i] === '{') {
        const close = replacement.indexOf('}', i);
        const name = close === -1 ? '' : replacement.slice(i + 1, close);
        const index = re.groupNames.get(name);
        if (index === undefined) throw new ExpressionFailure(`replacement refers to group \${${name}}, which the pattern does not define`);
        out += group(index);
        i = close;
      } else {
        const digit = replacement.charCodeAt(i) - 0x30;
        if (digit < 0 || digit > 9) throw new ExpressionFailure(`replacement has an illegal group reference '$${replacement[i]}'; escape a literal $ as \\$`);
        if (digit > re.groupCount) throw new ExpressionFailure(`replacement refers to group $${digit}, but the pattern has ${re.groupCount}`);
        let index = digit;
        while (i + 1 < replacement.length) {
          const more = replacement.charCodeAt(i + 1) - 0x30;
          if (more < 0 || more > 9 || index * 10 + more > re.groupCount) break;
          index = index * 10 + more;
          i++;
        }
        out += group(index);
      }
    } else out += c;
  }
  return out;
}

/** `String.split(regex, limit)`: Java's rules for leading empty strings and trailing ones (dropped when limit is 0). */
export function regexSplit(input: string, pattern: string, limit: number, host: RegexHost): string[] {
  const re = compileRegex(pattern, host);
  const parts: string[] = [];
  let index = 0;
  let matchedAny = false;
  for (const caps of findAll(re, input, host)) {
    const start = caps[0] as number;
    const end = caps[1] as number;
    if (limit > 0 && parts.length === limit - 1) break;
    if (start === 0 && end === 0) continue;
    matchedAny = true;
    checkCollectionSize(host.budget, parts.length + 2);
    parts.push(input.slice(index, start));
    index = end;
  }
  if (!matchedAny) return [input];
  parts.push(input.slice(index));
  if (limit === 0) {
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  }
  return parts;
}
