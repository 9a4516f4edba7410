/**
 * Validation issues: the value every parser and validator returns instead of throwing.
 * Each issue points at the offending place with a JSON pointer and reads as one line that
 * names the field, shows the bad value and says what to do.
 */

export type IssueSeverity = 'error' | 'warning';

/** Stable machine-readable kinds of issue; the CLI's `--json` output carries them. */
export type IssueCode =
  | 'invalid-document'
  | 'wrong-type'
  | 'required'
  | 'invalid-value'
  | 'refid-missing'
  | 'refid-duplicate'
  | 'requisite-unknown'
  | 'cycle'
  | 'stage-type-unknown'
  | 'stage-type-unsupported'
  | 'trigger-type-unknown'
  | 'trigger-type-unsupported'
  | 'expression-syntax'
  | 'regex'
  | 'cron'
  | 'limit'
  | 'account-unknown'
  /** A region the account does not list. */
  | 'region-unknown'
  /** What a field names does not exist in the account (a target group, an instance type...). */
  | 'resource-not-found'
  /** The cloud could not be asked at save; the stage checks when it runs. */
  | 'cloud-unavailable';

export interface ValidationIssue {
  /** JSON pointer (RFC 6901) into the document as given, e.g. `/stages/3/requisiteStageRefIds/0`. */
  readonly pointer: string;
  readonly code: IssueCode;
  /** One line: what is wrong, the bad value, and the fix. Does not repeat the pointer. */
  readonly message: string;
  readonly severity: IssueSeverity;
  /** The offending value, when there is one (omitted for missing fields). */
  readonly value?: unknown;
}

/** Appends a path segment to a JSON pointer, escaping `~` and `/` as RFC 6901 requires. */
export function pointerJoin(base: string, ...segments: ReadonlyArray<string | number>): string {
  return segments.reduce<string>(
    (acc, segment) => `${acc}/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`,
    base,
  );
}

/** Renders a value for a one-line message: short, JSON-ish, never multi-line. */
export function showValue(value: unknown, max = 60): string {
  let text: string;
  if (typeof value === 'string') text = `'${value}'`;
  else if (value === undefined) text = 'undefined';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Formats an issue the way the CLI prints it: `pointer: message`. */
export function formatIssue(issue: ValidationIssue): string {
  return `${issue.pointer || '/'}: ${issue.message}`;
}

export function hasErrors(issues: readonly ValidationIssue[]): boolean {
  return issues.some((issue) => issue.severity === 'error');
}
