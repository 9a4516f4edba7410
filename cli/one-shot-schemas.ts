/**
 * zod compiles each object schema to a fast path (generated code) the first time it parses with
 * it, which pays off when a schema parses many values: in a server, not in a command that reads
 * one pipeline and exits, where compiling costs more than it saves. Results are the same either
 * way; only the time differs.
 */
import { config } from 'zod';

/** Schemas built from now on parse without compiling a fast path; call before any pipeline schema is built. */
export function parseWithoutCompiling(): void {
  config({ jitless: true });
}
