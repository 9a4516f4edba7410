/**
 * The two XML query protocols AWS speaks: `awsQuery` (Auto Scaling, ELBv2, STS) and `ec2Query`
 * (EC2). Both send a form-encoded body (`Action=…&Version=…&Name.member.N=…`); they differ in
 * list naming on the way in and in the envelope on the way out (reference cloud-targets §2.3):
 *
 * - awsQuery: lists are `Name.member.N`; answers are `<XResponse xmlns><XResult>…</XResult>
 *   <ResponseMetadata><RequestId>` with UpperCamel members and `<member>` items; errors are
 *   `<ErrorResponse><Error><Type><Code><Message></Error><RequestId>`.
 * - ec2Query: lists are `Name.N`; answers have no Result wrapper, a leading `<requestId>`,
 *   lowerCamel members and `<item>` items; errors are `<Response><Errors><Error>…</Errors><RequestID>`.
 */
import type { SimRequest, SimResponse } from './service.ts';

/** A decoded form: nested by the dots of its keys (`Tags.member.1.Key` → Tags → member → 1 → Key). */
export interface QueryNode {
  [key: string]: QueryNode | string;
}

/** The parameters of a query request: the form body merged over the query string. */
export function queryParams(req: SimRequest): Record<string, string> {
  const params: Record<string, string> = { ...req.query };
  const type = req.headers['content-type'] ?? '';
  if (req.body.length > 0 && (type === '' || type.startsWith('application/x-www-form-urlencoded'))) {
    for (const [key, value] of new URLSearchParams(req.body.toString('utf8'))) params[key] = value;
  }
  return params;
}

/** Nests flat `A.B.1.C` keys into a tree; a key that is both a value and a parent keeps the parent. */
export function queryTree(params: Record<string, string>): QueryNode {
  const root: QueryNode = {};
  for (const [key, value] of Object.entries(params)) {
    const parts = key.split('.');
    let node = root;
    for (let i = 0; i < parts.length - 1; i += 1) {
      const part = parts[i]!;
      const next = node[part];
      if (typeof next === 'object') node = next;
      else {
        const created: QueryNode = {};
        node[part] = created;
        node = created;
      }
    }
    const last = parts[parts.length - 1]!;
    if (typeof node[last] !== 'object') node[last] = value;
  }
  return root;
}

/** The string at `key`, or undefined (an empty value counts as given). */
export function str(node: QueryNode | string | undefined, key: string): string | undefined {
  if (node === undefined || typeof node === 'string') return undefined;
  const value = node[key];
  return typeof value === 'string' ? value : undefined;
}

/** The child structure at `key`, or undefined. */
export function child(node: QueryNode | string | undefined, key: string): QueryNode | undefined {
  if (node === undefined || typeof node === 'string') return undefined;
  const value = node[key];
  return typeof value === 'object' ? value : undefined;
}

/** The numbered children `1..N` of a node, in number order (ec2Query lists: `Name.N`). */
export function items(node: QueryNode | string | undefined): (QueryNode | string)[] {
  if (node === undefined || typeof node === 'string') return [];
  return Object.keys(node)
    .filter((key) => /^\d+$/.test(key))
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => node[key]!);
}

/** The members of an awsQuery list `Name.member.N` found at `key`. */
export function members(node: QueryNode | undefined, key: string): (QueryNode | string)[] {
  return items(child(child(node, key), 'member'));
}

/** The string members of an awsQuery list. */
export function memberStrings(node: QueryNode | undefined, key: string): string[] {
  return members(node, key).filter((value): value is string => typeof value === 'string');
}

/** The string items of an ec2Query list `Name.N`. */
export function itemStrings(node: QueryNode | undefined, key: string): string[] {
  return items(child(node, key)).filter((value): value is string => typeof value === 'string');
}

/** A plain-JSON value an XML answer is written from: objects keep their key order, arrays become lists. */
export type XmlValue = string | number | boolean | null | undefined | XmlObject | XmlList | readonly XmlValue[];

const ITEM_TAG = Symbol('itemTag');
/** A list whose elements use another tag than the protocol's default (EC2's `groupSet` of `<groupId>`). */
export interface XmlList {
  readonly [ITEM_TAG]: string;
  readonly items: readonly XmlValue[];
}
/** Wraps a list whose items are written as `<itemTag>`. */
export function xmlList(itemTag: string, items: readonly XmlValue[]): XmlList {
  return { [ITEM_TAG]: itemTag, items };
}
/** An XML element's children by name. */
export interface XmlObject {
  readonly [name: string]: XmlValue;
}

/** Escapes text and attribute values (the SDK's parser decodes the five entities). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' })[c]!);
}

/** `<name>value</name>`; undefined and null are left out; arrays wrap each element in `<itemTag>`. */
export function xmlElement(name: string, value: XmlValue, itemTag: string): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return `<${name}>${value.map((v) => xmlElement(itemTag, v as XmlValue, itemTag)).join('')}</${name}>`;
  if (typeof value === 'object' && ITEM_TAG in value) {
    const list = value as XmlList;
    return `<${name}>${list.items.map((v) => xmlElement(list[ITEM_TAG], v, itemTag)).join('')}</${name}>`;
  }
  if (typeof value === 'object') return `<${name}>${xmlChildren(value as XmlObject, itemTag)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** The children of an object, in key order. */
export function xmlChildren(value: XmlObject, itemTag: string): string {
  return Object.entries(value)
    .map(([key, child]) => xmlElement(key, child, itemTag))
    .join('');
}

/** ISO-8601 with milliseconds, as AWS writes timestamps in XML. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

const XML_HEADERS = { 'content-type': 'text/xml' };

/** An awsQuery success: `<XResponse><XResult>…</XResult><ResponseMetadata>`. An empty result still has its envelope. */
export function awsQueryResponse(action: string, xmlns: string, result: XmlObject, requestId: string): SimResponse {
  const body =
    `<${action}Response xmlns="${escapeXml(xmlns)}"><${action}Result>${xmlChildren(result, 'member')}</${action}Result>` +
    `<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: XML_HEADERS, body };
}

/** An awsQuery action that returns nothing: `<XResponse><ResponseMetadata>` only, as AWS sends for void actions. */
export function awsQueryVoidResponse(action: string, xmlns: string, requestId: string): SimResponse {
  const body = `<${action}Response xmlns="${escapeXml(xmlns)}"><ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: XML_HEADERS, body };
}

/** An awsQuery error: `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code><Message></Error><RequestId>`. */
export function awsQueryError(xmlns: string, status: number, code: string, message: string, requestId: string): SimResponse {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  const body =
    `<ErrorResponse xmlns="${escapeXml(xmlns)}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`;
  return { status, headers: XML_HEADERS, body };
}

/** An ec2Query success: no Result wrapper, `<requestId>` first, `<item>` lists. */
export function ec2Response(action: string, xmlns: string, result: XmlObject, requestId: string): SimResponse {
  const body = `<${action}Response xmlns="${escapeXml(xmlns)}"><requestId>${escapeXml(requestId)}</requestId>${xmlChildren(result, 'item')}</${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body };
}

/** An ec2Query error: `<Response><Errors><Error><Code><Message></Error></Errors><RequestID>`. */
export function ec2Error(status: number, code: string, message: string, requestId: string): SimResponse {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>` +
    `</Error></Errors><RequestID>${escapeXml(requestId)}</RequestID></Response>`;
  return { status, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body };
}

/** A failure a query service raises while handling an action; its handler turns it into the protocol's error. */
export class QueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

/** Reads a required string parameter or fails as AWS does when one is missing. */
export function required(node: QueryNode, key: string, missingCode = 'ValidationError'): string {
  const value = str(node, key);
  if (value === undefined || value === '') {
    throw new QueryError(missingCode, `1 validation error detected: Value null at '${lowerFirst(key)}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

/** An optional integer parameter; a non-integer fails with ValidationError naming it. */
export function int(node: QueryNode, key: string, code = 'ValidationError'): number | undefined {
  const value = str(node, key);
  if (value === undefined || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) throw new QueryError(code, `Invalid value '${value}' for ${key}: expected an integer`);
  return Number(value);
}

/** An optional boolean parameter (`true`/`false`). */
export function bool(node: QueryNode, key: string): boolean | undefined {
  const value = str(node, key);
  if (value === undefined || value === '') return undefined;
  return value === 'true';
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** A plain value kept from an awsQuery structure (`X.member.N` → array), written back unchanged with `<member>` lists. */
export type QueryPlain = string | QueryPlain[] | { [key: string]: QueryPlain };

/** Decodes an awsQuery structure into plain data, so it can be stored and echoed back as XML. */
export function plain(node: QueryNode | string): QueryPlain {
  if (typeof node === 'string') return node;
  const keys = Object.keys(node);
  if (keys.length === 1 && keys[0] === 'member') return items(node['member']).map(plain);
  return Object.fromEntries(keys.map((key) => [key, plain(node[key]!)]));
}

/**
 * One page by awsQuery's `Marker`/`PageSize` → `NextMarker` (ELBv2) or `NextToken`/`MaxRecords`
 * (Auto Scaling): the token encodes the offset, and a token this simulator did not issue is refused.
 */
export function pageOf<T>(list: readonly T[], token: string | undefined, size: number | undefined, limit: { max: number; code: string; field: string }): { page: T[]; next?: string } {
  if (size !== undefined && (size < 1 || size > limit.max)) {
    throw new QueryError('ValidationError', `1 validation error detected: Value '${size}' at '${limit.field}' failed to satisfy constraint: Member must have value less than or equal to ${limit.max}`);
  }
  let start = 0;
  if (token !== undefined && token !== '') {
    const match = /^sim-page-(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
    if (!match) throw new QueryError(limit.code, `The token '${token}' is invalid`);
    start = Number(match[1]);
  }
  const count = size ?? list.length;
  const page = list.slice(start, start + count);
  const end = start + count;
  return end < list.length ? { page, next: Buffer.from(`sim-page-${end}`).toString('base64') } : { page };
}
