/**
 * Reads pipeline documents for the CLI: a path, or `-` for standard input. JSON or YAML, one
 * pipeline or an array of them; parsing and validation are the core's, this only does I/O.
 */
import { readFile } from 'node:fs/promises';
import type { ValidationIssue } from '../core/issues.ts';
import { UsageError } from './usage.ts';

export interface LoadedDocument {
  readonly source: string;
  readonly pipelines: ReadonlyArray<{ readonly pointer: string; readonly input: unknown }>;
  readonly issues: readonly ValidationIssue[];
}

export async function loadPipelineDocument(path: string, stdin: () => Promise<string>): Promise<LoadedDocument> {
  let text: string;
  if (path === '-') {
    text = await stdin();
  } else {
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(
        code === 'ENOENT'
          ? `file '${path}' does not exist; pass the path of a pipeline JSON or YAML file, or - for standard input`
          : `cannot read '${path}' (${code ?? 'unknown error'}); check the path and its permissions`,
      );
    }
  }
  const source = path === '-' ? '<stdin>' : path;
  // The YAML reader loads only for the commands that read a document; the schemas are the caller's.
  const { readPipelineDocument } = await import('../core/pipeline/document.ts');
  const { pipelines, issues } = readPipelineDocument(text);
  return { source, pipelines, issues };
}

export async function readAllStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
