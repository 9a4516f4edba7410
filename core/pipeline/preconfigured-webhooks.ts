/**
 * Preconfigured webhooks (Orca's `webhook.preconfigured`, Deck's custom webhook stages): named
 * webhooks an operator configures once, each a stage type of its own. A pipeline stage whose
 * `type` is a configured webhook's `type` is a `webhook` stage with the configured fields, which
 * the stage cannot change (Orca's PreconfiguredWebhookStage sets each configured field over the
 * stage's), plus the stage's `parameterValues` for the webhook's declared `parameters`.
 *
 * `${parameterValues.name}` (or `${parameterValues['name']}`) in a configured field is replaced
 * by the stage's value for that parameter, else its default, when the pipeline is saved; a value
 * that is itself an expression is evaluated when the stage runs, as any webhook field.
 *
 * The pipeline as written keeps its stage types (so it goes back to Spinnaker unchanged); the
 * saved version runs the expansion (the execution service keeps both, as for templates). Pure.
 */
import { pointerJoin, type ValidationIssue } from '../issues.ts';

/** One parameter a preconfigured webhook declares. */
export interface PreconfiguredWebhookParameter {
  readonly name: string;
  readonly label?: string;
  readonly description?: string;
  readonly type?: string;
  readonly defaultValue?: string;
}

/** One preconfigured webhook: the stage type it defines, how Deck shows it, and the webhook stage fields it fixes. */
export interface PreconfiguredWebhook {
  readonly type: string;
  readonly label: string;
  readonly description?: string;
  readonly parameters: readonly PreconfiguredWebhookParameter[];
  /** The webhook stage fields it fixes (url, method, customHeaders, payload, waitForCompletion, status fields...). */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** The webhook stage fields a preconfigured webhook may fix (Orca's WebhookProperties.PreconfiguredWebhook). */
export const PRECONFIGURABLE_FIELDS = [
  'url', 'method', 'customHeaders', 'payload', 'failFastStatusCodes', 'waitForCompletion', 'statusUrlResolution', 'statusUrlJsonPath', 'waitBeforeMonitor',
  'statusJsonPath', 'progressJsonPath', 'successStatuses', 'canceledStatuses', 'terminalStatuses', 'signalCancellation', 'cancelEndpoint', 'cancelMethod', 'cancelPayload',
  'retryStatusCodes', 'monitorOnly',
] as const;

const TYPE = /^[A-Za-z][A-Za-z0-9_-]{0,99}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The preconfigured webhooks of a configuration document (`{"preconfigured": [...]}`, or the list
 * alone), or every problem, one line each naming the field, the value and the fix.
 */
export function parsePreconfiguredWebhooks(document: unknown, source: string): { readonly ok: true; readonly webhooks: readonly PreconfiguredWebhook[] } | { readonly ok: false; readonly problems: readonly string[] } {
  const list = Array.isArray(document) ? document : isObject(document) ? document['preconfigured'] : undefined;
  if (!Array.isArray(list)) return { ok: false, problems: [`${source}: expected {"preconfigured": [ {"type", "label", "url", ...} ]}, got ${JSON.stringify(document)?.slice(0, 80)}`] };
  const problems: string[] = [];
  const webhooks: PreconfiguredWebhook[] = [];
  const seen = new Set<string>();
  list.forEach((entry, index) => {
    const at = `${source}: preconfigured[${index}]`;
    if (!isObject(entry)) return void problems.push(`${at} is ${JSON.stringify(entry)}, not an object; give {"type", "label", "url", ...}`);
    const type = entry['type'];
    if (typeof type !== 'string' || !TYPE.test(type)) return void problems.push(`${at}.type is ${JSON.stringify(type)}; give the stage type it defines, a name of letters, digits, '-' and '_' starting with a letter, e.g. "deployHook"`);
    if (type === 'webhook' || type === 'preconfiguredWebhook') return void problems.push(`${at}.type is '${type}', a stage type of its own; choose another name, e.g. "${type}Custom"`);
    if (seen.has(type)) return void problems.push(`${at}.type '${type}' is configured twice; give each webhook its own type`);
    seen.add(type);
    if (typeof entry['url'] !== 'string' || entry['url'] === '') return void problems.push(`${at}.url is ${JSON.stringify(entry['url'])}; give the URL the stage calls, e.g. "https://deploy.example.com/hooks/\${parameterValues.env}"`);
    const parameters: PreconfiguredWebhookParameter[] = [];
    const rawParameters = entry['parameters'] ?? [];
    if (!Array.isArray(rawParameters)) return void problems.push(`${at}.parameters is ${JSON.stringify(rawParameters)}; give a list of {"name", "label", "defaultValue"}`);
    for (const [position, parameter] of rawParameters.entries()) {
      if (!isObject(parameter) || typeof parameter['name'] !== 'string' || parameter['name'] === '') {
        problems.push(`${at}.parameters[${position}] is ${JSON.stringify(parameter)}; give {"name": "env", "label": "Environment", "defaultValue": "prod"}`);
        continue;
      }
      parameters.push({
        name: parameter['name'],
        ...(typeof parameter['label'] === 'string' ? { label: parameter['label'] } : {}),
        ...(typeof parameter['description'] === 'string' ? { description: parameter['description'] } : {}),
        ...(typeof parameter['type'] === 'string' ? { type: parameter['type'] } : {}),
        ...(parameter['defaultValue'] !== undefined && parameter['defaultValue'] !== null ? { defaultValue: String(parameter['defaultValue']) } : {}),
      });
    }
    const fields: Record<string, unknown> = {};
    for (const field of PRECONFIGURABLE_FIELDS) if (entry[field] !== undefined && entry[field] !== null) fields[field] = entry[field];
    webhooks.push({ type, label: typeof entry['label'] === 'string' ? entry['label'] : type, ...(typeof entry['description'] === 'string' ? { description: entry['description'] } : {}), parameters, fields });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, webhooks };
}

/** Whether a pipeline document has a stage of a configured webhook's type. */
export function hasPreconfiguredStages(config: unknown, webhooks: readonly PreconfiguredWebhook[]): boolean {
  if (webhooks.length === 0 || !isObject(config) || !Array.isArray(config['stages'])) return false;
  const types = new Set(webhooks.map((webhook) => webhook.type));
  return config['stages'].some((stage) => isObject(stage) && typeof stage['type'] === 'string' && types.has(stage['type']));
}

/** `${parameterValues.x}` and `${parameterValues['x']}` in every string of `value`, replaced by `values[x]`. */
function substitute(value: unknown, values: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{\s*parameterValues(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\])\s*\}/g, (whole, dotted: string | undefined, single: string | undefined, double: string | undefined) => {
      const name = dotted ?? single ?? double ?? '';
      return Object.hasOwn(values, name) ? values[name]! : whole;
    });
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, values));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, values)]));
  return value;
}

/**
 * The pipeline with each stage of a configured webhook's type written as the `webhook` stage it
 * is (the configured fields over the stage's, `preconfiguredWebhookType` naming it), and the
 * problems: a `parameterValues` that is not an object of texts, a value for an undeclared parameter.
 */
export function expandPreconfiguredWebhooks(config: Readonly<Record<string, unknown>>, webhooks: readonly PreconfiguredWebhook[]): { readonly config: Record<string, unknown>; readonly issues: readonly ValidationIssue[] } {
  const byType = new Map(webhooks.map((webhook) => [webhook.type, webhook]));
  const issues: ValidationIssue[] = [];
  const stages = Array.isArray(config['stages']) ? config['stages'] : [];
  const expanded = stages.map((stage, index) => {
    if (!isObject(stage) || typeof stage['type'] !== 'string') return stage;
    const webhook = byType.get(stage['type']);
    if (!webhook) return stage;
    const at = pointerJoin('/stages', index, 'parameterValues');
    const given = stage['parameterValues'] ?? {};
    const values: Record<string, string> = {};
    for (const parameter of webhook.parameters) if (parameter.defaultValue !== undefined) values[parameter.name] = parameter.defaultValue;
    if (!isObject(given)) {
      issues.push({ pointer: at, code: 'wrong-type', severity: 'error', message: `parameterValues of a '${webhook.type}' stage is ${JSON.stringify(given)}; give an object of the webhook's parameters, e.g. {"${webhook.parameters[0]?.name ?? 'env'}": "prod"}`, value: given });
    } else {
      for (const [name, value] of Object.entries(given)) {
        if (!webhook.parameters.some((parameter) => parameter.name === name)) {
          issues.push({ pointer: pointerJoin(at, name), code: 'invalid-value', severity: 'error', message: `'${webhook.type}' declares no parameter '${name}'; its parameters: ${webhook.parameters.map((parameter) => parameter.name).join(', ') || 'none'}`, value });
          continue;
        }
        if (value !== null && value !== undefined) values[name] = typeof value === 'string' ? value : JSON.stringify(value);
      }
    }
    return { ...stage, ...(substitute(webhook.fields, values) as Record<string, unknown>), type: 'webhook', preconfiguredWebhookType: webhook.type };
  });
  return { config: { ...config, stages: expanded }, issues };
}

/** The webhooks as Gate lists them (`GET /webhooks/preconfigured`): what Deck needs to offer each as a stage. */
export function preconfiguredWebhookListing(webhooks: readonly PreconfiguredWebhook[]): Record<string, unknown>[] {
  return webhooks.map((webhook) => ({
    type: webhook.type,
    label: webhook.label,
    ...(webhook.description !== undefined ? { description: webhook.description } : {}),
    waitForCompletion: webhook.fields['waitForCompletion'] === true,
    // The stage cannot change these: Deck shows them read-only.
    preconfiguredProperties: Object.keys(webhook.fields),
    noUserConfigurableFields: true,
    parameters: webhook.parameters,
  }));
}
