/** A syntax error of an expression or template, located in the caller's original string. */
export interface ExpressionSyntaxError {
  /** Index into the original string (the whole field for templates, not the inner expression). */
  readonly offset: number;
  readonly message: string;
}
