/**
 * Secret values of an execution, redacted by value wherever the execution is shown (the API,
 * the CLI, canary reports): the values of parameters whose `parameterConfig` entry says
 * `"secret": true`, and the environment of `runJob` stages. Each is replaced by `******` where
 * it stands (the parameter, every `env` entry), and wherever else its text appears (stage
 * contexts and outputs evaluated from it, a job's output in a failure message, a property file)
 * for secret parameters and for `env` entries whose names look secret (`API_TOKEN`,
 * `DB_PASSWORD`...). Other `env` values (`LOG_LEVEL=info`, `NAME=migrate`) are configuration:
 * replacing every "info" in an execution would hide it without hiding anything.
 *
 * The execution record keeps the values: the stages need them to run. Which parameters are
 * secret is recorded with the execution (`trigger.secretParameters`, written by the execution
 * service at start), so a later change of the pipeline does not reveal an older run.
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

/** Environment names whose values are secrets: the names webhook headers are redacted by (core/stages/webhook.ts), and PASS, PAT, DSN. */
export function isSecretName(name: string): boolean {
  return /authorization|cookie|token|secret|key|password|passwd|passphrase|pass\b|_pat\b|dsn|credential|signature|session|private/i.test(name);
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

/** A replacer of the given secret values inside any JSON value (longest first, so no secret leaves part of itself). */
export function createRedactor(secrets: readonly string[]): <T>(value: T) => T {
  const inText = [...new Set(secrets.filter((secret) => secret.length >= MIN_REDACTED_LENGTH))].sort((a, b) => b.length - a.length);
  const text = (value: string): string => {
    let out = value;
    for (const secret of inText) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return text(value);
    if (typeof value === 'number' && inText.includes(String(value))) return REDACTED;
    if (Array.isArray(value)) return value.map(walk);
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item)]));
    return value;
  };
  return <T>(value: T): T => (inText.length === 0 ? value : (walk(value) as T));
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
  const hasJobEnv = execution.stages.some((stage) => stage.type === 'runJob' && isObject(stage.context.env) && Object.keys(stage.context.env).length > 0);
  if (secrets.length === 0 && !hasJobEnv) return execution;
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
