/**
 * A precedence-climbing parser for the SpEL subset, lowest precedence first:
 *
 *   ternary `c ? a : b`, elvis `a ?: b`          (right-associative)
 *   `or` `||`  →  `and` `&&`
 *   relational `== != < > <= >=`, `eq ne lt gt le ge`, `matches`, `between`   (not chainable)
 *   `+ -`  →  `* / %`, `div mod`  →  `^` (not chainable)
 *   unary `! not - +`
 *   postfix `.name`, `?.name`, `.m(args)`, `[i]`, `.?[c]`, `.^[c]`, `.$[c]`, `.![e]`
 *   primary: literals, names, `name(args)`, `#var`, `#fn(args)`, `( )`, `{list}`, `{k:v}`, `T(...)`, `new ...`
 *
 * Word operators are case-insensitive, as in SpEL. Nesting is bounded (`maxDepth`), and the
 * parser refuses, with a message saying so, everything that would reach host code: type
 * references outside the allowlist, constructors, bean references, assignment, increments.
 */
import type { ChainStep, Node, ProductOperator, RelationalOperator, SumOperator } from './ast.ts';
import {
  ALLOWED_CONSTRUCTORS,
  ALLOWED_STATIC_METHODS,
  allowedTypesText,
  arityText,
  canonicalClassName,
  HELPER_FUNCTIONS,
  UNSUPPORTED_HELPERS,
  type Arity,
} from './catalog.ts';
import { regexSyntaxProblem } from './regex.ts';
import type { ExpressionSyntaxError } from './syntax-error.ts';
import { tokenize, type Token } from './tokenizer.ts';
import { JavaDouble } from './values.ts';

/** A syntax tree, or the first syntax error with its absolute offset. */
export type ParseResult = { readonly ok: true; readonly node: Node } | { readonly ok: false; readonly error: ExpressionSyntaxError };

/** The limits the parser enforces. */
export interface ParseLimits {
  readonly maxExpressionLength: number;
  readonly maxDepth: number;
}

/** Nesting beyond this would risk the host stack whatever the configured limit says. */
const HARD_MAX_DEPTH = 200;

/** Parses one bare expression; `base` is the absolute offset of `source[0]` in the caller's string. */
export function parseExpressionSource(source: string, base: number, limits: ParseLimits): ParseResult {
  if (source.length > limits.maxExpressionLength) {
    return fail(base, `expression is ${source.length} characters long; the limit is ${limits.maxExpressionLength}`);
  }
  if (source.trim() === '') return fail(base, 'empty expression');
  const tokenized = tokenize(source, base);
  if (!tokenized.ok) return { ok: false, error: tokenized.error };
  const parser = new Parser(tokenized.tokens, Math.min(limits.maxDepth, HARD_MAX_DEPTH));
  try {
    const node = parser.parseExpression();
    parser.expectEnd();
    return { ok: true, node };
  } catch (error) {
    if (error instanceof SyntaxFailure) return fail(error.offset, error.message);
    throw error;
  }
}

function fail(offset: number, message: string): ParseResult {
  return { ok: false, error: { offset, message } };
}

/** Unwinds the parser; deliberately not an Error (no stack trace to capture). */
class SyntaxFailure {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

const RELATIONAL_WORDS: ReadonlyMap<string, RelationalOperator> = new Map([
  ['eq', '=='],
  ['ne', '!='],
  ['lt', '<'],
  ['gt', '>'],
  ['le', '<='],
  ['ge', '>='],
  ['matches', 'matches'],
  ['between', 'between'],
]);
const RELATIONAL_PUNCT: ReadonlyMap<string, RelationalOperator> = new Map([
  ['==', '=='],
  ['!=', '!='],
  ['<', '<'],
  ['>', '>'],
  ['<=', '<='],
  ['>=', '>='],
]);
const SELECTION_STEPS: ReadonlyMap<string, 'select' | 'first' | 'last' | 'project'> = new Map([
  ['?[', 'select'],
  ['^[', 'first'],
  ['$[', 'last'],
  ['![', 'project'],
]);

class Parser {
  private position = 0;
  private depth = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly maxDepth: number,
  ) {}

  // --- token helpers -------------------------------------------------------------------------

  private peek(ahead = 0): Token {
    const token = this.tokens[Math.min(this.position + ahead, this.tokens.length - 1)];
    if (token === undefined) throw new SyntaxFailure(0, 'internal: no tokens');
    return token;
  }

  private next(): Token {
    const token = this.peek();
    if (this.position < this.tokens.length - 1) this.position++;
    return token;
  }

  private isPunct(text: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === 'punct' && token.text === text;
  }

  private isWord(word: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === 'identifier' && token.text.toLowerCase() === word;
  }

  private expectPunct(text: string, where: string): Token {
    if (!this.isPunct(text)) {
      const token = this.peek();
      throw new SyntaxFailure(token.offset, `expected '${text}' ${where}, found ${describe(token)}`);
    }
    return this.next();
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind === 'end') return;
    if (token.kind === 'punct' && (token.text === ')' || token.text === ']' || token.text === '}')) {
      throw new SyntaxFailure(token.offset, `unbalanced '${token.text}': nothing opened it`);
    }
    throw new SyntaxFailure(token.offset, `unexpected ${describe(token)} after a complete expression; is an operator missing?`);
  }

  private enter(offset: number): void {
    this.depth++;
    if (this.depth > this.maxDepth) {
      throw new SyntaxFailure(offset, `expression is nested too deeply (more than ${this.maxDepth} levels)`);
    }
  }

  private leave(): void {
    this.depth--;
  }

  // --- grammar -------------------------------------------------------------------------------

  /** expression := or ( '?' expression ':' expression | '?:' expression )? */
  parseExpression(): Node {
    const offset = this.peek().offset;
    this.enter(offset);
    let node = this.parseOr();
    if (this.isPunct('=')) {
      throw new SyntaxFailure(this.peek().offset, `assignment ('=') is not allowed in Gennaker expressions; to compare, use '=='`);
    }
    if (this.isPunct('?:')) {
      this.next();
      const fallback = this.parseExpression();
      node = { kind: 'elvis', offset, value: node, fallback };
    } else if (this.isPunct('?')) {
      this.next();
      const whenTrue = this.parseExpression();
      this.expectPunct(':', "in 'condition ? whenTrue : whenFalse'");
      const whenFalse = this.parseExpression();
      node = { kind: 'ternary', offset, condition: node, whenTrue, whenFalse };
    }
    this.leave();
    return node;
  }

  private parseOr(): Node {
    const offset = this.peek().offset;
    const operands = [this.parseAnd()];
    while (this.isPunct('||') || this.isWord('or')) {
      this.next();
      operands.push(this.parseAnd());
    }
    return operands.length === 1 ? (operands[0] as Node) : { kind: 'or', offset, operands };
  }

  private parseAnd(): Node {
    const offset = this.peek().offset;
    const operands = [this.parseRelational()];
    while (this.isPunct('&&') || this.isWord('and')) {
      this.next();
      operands.push(this.parseRelational());
    }
    return operands.length === 1 ? (operands[0] as Node) : { kind: 'and', offset, operands };
  }

  private relationalOperator(): RelationalOperator | undefined {
    const token = this.peek();
    if (token.kind === 'punct') return RELATIONAL_PUNCT.get(token.text);
    if (token.kind === 'identifier') {
      const word = token.text.toLowerCase();
      if (word === 'instanceof') {
        throw new SyntaxFailure(token.offset, `'instanceof' is not allowed in Gennaker expressions (it needs type references)`);
      }
      return RELATIONAL_WORDS.get(word);
    }
    return undefined;
  }

  private parseRelational(): Node {
    const offset = this.peek().offset;
    const left = this.parseSum();
    const op = this.relationalOperator();
    if (op === undefined) return left;
    this.next();
    const right = this.parseSum();
    if (op === 'matches') checkLiteralPattern(right);
    if (this.relationalOperator() !== undefined) {
      throw new SyntaxFailure(this.peek().offset, `comparisons cannot be chained; combine them with 'and' or 'or'`);
    }
    return { kind: 'relational', offset, op, left, right };
  }

  private parseSum(): Node {
    const offset = this.peek().offset;
    const first = this.parseProduct();
    const rest: Array<{ op: SumOperator; node: Node }> = [];
    while (this.isPunct('+') || this.isPunct('-')) {
      const op = this.next().text as SumOperator;
      rest.push({ op, node: this.parseProduct() });
    }
    return rest.length === 0 ? first : { kind: 'sum', offset, first, rest };
  }

  private productOperator(): ProductOperator | undefined {
    if (this.isPunct('*')) return '*';
    if (this.isPunct('/') || this.isWord('div')) return '/';
    if (this.isPunct('%') || this.isWord('mod')) return '%';
    return undefined;
  }

  private parseProduct(): Node {
    const offset = this.peek().offset;
    const first = this.parsePower();
    const rest: Array<{ op: ProductOperator; node: Node }> = [];
    for (let op = this.productOperator(); op !== undefined; op = this.productOperator()) {
      this.next();
      rest.push({ op, node: this.parsePower() });
    }
    return rest.length === 0 ? first : { kind: 'product', offset, first, rest };
  }

  private parsePower(): Node {
    const offset = this.peek().offset;
    const base = this.parseUnary();
    this.refuseIncrement();
    if (!this.isPunct('^')) return base;
    this.next();
    const exponent = this.parseUnary();
    this.refuseIncrement();
    if (this.isPunct('^')) {
      throw new SyntaxFailure(this.peek().offset, `'^' cannot be chained; add parentheses, e.g. (a ^ b) ^ c`);
    }
    return { kind: 'power', offset, base, exponent };
  }

  private refuseIncrement(): void {
    if (this.isPunct('++') || this.isPunct('--')) {
      throw new SyntaxFailure(this.peek().offset, `'${this.peek().text}' is not allowed in Gennaker expressions (expressions cannot change data)`);
    }
  }

  private parseUnary(): Node {
    const token = this.peek();
    let kind: 'not' | 'negate' | 'plus' | undefined;
    if (this.isPunct('!') || this.isWord('not')) kind = 'not';
    else if (this.isPunct('-')) kind = 'negate';
    else if (this.isPunct('+')) kind = 'plus';
    this.refuseIncrement();
    if (kind === undefined) return this.parsePostfix();
    this.next();
    this.enter(token.offset);
    const operand = this.parseUnary();
    this.leave();
    return { kind, offset: token.offset, operand };
  }

  private parsePostfix(): Node {
    const base = this.parsePrimary();
    const steps: ChainStep[] = [];
    for (;;) {
      const token = this.peek();
      if (this.isPunct('.') || this.isPunct('?.')) {
        const safe = token.text === '?.';
        this.next();
        const target = this.peek();
        if (target.kind === 'identifier') {
          this.next();
          if (this.isPunct('(')) {
            const args = this.parseArguments();
            if (REGEX_METHODS.has(target.text) && args[0] !== undefined) checkLiteralPattern(args[0]);
            steps.push({ kind: 'method', offset: target.offset, safe, name: target.text, args });
          } else {
            steps.push({ kind: 'property', offset: target.offset, safe, name: target.text });
          }
          continue;
        }
        const selection = target.kind === 'punct' ? SELECTION_STEPS.get(target.text) : undefined;
        if (selection !== undefined) {
          this.next();
          const body = this.parseExpression();
          this.expectPunct(']', `to close '${target.text}'`);
          steps.push({ kind: selection, offset: target.offset, safe, body });
          continue;
        }
        if (safe && this.isPunct('[')) {
          this.next();
          const index = this.parseExpression();
          this.expectPunct(']', "to close '['");
          steps.push({ kind: 'index', offset: target.offset, safe: true, index });
          continue;
        }
        throw new SyntaxFailure(target.offset, `expected a property or method name after '${token.text}', found ${describe(target)}`);
      }
      if (this.isPunct('[')) {
        this.next();
        const index = this.parseExpression();
        this.expectPunct(']', "to close '['");
        steps.push({ kind: 'index', offset: token.offset, safe: false, index });
        continue;
      }
      if (token.kind === 'punct' && SELECTION_STEPS.has(token.text)) {
        throw new SyntaxFailure(token.offset, `'${token.text}' needs a '.' before it, e.g. list.${token.text}...]`);
      }
      break;
    }
    if (base.kind === 'type') this.checkStaticCall(base, steps);
    return steps.length === 0 ? base : { kind: 'chain', offset: base.offset, base, steps };
  }

  private checkStaticCall(base: Node & { kind: 'type' }, steps: readonly ChainStep[]): void {
    const methods = ALLOWED_STATIC_METHODS.get(base.className);
    if (methods === undefined) throw new SyntaxFailure(base.offset, `internal: type ${base.className} has no methods`);
    const names = [...methods.keys()].join(', ');
    const first = steps[0];
    if (first === undefined || first.kind !== 'method' || first.safe) {
      throw new SyntaxFailure(
        first?.offset ?? base.offset,
        `T(${base.className}) can only be used to call one of its static methods: ${names}`,
      );
    }
    const arity = methods.get(first.name);
    if (arity === undefined) {
      throw new SyntaxFailure(first.offset, `T(${base.className}).${first.name}() is not allowed; allowed: ${names}`);
    }
    checkArity(arity, first.args.length, `T(${base.className}).${first.name}()`, first.offset);
  }

  private parseArguments(): Node[] {
    this.expectPunct('(', 'to start the arguments');
    const args: Node[] = [];
    if (this.isPunct(')')) {
      this.next();
      return args;
    }
    for (;;) {
      args.push(this.parseExpression());
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      this.expectPunct(')', 'to close the arguments');
      return args;
    }
  }

  private parsePrimary(): Node {
    const token = this.next();
    switch (token.kind) {
      case 'number':
        return {
          kind: 'literal',
          offset: token.offset,
          value: token.isDouble === true ? new JavaDouble(token.value as number) : (token.value as number),
        };
      case 'string':
        return { kind: 'literal', offset: token.offset, value: token.value as string };
      case 'identifier':
        return this.parseName(token);
      case 'end':
        throw new SyntaxFailure(token.offset, 'the expression ends where a value was expected');
      case 'punct':
        return this.parsePunctPrimary(token);
    }
  }

  private parseName(token: Token): Node {
    const word = token.text.toLowerCase();
    if (word === 'true' || word === 'false') return { kind: 'literal', offset: token.offset, value: word === 'true' };
    if (word === 'null') return { kind: 'literal', offset: token.offset, value: null };
    if (token.text === 'T' && this.isPunct('(')) return this.parseTypeReference(token);
    if (word === 'new' && this.peek().kind === 'identifier') return this.parseConstructor(token);
    if (this.isPunct('(')) {
      return { kind: 'method', offset: token.offset, name: token.text, args: this.parseArguments() };
    }
    return { kind: 'property', offset: token.offset, name: token.text };
  }

  private parsePunctPrimary(token: Token): Node {
    switch (token.text) {
      case '#': {
        const name = this.peek();
        if (name.kind !== 'identifier') {
          throw new SyntaxFailure(name.offset, `expected a variable or function name after '#', found ${describe(name)}`);
        }
        this.next();
        if (!this.isPunct('(')) return { kind: 'variable', offset: token.offset, name: name.text };
        const args = this.parseArguments();
        checkFunction(name.text, args.length, token.offset);
        return { kind: 'function', offset: token.offset, name: name.text, args };
      }
      case '(': {
        const inner = this.parseExpression();
        if (this.isPunct(';')) {
          throw new SyntaxFailure(this.peek().offset, `expression lists '(a; b)' are not allowed in Gennaker expressions`);
        }
        this.expectPunct(')', "to close '('");
        return inner;
      }
      case '{':
        return this.parseInline(token);
      case '[': {
        // An index on the active object, e.g. `['trigger']` at the root.
        const index = this.parseExpression();
        this.expectPunct(']', "to close '['");
        const self: Node = { kind: 'variable', offset: token.offset, name: 'this' };
        return { kind: 'chain', offset: token.offset, base: self, steps: [{ kind: 'index', offset: token.offset, safe: false, index }] };
      }
      case '@':
      case '&':
        throw new SyntaxFailure(token.offset, `bean references ('${token.text}name') are not allowed in Gennaker expressions`);
      case '++':
      case '--':
        throw new SyntaxFailure(token.offset, `'${token.text}' is not allowed in Gennaker expressions (expressions cannot change data)`);
      default:
        if (token.text === ')' || token.text === ']' || token.text === '}') {
          throw new SyntaxFailure(token.offset, `unexpected '${token.text}' where a value was expected`);
        }
        throw new SyntaxFailure(token.offset, `unexpected ${describe(token)} where a value was expected`);
    }
  }

  /** `{}` empty list, `{:}` empty map, `{a, b}` list, `{k: v, 'k2': v2}` map. */
  private parseInline(open: Token): Node {
    if (this.isPunct('}')) {
      this.next();
      return { kind: 'list', offset: open.offset, items: [] };
    }
    if (this.isPunct(':') && this.isPunct('}', 1)) {
      this.next();
      this.next();
      return { kind: 'map', offset: open.offset, entries: [] };
    }
    const first = this.parseExpression();
    let node: Node;
    if (this.isPunct(':')) {
      const entries: Array<{ key: Node | string; value: Node }> = [];
      let key: Node = first;
      for (;;) {
        this.expectPunct(':', 'between a map key and its value');
        const value = this.parseExpression();
        entries.push({ key: key.kind === 'property' ? key.name : key, value });
        if (!this.isPunct(',')) break;
        this.next();
        key = this.parseExpression();
      }
      this.expectPunct('}', 'to close the map');
      node = { kind: 'map', offset: open.offset, entries };
    } else {
      const items = [first];
      while (this.isPunct(',')) {
        this.next();
        items.push(this.parseExpression());
      }
      this.expectPunct('}', 'to close the list');
      node = { kind: 'list', offset: open.offset, items };
    }
    return node;
  }

  private parseQualifiedName(): { name: string; offset: number } {
    const first = this.peek();
    if (first.kind !== 'identifier') throw new SyntaxFailure(first.offset, `expected a class name, found ${describe(first)}`);
    this.next();
    let name = first.text;
    while (this.isPunct('.') && this.peek(1).kind === 'identifier') {
      this.next();
      name += `.${this.next().text}`;
    }
    return { name, offset: first.offset };
  }

  private parseTypeReference(t: Token): Node {
    this.expectPunct('(', "after 'T'");
    const { name } = this.parseQualifiedName();
    if (this.isPunct('[')) {
      throw new SyntaxFailure(t.offset, `type references are not allowed in Gennaker expressions: T(${name}[]) (allowed: ${allowedTypesText()})`);
    }
    this.expectPunct(')', 'to close T(...)');
    const className = canonicalClassName(name);
    if (!ALLOWED_STATIC_METHODS.has(className)) {
      throw new SyntaxFailure(t.offset, `type references are not allowed in Gennaker expressions: T(${name}) (allowed: ${allowedTypesText()})`);
    }
    return { kind: 'type', offset: t.offset, className };
  }

  private parseConstructor(keyword: Token): Node {
    const { name } = this.parseQualifiedName();
    const arity = ALLOWED_CONSTRUCTORS.get(name);
    if (arity === undefined || !this.isPunct('(')) {
      throw new SyntaxFailure(keyword.offset, `constructors are not allowed in Gennaker expressions: new ${name} (only new java.util.Date() is)`);
    }
    const args = this.parseArguments();
    checkArity(arity, args.length, `new ${name}()`, keyword.offset);
    return { kind: 'new', offset: keyword.offset, className: name, args };
  }
}

/** String methods whose first argument is a regular expression. */
const REGEX_METHODS: ReadonlySet<string> = new Set(['matches', 'replaceAll', 'replaceFirst', 'split']);

/** A literal pattern is checked now, so validation reports it before the pipeline runs. */
function checkLiteralPattern(node: Node): void {
  if (node.kind !== 'literal' || typeof node.value !== 'string') return;
  const problem = regexSyntaxProblem(node.value);
  if (problem !== undefined) throw new SyntaxFailure(node.offset, problem);
}

function checkFunction(name: string, count: number, offset: number): void {
  const arity = HELPER_FUNCTIONS.get(name);
  if (arity !== undefined) {
    checkArity(arity, count, `#${name}()`, offset);
    return;
  }
  if (UNSUPPORTED_HELPERS.has(name)) {
    throw new SyntaxFailure(offset, `#${name}() is a Spinnaker helper that Gennaker does not support`);
  }
  const suggestion = closestHelper(name);
  throw new SyntaxFailure(offset, `unknown function #${name}()${suggestion === undefined ? '' : `; did you mean #${suggestion}()?`}`);
}

function checkArity(arity: Arity, count: number, what: string, offset: number): void {
  if (count < arity.min || count > arity.max) {
    throw new SyntaxFailure(offset, `${what} takes ${arityText(arity)}, got ${count}`);
  }
}

/** The known helper nearest to a misspelt name (case-insensitive, edit distance ≤ 2). */
function closestHelper(name: string): string | undefined {
  if (name.length > 40) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const candidate of HELPER_FUNCTIONS.keys()) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the expression';
    case 'string':
      return `string ${token.text.length > 30 ? `${token.text.slice(0, 30)}…` : token.text}`;
    case 'number':
      return `number ${token.text}`;
    case 'identifier':
      return `'${token.text.length > 30 ? `${token.text.slice(0, 30)}…` : token.text}'`;
    case 'punct':
      return `'${token.text}'`;
  }
}
