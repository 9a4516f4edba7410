/**
 * Label and field selectors as the API server evaluates them: the string syntax of
 * `?labelSelector=` (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`, `!a`), the object
 * form of `spec.selector` (`matchLabels` and `matchExpressions`), and `?fieldSelector=`.
 */
import { badRequest } from './status.ts';

export type Labels = Readonly<Record<string, string>>;

/** One requirement of a selector. */
export interface Requirement {
  readonly key: string;
  readonly op: 'in' | 'notin' | 'exists' | '!exists';
  readonly values: readonly string[];
}

/** A parsed selector: every requirement must hold (an empty selector selects everything). */
export type Selector = readonly Requirement[];

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function checkKey(key: string, whole: string): string {
  if (!KEY.test(key) || key.length > 316) throw badRequest(`unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (in selector "${whole}")`);
  return key;
}

function checkValue(value: string, whole: string): string {
  if (!VALUE.test(value) || value.length > 63) throw badRequest(`unable to parse requirement: invalid label value: "${value}": at key: must be no more than 63 characters and consist of alphanumerics, '-', '_' or '.' (in selector "${whole}")`);
  return value;
}

/** Parses `?labelSelector=`; a syntax error is the API server's 400 BadRequest. */
export function parseLabelSelector(text: string): Selector {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  return splitTopLevel(trimmed).map((raw): Requirement => {
    const part = raw.trim();
    if (part === '') throw badRequest(`unable to parse requirement: found '', expected: identifier (in selector "${text}")`);
    const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    if (set) {
      const values = set[3]!.split(',').map((v) => checkValue(v.trim(), text));
      return { key: checkKey(set[1]!, text), op: set[2] as 'in' | 'notin', values };
    }
    const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (cmp) {
      const key = checkKey(cmp[1]!, text);
      const value = checkValue(cmp[3]!, text);
      return { key, op: cmp[2] === '!=' ? 'notin' : 'in', values: [value] };
    }
    if (part.startsWith('!')) return { key: checkKey(part.slice(1).trim(), text), op: '!exists', values: [] };
    if (/^\S+$/.test(part)) return { key: checkKey(part, text), op: 'exists', values: [] };
    throw badRequest(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt (in selector "${text}")`);
  });
}

/** A `spec.selector` object (`matchLabels`, `matchExpressions`) as requirements; undefined when malformed. */
export function selectorFromObject(value: unknown): Selector | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const object = value as { matchLabels?: unknown; matchExpressions?: unknown };
  const out: Requirement[] = [];
  if (object.matchLabels !== undefined) {
    if (typeof object.matchLabels !== 'object' || object.matchLabels === null) return undefined;
    for (const [key, v] of Object.entries(object.matchLabels as Record<string, unknown>)) out.push({ key, op: 'in', values: [String(v)] });
  }
  if (object.matchExpressions !== undefined) {
    if (!Array.isArray(object.matchExpressions)) return undefined;
    for (const e of object.matchExpressions as { key?: unknown; operator?: unknown; values?: unknown }[]) {
      const key = String(e.key ?? '');
      const values = Array.isArray(e.values) ? e.values.map(String) : [];
      if (e.operator === 'In') out.push({ key, op: 'in', values });
      else if (e.operator === 'NotIn') out.push({ key, op: 'notin', values });
      else if (e.operator === 'Exists') out.push({ key, op: 'exists', values: [] });
      else if (e.operator === 'DoesNotExist') out.push({ key, op: '!exists', values: [] });
      else return undefined;
    }
  }
  return out;
}

/** A plain `key: value` map (a Service's `spec.selector`) as requirements. */
export function selectorFromMap(map: Labels): Selector {
  return Object.entries(map).map(([key, value]) => ({ key, op: 'in', values: [value] }));
}

/** Whether labels satisfy every requirement. */
export function matches(selector: Selector, labels: Labels | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
      case 'exists':
        return has;
      case '!exists':
        return !has;
    }
  });
}

/** The selector as the string `/scale` reports in `status.selector` (`app=web,tier in (a,b)`). */
export function selectorToString(selector: Selector): string {
  return selector
    .map((r) => {
      if (r.op === 'exists') return r.key;
      if (r.op === '!exists') return `!${r.key}`;
      if (r.op === 'in' && r.values.length === 1) return `${r.key}=${r.values[0]}`;
      return `${r.key} ${r.op} (${[...r.values].sort().join(',')})`;
    })
    .join(',');
}

/** One `?fieldSelector=` term. */
export interface FieldRequirement {
  readonly field: string;
  readonly value: string;
  readonly equal: boolean;
}

/** Fields each resource can be filtered on beside `metadata.name` and `metadata.namespace` (the API server's field label conversions). */
const EXTRA_FIELDS: Record<string, readonly string[]> = {
  pods: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  secrets: ['type'],
  namespaces: ['status.phase'],
  replicasets: ['status.replicas'],
  jobs: ['status.successful'],
};

/** Parses `?fieldSelector=` for a resource; an unsupported field is the API server's 400. */
export function parseFieldSelector(text: string, plural: string): readonly FieldRequirement[] {
  if (text.trim() === '') return [];
  return text.split(',').map((raw) => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(raw);
    if (!m) throw badRequest(`invalid field selector "${text}": expected <field>=<value>, <field>==<value> or <field>!=<value>`);
    const field = m[1]!;
    if (field !== 'metadata.name' && field !== 'metadata.namespace' && !(EXTRA_FIELDS[plural] ?? []).includes(field)) throw badRequest(`field label not supported: ${field}`);
    return { field, value: m[3]!, equal: m[2] !== '!=' };
  });
}

/** Whether an object satisfies every field requirement. */
export function matchesFields(requirements: readonly FieldRequirement[], object: Record<string, unknown>): boolean {
  return requirements.every((r) => {
    let value: unknown = object;
    for (const part of r.field.split('.')) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
    const text = value === undefined || value === null ? '' : String(value);
    return r.equal ? text === r.value : text !== r.value;
  });
}
