/**
 * Names the parser checks statically: the helper functions (`#name(...)`) with their argument
 * counts, Spinnaker helpers Gennaker deliberately does not offer, and the tiny allowlist of
 * Java types. An expression naming anything else can never evaluate, so validation reports it
 * as a syntax error before the pipeline runs.
 */

/** How many arguments a function or method takes. */
export interface Arity {
  readonly min: number;
  /** Infinity for varargs. */
  readonly max: number;
}

const exactly = (n: number): Arity => ({ min: n, max: n });

/** Helper functions of Spinnaker §1.9 that Gennaker implements. */
export const HELPER_FUNCTIONS: ReadonlyMap<string, Arity> = new Map<string, Arity>([
  ['stage', exactly(1)],
  ['stageByRefId', exactly(1)],
  ['stageExists', exactly(1)],
  ['currentStage', exactly(0)],
  ['judgment', exactly(1)],
  ['judgement', exactly(1)],
  ['deployedServerGroups', { min: 0, max: Infinity }],
  ['toJson', exactly(1)],
  ['readJson', exactly(1)],
  ['readYaml', exactly(1)],
  ['readAllYaml', exactly(1)],
  ['fromUrl', exactly(1)],
  ['jsonFromUrl', exactly(1)],
  ['yamlFromUrl', exactly(1)],
  ['propertiesFromUrl', exactly(1)],
  ['toInt', exactly(1)],
  ['toFloat', exactly(1)],
  ['toBoolean', exactly(1)],
  ['toBase64', exactly(1)],
  ['fromBase64', exactly(1)],
  ['alphanumerical', exactly(1)],
  ['pipelineId', exactly(1)],
  ['pipelineIdOrNull', exactly(1)],
  ['pipelineIdInApplication', exactly(2)],
  ['triggerResolvedArtifact', exactly(1)],
  ['triggerResolvedArtifactByType', exactly(1)],
  ['doNotEval', exactly(1)],
  ['currentUser', exactly(0)],
  // Gennaker's own: a named secret, read when the stage runs and never stored.
  ['secret', exactly(1)],
]);

/** Spinnaker helpers that need services Gennaker does not have (Clouddriver manifests, Cloud Foundry, Front50 metadata...). */
export const UNSUPPORTED_HELPERS: ReadonlySet<string> = new Set([
  'manifestLabelValue',
  'applicationMetadata',
  'fetchReference',
  'cfServiceKey',
  'canaryConfigNameToId',
  'resolvedArtifacts',
]);

/** Static methods callable through `T(...)`, by canonical class name, with their argument counts. */
export const ALLOWED_STATIC_METHODS: ReadonlyMap<string, ReadonlyMap<string, Arity>> = new Map<string, ReadonlyMap<string, Arity>>([
  [
    'java.lang.Math',
    new Map([
      ['abs', exactly(1)],
      ['max', exactly(2)],
      ['min', exactly(2)],
      ['floor', exactly(1)],
      ['ceil', exactly(1)],
      ['round', exactly(1)],
      ['pow', exactly(2)],
      ['sqrt', exactly(1)],
    ]),
  ],
  ['java.lang.Integer', new Map([['parseInt', exactly(1)], ['valueOf', exactly(1)]])],
  ['java.lang.Long', new Map([['parseLong', exactly(1)], ['valueOf', exactly(1)]])],
  ['java.lang.Double', new Map([['parseDouble', exactly(1)], ['valueOf', exactly(1)]])],
  ['java.lang.Boolean', new Map([['parseBoolean', exactly(1)], ['valueOf', exactly(1)]])],
  ['java.lang.String', new Map([['valueOf', exactly(1)], ['join', { min: 2, max: Infinity }]])],
  ['java.util.UUID', new Map([['randomUUID', exactly(0)]])],
  ['java.net.URLEncoder', new Map([['encode', { min: 1, max: 2 }]])],
]);

/** Classes `new` may construct, with constructor argument counts. */
export const ALLOWED_CONSTRUCTORS: ReadonlyMap<string, Arity> = new Map([['java.util.Date', { min: 0, max: 1 }]]);

/** SpEL's type locator: an unqualified name means `java.lang.<name>`. */
export function canonicalClassName(name: string): string {
  return name.includes('.') ? name : `java.lang.${name}`;
}

/** The allowlist, as the refusal message shows it. */
export function allowedTypesText(): string {
  const types = [...ALLOWED_STATIC_METHODS.keys()].map((name) => `T(${name})`);
  return [...types, 'new java.util.Date()'].join(', ');
}

/** Formats an arity for messages: `1 argument`, `1 or 2 arguments`, `at least 2 arguments`. */
export function arityText(arity: Arity): string {
  const plural = (n: number): string => `${n} argument${n === 1 ? '' : 's'}`;
  if (arity.max === Infinity) return arity.min === 0 ? 'any number of arguments' : `at least ${plural(arity.min)}`;
  if (arity.min === arity.max) return plural(arity.min);
  return `${arity.min} to ${plural(arity.max)}`;
}
