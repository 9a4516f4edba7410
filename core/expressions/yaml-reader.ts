/**
 * YAML for `#readYaml`, `#readAllYaml` and `#yamlFromUrl`, through the `yaml` package (pure
 * JavaScript, no I/O) with the core schema only (no custom tags, nothing executable) and its
 * alias-expansion guard against "billion laughs" documents.
 */
import { parseAllDocuments, parseDocument, type Document } from 'yaml';

const OPTIONS = { logLevel: 'error', maxAliasCount: 100, schema: 'core', uniqueKeys: false } as const;

/** Parsed YAML, or why it is not YAML. */
export type YamlRead = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

/** Parses one YAML document (`all` false) or every document of a stream (`all` true). */
export function readYamlText(text: string, all: boolean): YamlRead {
  try {
    if (!all) return documentValue(parseDocument(text, OPTIONS));
    const documents = parseAllDocuments(text, OPTIONS);
    const values: unknown[] = [];
    for (const document of documents) {
      const read = documentValue(document);
      if (!read.ok) return read;
      values.push(read.value);
    }
    return { ok: true, value: values };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message.split('\n')[0] ?? 'invalid YAML' : 'invalid YAML' };
  }
}

function documentValue(document: Document): YamlRead {
  const first = document.errors[0];
  if (first !== undefined) return { ok: false, message: first.message.split('\n')[0] ?? 'invalid YAML' };
  return { ok: true, value: document.toJS({ maxAliasCount: 100 }) as unknown };
}
