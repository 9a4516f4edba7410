/**
 * What an expression can see: the root variables, a read-only view of the execution for the
 * stage helpers, and the few hooks that reach outside (pipeline ids, URLs, clock, UUIDs).
 * Everything is data or a plain synchronous function supplied by the caller; the evaluator
 * never reaches for I/O, time or randomness by itself, so core/ stays pure and tests are exact.
 */

/** One stage as the helpers (`#stage`, `#stageByRefId`, `#judgment`...) see it: plain data only. */
export interface StageView {
  readonly id: string;
  readonly refId: string;
  readonly name: string;
  readonly type: string;
  /** Spinnaker status as a string (`SUCCEEDED`, `TERMINAL`...), so `== 'SUCCEEDED'` works with or without `.toString()`. */
  readonly status: string;
  readonly context: Readonly<Record<string, unknown>>;
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Further fields (`startTime`, `endTime`, `parentStageId`...) are readable from expressions as data. */
  readonly [field: string]: unknown;
}

/** The execution as the helpers see it. `stages` holds every stage, synthetic ones included. */
export interface ExecutionView {
  readonly id?: string;
  /** Application of the running pipeline: the default for `#pipelineId(name)`. */
  readonly application?: string;
  readonly stages: readonly StageView[];
  /** The trigger; `#triggerResolvedArtifact` and `#currentUser` read it (falls back to `variables.trigger`). */
  readonly trigger?: Readonly<Record<string, unknown>>;
  /** Who runs the execution; `#currentUser()` prefers this over `trigger.user`. */
  readonly authentication?: { readonly user?: string };
}

/** Answer of a URL fetcher: the body, or why it was refused or failed. */
export type UrlFetchResult = { readonly ok: true; readonly body: string } | { readonly ok: false; readonly message: string };

/**
 * A synchronous, allowlist-backed URL lookup (for example a cache the stage runner filled
 * before evaluating). Evaluation is synchronous, so it can never do network I/O itself.
 */
export type UrlFetcher = (url: string) => UrlFetchResult;

/** Bounds on the work one evaluation may do. Exceeding one is an evaluation failure, never a hang. */
export interface EvaluationLimits {
  /** Characters of one expression (the text inside one `${ }`, or one bare expression). */
  readonly maxExpressionLength: number;
  /** Characters of a string that contains templates; longer strings are not evaluated. */
  readonly maxTextLength: number;
  /** Nesting of the syntax tree (parentheses, arguments, ternaries, unary operators...). */
  readonly maxDepth: number;
  /** Evaluation steps (syntax nodes visited, collection elements walked) per evaluated string. */
  readonly maxSteps: number;
  /** Evaluation steps across every string of one `evaluateDeep` call. */
  readonly maxTotalSteps: number;
  /** Steps of the regular-expression engine per evaluated string (it is linear-time; this bounds the constant). */
  readonly maxRegexSteps: number;
  /** Characters of any string an expression builds (concatenation, replace, `#toJson`...). */
  readonly maxStringLength: number;
  /** Elements of any list or map an expression builds. */
  readonly maxCollectionSize: number;
  /** Nesting of data walked by `#toJson`, equality and result copying (guards against cycles). */
  readonly maxDataDepth: number;
}

/** Defaults sized for pipelines: far above what real expressions need, far below what hurts a Lambda. */
export const DEFAULT_LIMITS: EvaluationLimits = {
  maxExpressionLength: 10_000,
  maxTextLength: 1_000_000,
  maxDepth: 64,
  maxSteps: 100_000,
  maxTotalSteps: 1_000_000,
  maxRegexSteps: 1_000_000,
  maxStringLength: 1_000_000,
  maxCollectionSize: 100_000,
  maxDataDepth: 128,
};

/** Everything an expression may read, plus the hooks it may call. */
export interface EvaluationContext {
  /**
   * The root object: bare names resolve here. The caller flattens Spinnaker's roots into it:
   * `trigger`, `parameters`, `execution`, `scmInfo`, `deployedServerGroups`, `templateVariables`,
   * then the stage's own context and the outputs of its ancestors, nearest first.
   */
  readonly variables: Readonly<Record<string, unknown>>;
  /** The execution for the stage helpers; without it `#stage(...)` and friends fail with a clear message. */
  readonly execution?: ExecutionView;
  /** Id of the stage being evaluated, for `#currentStage()`. */
  readonly currentStageId?: string;
  /** Resolves a pipeline name to its config id (`#pipelineId`...); `application` is absent when unknown. */
  readonly pipelineIdLookup?: (name: string, application?: string) => string | undefined;
  /** URL helpers (`#fromUrl`, `#jsonFromUrl`...) are disabled unless this is given. */
  readonly urlFetcher?: UrlFetcher;
  /**
   * Named secrets for `#secret('name')`, read before the evaluation (the stage runner reads
   * them from the secret store); without it `#secret` fails with a clear message.
   */
  readonly secrets?: (name: string) => { readonly ok: true; readonly value: string } | { readonly ok: false; readonly message: string };
  /** Clock in epoch milliseconds, for `new java.util.Date()`; without it the clock is unavailable. */
  readonly now?: () => number;
  /** Source of UUIDs, for `T(java.util.UUID).randomUUID()`; without it that call fails. */
  readonly randomUuid?: () => string;
  /**
   * Spinnaker's `allowUnknownKeys`: when true, `map.missing` is null instead of a failure
   * (`map['missing']` is null either way, as in SpEL). Default false: typos surface.
   */
  readonly allowUnknownKeys?: boolean;
  /**
   * Orca's v4 at a stage (kork's ExpressionTransform): a template whose value is null keeps its
   * text (a lone template) or its `${...}` (inside text), and is reported as an `unresolved`
   * failure, which Spinnaker's summary lists at level INFO. Default false: null is the value.
   */
  readonly keepUnresolved?: boolean;
  /** Overrides of `DEFAULT_LIMITS`. */
  readonly limits?: Partial<EvaluationLimits>;
}

/** The limits in force for a context: its overrides on top of the defaults. */
export function resolveLimits(limits: Partial<EvaluationLimits> | undefined): EvaluationLimits {
  return limits === undefined ? DEFAULT_LIMITS : { ...DEFAULT_LIMITS, ...limits };
}
