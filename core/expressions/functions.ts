/**
 * The helper functions of Spinnaker §1.9 (`#stage`, `#judgment`, `#toJson`, `#pipelineId`...).
 * They read the execution view and the root variables as data and reach outside only through
 * the hooks of the context (pipeline lookup, URL fetcher), whose answers are checked and whose
 * exceptions become failures. Messages say which call failed and what was available.
 */
import { decodeBase64, decodeUtf8, encodeBase64, encodeUtf8 } from './base64.ts';
import { charge, chargeString, createTextBuilder, ExpressionFailure, type Budget } from './budget.ts';
import type { ExecutionView, StageView } from './context.ts';
import { parseJavaDouble, parseJavaInteger, textArgument } from './conversions.ts';
import type { Evaluation } from './evaluator.ts';
import { parseProperties } from './properties.ts';
import {
  createMap,
  importParsed,
  integerString,
  isDataList,
  isDataMap,
  isDoubleValue,
  isNumber,
  javaDoubleString,
  JavaDate,
  listGet,
  makeNumber,
  mapGet,
  mapKeys,
  normalizeRead,
  numberValue,
  readOwn,
  typeName,
  type DataMap,
} from './values.ts';
import { readYamlText } from './yaml-reader.ts';

/** Calls helper `#name(args)`; the parser has already checked the name and the argument count. */
export function callHelper(name: string, args: readonly unknown[], ev: Evaluation): unknown {
  charge(ev.budget);
  const budget = ev.budget;
  const text = (index: number): string => textArgument(args[index] ?? null, `#${name}()`, budget);
  switch (name) {
    case 'stage': {
      const stageName = text(0);
      const stage = stagesOf(ev, name).find((s) => s.name === stageName);
      if (stage === undefined) throw new ExpressionFailure(`#stage('${stageName}'): no stage named '${stageName}' in this execution${stageNames(ev)}`);
      return normalizeRead(stage, `#stage('${stageName}')`);
    }
    case 'stageByRefId': {
      const refId = text(0);
      const stage = stagesOf(ev, name).find((s) => String(s.refId) === refId);
      if (stage === undefined) throw new ExpressionFailure(`#stageByRefId('${refId}'): no stage with refId '${refId}' in this execution`);
      return normalizeRead(stage, `#stageByRefId('${refId}')`);
    }
    case 'stageExists': {
      const nameOrId = text(0);
      return stagesOf(ev, name).some((s) => s.name === nameOrId || s.id === nameOrId);
    }
    case 'currentStage': {
      const id = ev.ctx.currentStageId;
      if (id === undefined) throw new ExpressionFailure('#currentStage(): this evaluation is not running inside a stage');
      const stage = stagesOf(ev, name).find((s) => s.id === id);
      if (stage === undefined) throw new ExpressionFailure(`#currentStage(): stage '${id}' is not part of the execution`);
      return normalizeRead(stage, '#currentStage()');
    }
    case 'judgment':
    case 'judgement':
      return judgment(name, text(0), ev);
    case 'deployedServerGroups':
      return deployedServerGroups(args.map((_, i) => text(i)), ev);
    case 'toJson':
      return toJsonText(args[0] ?? null, budget);
    case 'readJson':
      return parseJsonText(text(0), `#readJson()`, budget);
    case 'readYaml':
    case 'readAllYaml':
      return parseYaml(text(0), name === 'readAllYaml', `#${name}()`, budget);
    case 'fromUrl':
    case 'jsonFromUrl':
    case 'yamlFromUrl':
    case 'propertiesFromUrl': {
      const url = text(0);
      const body = fetchUrl(name, url, ev);
      if (name === 'fromUrl') return body;
      if (name === 'jsonFromUrl') return parseJsonText(body, `#jsonFromUrl('${url}')`, budget);
      if (name === 'yamlFromUrl') return parseYaml(body, false, `#yamlFromUrl('${url}')`, budget);
      charge(budget, body.length / 64);
      return createMap(parseProperties(body));
    }
    case 'toInt': {
      const value = text(0);
      const parsed = parseJavaInteger(value, 32);
      if (parsed === undefined) throw new ExpressionFailure(`#toInt('${value}'): not an integer`);
      return parsed;
    }
    case 'toFloat': {
      const value = text(0);
      const parsed = parseJavaDouble(value);
      if (parsed === undefined) throw new ExpressionFailure(`#toFloat('${value}'): not a number`);
      return makeNumber(parsed, true);
    }
    case 'toBoolean':
      return args[0] === null || args[0] === undefined ? false : text(0).toLowerCase() === 'true';
    case 'toBase64': {
      const value = text(0);
      charge(budget, value.length / 64);
      const bytes = encodeUtf8(value);
      chargeString(budget, Math.ceil(bytes.length / 3) * 4);
      return encodeBase64(bytes);
    }
    case 'fromBase64': {
      const value = text(0);
      charge(budget, value.length / 64);
      const bytes = decodeBase64(value);
      if (typeof bytes === 'string') throw new ExpressionFailure(`#fromBase64(): the text is not Base64: ${bytes}`);
      chargeString(budget, bytes.length);
      return decodeUtf8(bytes);
    }
    case 'alphanumerical': {
      const value = text(0);
      chargeString(budget, value.length);
      return value.replace(/[^A-Za-z0-9]/g, '');
    }
    case 'pipelineId':
    case 'pipelineIdOrNull': {
      const pipeline = text(0);
      const application = ev.ctx.execution?.application;
      const id = lookupPipeline(name, pipeline, application, ev);
      if (id !== undefined) return id;
      if (name === 'pipelineIdOrNull') return null;
      throw new ExpressionFailure(`#pipelineId('${pipeline}'): no pipeline named '${pipeline}'${application === undefined ? '' : ` in application '${application}'`}`);
    }
    case 'pipelineIdInApplication': {
      const pipeline = text(0);
      const application = text(1);
      const id = lookupPipeline(name, pipeline, application, ev);
      if (id === undefined) {
        throw new ExpressionFailure(`#pipelineIdInApplication('${pipeline}', '${application}'): no pipeline named '${pipeline}' in application '${application}'`);
      }
      return id;
    }
    case 'triggerResolvedArtifact':
    case 'triggerResolvedArtifactByType':
      return triggerResolvedArtifact(name, text(0), ev);
    case 'doNotEval':
      return args[0] ?? null;
    case 'currentUser':
      return currentUser(ev);
    case 'secret': {
      const secretName = text(0);
      if (ev.ctx.secrets === undefined) throw new ExpressionFailure(`#secret('${secretName}'): secrets are read only when a stage runs`);
      const read = ev.ctx.secrets(secretName);
      if (!read.ok) throw new ExpressionFailure(read.message);
      chargeString(budget, read.value.length);
      return read.value;
    }
    default:
      throw new ExpressionFailure(`unknown function #${name}()`);
  }
}

function stagesOf(ev: Evaluation, fn: string): readonly StageView[] {
  const execution: ExecutionView | undefined = ev.ctx.execution;
  if (execution === undefined) throw new ExpressionFailure(`#${fn}() needs the execution, and this evaluation has none`);
  charge(ev.budget, execution.stages.length);
  return execution.stages;
}

function stageNames(ev: Evaluation): string {
  const names = (ev.ctx.execution?.stages ?? []).map((s) => `'${s.name}'`);
  if (names.length === 0) return '';
  return `; stages: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}`;
}

/** Spinnaker's `#judgment`: the `judgmentInput` of the manual judgment stage with that exact name. */
function judgment(fn: string, stageName: string, ev: Evaluation): unknown {
  for (const stage of stagesOf(ev, fn)) {
    if (stage.name !== stageName || stage.type !== 'manualJudgment' || !isDataMap(stage.context)) continue;
    const input = readOwn(stage.context, 'judgmentInput');
    if (input.found && input.value !== null && input.value !== undefined) return normalizeRead(input.value, `#${fn}('${stageName}')`);
  }
  throw new ExpressionFailure(`#${fn}('${stageName}'): no manual judgment stage named '${stageName}' with a judgment input in this execution`);
}

/**
 * Server groups deployed by SUCCEEDED stages (all, or those named or id'd in the arguments):
 * each stage's `outputs.deployedServerGroups` list, or else its `context['deploy.server.groups']`
 * (region → names) turned into `{account, region, serverGroup}`.
 */
function deployedServerGroups(ids: readonly string[], ev: Evaluation): unknown[] {
  const found: unknown[] = [];
  for (const stage of stagesOf(ev, 'deployedServerGroups')) {
    if (stage.status !== 'SUCCEEDED') continue;
    if (ids.length > 0 && !ids.includes(stage.name) && !ids.includes(stage.id)) continue;
    const where = `stage '${stage.name}'`;
    const outputs = isDataMap(stage.outputs) ? mapGet(stage.outputs, 'deployedServerGroups', where).value : null;
    if (isDataList(outputs)) {
      for (let i = 0; i < outputs.length; i++) found.push(listGet(outputs, i, where));
      continue;
    }
    const context = isDataMap(stage.context) ? stage.context : undefined;
    const byRegion = context === undefined ? null : mapGet(context, 'deploy.server.groups', where).value;
    if (context === undefined || !isDataMap(byRegion)) continue;
    const account = mapGet(context, 'account', where).value ?? mapGet(context, 'credentials', where).value;
    for (const region of mapKeys(byRegion)) {
      const names = mapGet(byRegion, region, where).value;
      if (!isDataList(names)) continue;
      for (let i = 0; i < names.length; i++) {
        charge(ev.budget);
        found.push(createMap([['account', account], ['region', region], ['serverGroup', listGet(names, i, where)]]));
      }
    }
  }
  return found;
}

function lookupPipeline(fn: string, pipeline: string, application: string | undefined, ev: Evaluation): string | undefined {
  const lookup = ev.ctx.pipelineIdLookup;
  if (lookup === undefined) throw new ExpressionFailure(`#${fn}() needs a pipeline lookup, and none is configured`);
  let id: unknown;
  try {
    id = lookup(pipeline, application);
  } catch (error) {
    throw new ExpressionFailure(`#${fn}('${pipeline}'): the pipeline lookup failed: ${errorText(error)}`);
  }
  if (id === undefined || id === null) return undefined;
  if (typeof id !== 'string') throw new ExpressionFailure(`#${fn}('${pipeline}'): the pipeline lookup returned ${typeof id}, not an id`);
  return id;
}

function fetchUrl(fn: string, url: string, ev: Evaluation): string {
  const fetcher = ev.ctx.urlFetcher;
  if (fetcher === undefined) {
    throw new ExpressionFailure(`#${fn}() is disabled: URL helpers need an allowlist-backed URL fetcher, and none is configured`);
  }
  let result: unknown;
  try {
    result = fetcher(url);
  } catch (error) {
    throw new ExpressionFailure(`#${fn}('${url}') failed: ${errorText(error)}`);
  }
  if (!isDataMap(result)) throw new ExpressionFailure(`#${fn}('${url}'): the URL fetcher returned no answer`);
  const ok = readOwn(result, 'ok').value;
  if (ok === true) {
    const body = readOwn(result, 'body').value;
    if (typeof body !== 'string') throw new ExpressionFailure(`#${fn}('${url}'): the URL fetcher returned no body`);
    chargeString(ev.budget, body.length);
    return body;
  }
  const message = readOwn(result, 'message').value;
  throw new ExpressionFailure(`#${fn}('${url}'): ${typeof message === 'string' ? message : 'refused'}`);
}

/**
 * `#triggerResolvedArtifact(name)` / `...ByType(type)`: the bound artifact of the first resolved
 * expected artifact with that name or type, from the trigger (Orca's rule); then, so that what a
 * `findArtifactFromExecution` stage bound is reachable the same way, from the
 * `resolvedExpectedArtifacts` the stage sees from its ancestors' outputs (the nearest one's).
 */
function triggerResolvedArtifact(fn: string, wanted: string, ev: Evaluation): unknown {
  const field = fn === 'triggerResolvedArtifact' ? 'name' : 'type';
  const trigger = triggerOf(ev);
  const variables = ev.ctx.variables;
  const lists = [
    trigger === undefined ? null : mapGet(trigger, 'resolvedExpectedArtifacts', 'the trigger').value,
    isDataMap(variables) ? readOwn(variables, 'resolvedExpectedArtifacts').value : null,
  ];
  for (const expected of lists) {
    if (!isDataList(expected)) continue;
    for (let i = 0; i < expected.length; i++) {
      charge(ev.budget);
      const artifact = listGet(expected, i, 'resolvedExpectedArtifacts');
      const bound = isDataMap(artifact) ? mapGet(artifact, 'boundArtifact', 'a resolved expected artifact').value : null;
      if (isDataMap(bound) && mapGet(bound, field, 'a bound artifact').value === wanted) return bound;
    }
  }
  throw new ExpressionFailure(`#${fn}('${wanted}'): no resolved artifact with ${field} '${wanted}' in the trigger or in what earlier stages bound`);
}

function triggerOf(ev: Evaluation): DataMap | undefined {
  const fromExecution = ev.ctx.execution?.trigger;
  if (fromExecution !== undefined && isDataMap(fromExecution)) return fromExecution;
  const variables = ev.ctx.variables;
  const fromVariables = isDataMap(variables) ? readOwn(variables, 'trigger').value : undefined;
  return isDataMap(fromVariables) ? fromVariables : undefined;
}

/** The authenticated user of the execution, else the trigger's user, else `anonymous` (Spinnaker's default). */
function currentUser(ev: Evaluation): string {
  const user = ev.ctx.execution?.authentication?.user;
  if (typeof user === 'string' && user !== '') return user;
  const trigger = triggerOf(ev);
  const triggerUser = trigger === undefined ? null : readOwn(trigger, 'user').value;
  return typeof triggerUser === 'string' && triggerUser !== '' ? triggerUser : 'anonymous';
}

/** Jackson's compact JSON: ints as ints, doubles as Java prints them (`1.0`), dates as epoch millis. */
function toJsonText(value: unknown, budget: Budget): string {
  const out = createTextBuilder(budget);
  const push = (text: string): void => out.push(text);
  const write = (item: unknown, depth: number): void => {
    charge(budget);
    if (depth > budget.limits.maxDataDepth) throw new ExpressionFailure(`#toJson(): data nested deeper than ${budget.limits.maxDataDepth} levels`);
    if (item === null || item === undefined) push('null');
    else if (typeof item === 'string') push(JSON.stringify(item));
    else if (typeof item === 'boolean') push(String(item));
    else if (isNumber(item)) {
      const n = numberValue(item);
      if (!Number.isFinite(n)) push(JSON.stringify(javaDoubleString(n)));
      else push(isDoubleValue(item) ? javaDoubleString(n) : integerString(n));
    } else if (item instanceof JavaDate) push(integerString(item.millis));
    else if (isDataList(item)) {
      push('[');
      for (let i = 0; i < item.length; i++) {
        if (i > 0) push(',');
        write(listGet(item, i, 'a list element'), depth + 1);
      }
      push(']');
    } else if (isDataMap(item)) {
      push('{');
      let first = true;
      for (const key of mapKeys(item)) {
        if (!first) push(',');
        first = false;
        push(`${JSON.stringify(key)}:`);
        write(mapGet(item, key, `key '${key}'`).value, depth + 1);
      }
      push('}');
    } else throw new ExpressionFailure(`#toJson(): cannot serialize ${typeName(item)}`);
  };
  write(value, 0);
  return out.build();
}

function parseJsonText(text: string, what: string, budget: Budget): unknown {
  chargeString(budget, text.length);
  charge(budget, text.length / 64);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    throw new ExpressionFailure(`${what}: the text is not valid JSON (${errorText(error)})`);
  }
  return importParsed(parsed, budget);
}

function parseYaml(text: string, all: boolean, what: string, budget: Budget): unknown {
  chargeString(budget, text.length);
  charge(budget, text.length / 16);
  const read = readYamlText(text, all);
  if (!read.ok) throw new ExpressionFailure(`${what}: the text is not valid YAML (${read.message})`);
  return importParsed(read.value, budget);
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? 'error';
  return typeof error === 'string' ? error : 'error';
}
