/**
 * Reads the text of a pipeline document: JSON or YAML, one pipeline or an array of them. Syntax
 * errors come back as issues with the line and column; nothing throws.
 */
import { parseAllDocuments } from 'yaml';
import type { ValidationIssue } from '../issues.ts';
import { showValue } from '../issues.ts';
import { jsonErrorOffset } from './json-syntax.ts';

export interface PipelineDocument {
  /** One entry per pipeline: `pointer` is '' for a single pipeline, `/2` for the third of an array. */
  readonly pipelines: Array<{ pointer: string; input: unknown }>;
  readonly issues: ValidationIssue[];
}

/** Aliases a YAML document may expand (guards against "billion laughs" documents). */
const MAX_YAML_ALIASES = 1000;

function documentIssue(message: string, value?: unknown): ValidationIssue {
  return value === undefined
    ? { pointer: '', code: 'invalid-document', message, severity: 'error' }
    : { pointer: '', code: 'invalid-document', message, severity: 'error', value };
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

function readJson(text: string): { ok: true; value: unknown } | { ok: false; issue: ValidationIssue } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // V8 quotes the document in some messages ("Unexpected token '}', \"{...}\" is not valid JSON"): keep the reason only.
    const reason = message
      .replace(/, \S*".*is not valid JSON$/s, '')
      .replace(/\s*\(line \d+ column \d+\)/, '')
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/ at position \d+.*$/s, '')
      .replace(/\s+/g, ' ');
    const offset = jsonErrorOffset(text);
    if (offset === undefined) return { ok: false, issue: documentIssue(`JSON syntax error: ${reason}; fix the document`) };
    const { line, column } = lineAndColumn(text, offset);
    return { ok: false, issue: documentIssue(`JSON syntax error at line ${line}, column ${column}: ${reason}; fix the document`) };
  }
}

function readYaml(text: string): { ok: true; value: unknown } | { ok: false; issue: ValidationIssue } {
  const documents = parseAllDocuments(text, { prettyErrors: false });
  if (!Array.isArray(documents)) return { ok: true, value: undefined }; // an empty stream
  if (documents.length > 1) {
    return { ok: false, issue: documentIssue(`holds ${documents.length} YAML documents; put the pipelines in one document, as a list`) };
  }
  const document = documents[0];
  if (document === undefined) return { ok: true, value: undefined };
  const error = document.errors[0];
  if (error) {
    const { line, column } = lineAndColumn(text, error.pos[0]);
    const reason = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? error.message;
    return { ok: false, issue: documentIssue(`YAML syntax error at line ${line}, column ${column}: ${reason}; fix the document`) };
  }
  try {
    return { ok: true, value: document.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown };
  } catch (caught) {
    const reason = caught instanceof Error ? caught.message.split('\n')[0] : String(caught);
    return { ok: false, issue: documentIssue(`YAML document cannot be read: ${reason}; fix the document`) };
  }
}

/** Reads a JSON or YAML document holding one pipeline or an array of pipelines. Never throws. */
export function readPipelineDocument(text: string): PipelineDocument {
  try {
    if (typeof text !== 'string' || text.trim() === '') {
      return { pipelines: [], issues: [documentIssue('the document is empty; give one pipeline object or a list of pipelines')] };
    }
    const source = text.replace(/^\uFEFF/, '');
    // A document that opens like JSON is JSON: YAML would accept many broken JSON documents
    // (`"b": }` reads as null), so its errors must come from the JSON reader.
    const read = /^\s*[[{]/.test(source) ? readJson(source) : readYaml(source);
    if (!read.ok) return { pipelines: [], issues: [read.issue] };
    const value = read.value;
    if (Array.isArray(value)) {
      if (value.length === 0) return { pipelines: [], issues: [documentIssue('the document is an empty list; add at least one pipeline')] };
      return { pipelines: value.map((input, index) => ({ pointer: `/${index}`, input })), issues: [] };
    }
    if (value !== null && typeof value === 'object') return { pipelines: [{ pointer: '', input: value }], issues: [] };
    return {
      pipelines: [],
      issues: [documentIssue(`expected a pipeline object or a list of pipelines, got ${value === undefined ? 'nothing' : showValue(value)}`, value ?? undefined)],
    };
  } catch (error) {
    return { pipelines: [], issues: [documentIssue(`the document cannot be read (${error instanceof Error ? error.message : String(error)}); check that it is JSON or YAML`)] };
  }
}
