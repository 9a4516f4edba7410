/**
 * The syntax tree of one expression. Plain readonly data; every node keeps the absolute offset
 * of its first token for messages. Left-associative runs of one precedence level (`a + b - c`,
 * `a and b and c`) and postfix chains (`a.b[0].c()`) are flat lists, so depth measures real
 * nesting and the evaluator walks long chains with a loop instead of recursion.
 */
import type { JavaDouble } from './values.ts';

/** A constant written in the expression. */
export type LiteralValue = null | boolean | number | string | JavaDouble;

/** Relational operators, word forms (`eq`, `lt`...) normalized to their symbols. */
export type RelationalOperator = '==' | '!=' | '<' | '>' | '<=' | '>=' | 'matches' | 'between';
/** Operators of a sum run. */
export type SumOperator = '+' | '-';
/** Operators of a product run (`div` and `mod` normalized). */
export type ProductOperator = '*' | '/' | '%';

/** A syntax node. */
export type Node =
  | { readonly kind: 'literal'; readonly offset: number; readonly value: LiteralValue }
  | { readonly kind: 'list'; readonly offset: number; readonly items: readonly Node[] }
  | { readonly kind: 'map'; readonly offset: number; readonly entries: ReadonlyArray<{ readonly key: Node | string; readonly value: Node }> }
  /** A bare name: a property of the active object (the root, or `#this` inside selection/projection). */
  | { readonly kind: 'property'; readonly offset: number; readonly name: string }
  /** A bare `name(args)`: a method of the active object. */
  | { readonly kind: 'method'; readonly offset: number; readonly name: string; readonly args: readonly Node[] }
  /** `#name`: `#this`, `#root`, or an unset variable (null, as in SpEL). */
  | { readonly kind: 'variable'; readonly offset: number; readonly name: string }
  /** `#name(args)`: one of the helper functions. */
  | { readonly kind: 'function'; readonly offset: number; readonly name: string; readonly args: readonly Node[] }
  /** `T(java.lang.Math)`: only valid as the target of a static method call. */
  | { readonly kind: 'type'; readonly offset: number; readonly className: string }
  /** `new java.util.Date(...)`: the only constructor allowed. */
  | { readonly kind: 'new'; readonly offset: number; readonly className: string; readonly args: readonly Node[] }
  | { readonly kind: 'chain'; readonly offset: number; readonly base: Node; readonly steps: readonly ChainStep[] }
  | { readonly kind: 'not' | 'negate' | 'plus'; readonly offset: number; readonly operand: Node }
  | { readonly kind: 'power'; readonly offset: number; readonly base: Node; readonly exponent: Node }
  | { readonly kind: 'sum'; readonly offset: number; readonly first: Node; readonly rest: ReadonlyArray<{ readonly op: SumOperator; readonly node: Node }> }
  | { readonly kind: 'product'; readonly offset: number; readonly first: Node; readonly rest: ReadonlyArray<{ readonly op: ProductOperator; readonly node: Node }> }
  | { readonly kind: 'relational'; readonly offset: number; readonly op: RelationalOperator; readonly left: Node; readonly right: Node }
  | { readonly kind: 'and' | 'or'; readonly offset: number; readonly operands: readonly Node[] }
  | { readonly kind: 'ternary'; readonly offset: number; readonly condition: Node; readonly whenTrue: Node; readonly whenFalse: Node }
  | { readonly kind: 'elvis'; readonly offset: number; readonly value: Node; readonly fallback: Node };

/** One postfix step. `safe` is the `?.` form: the step yields null when its target is null. */
export type ChainStep =
  | { readonly kind: 'property'; readonly offset: number; readonly safe: boolean; readonly name: string }
  | { readonly kind: 'method'; readonly offset: number; readonly safe: boolean; readonly name: string; readonly args: readonly Node[] }
  | { readonly kind: 'index'; readonly offset: number; readonly safe: boolean; readonly index: Node }
  /** `.?[c]` all matches, `.^[c]` first, `.$[c]` last, `.![e]` projection. */
  | { readonly kind: 'select' | 'first' | 'last' | 'project'; readonly offset: number; readonly safe: boolean; readonly body: Node };
