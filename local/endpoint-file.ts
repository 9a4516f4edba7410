/**
 * `<dir>/endpoint`: where the `gennaker up` of a state directory listens (`http://127.0.0.1:PORT`),
 * written once it listens and removed when it stops, so the client commands run against the same
 * directory find it without --endpoint — also when `up --port 0` picked the port.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const ENDPOINT_FILE = 'endpoint';

/** Records `url` as the endpoint of the server of `dir` (the directory exists: `up` made it). */
export async function writeEndpointFile(dir: string, url: string): Promise<void> {
  await writeFile(join(dir, ENDPOINT_FILE), `${url}\n`, { mode: 0o600 });
}

/** The endpoint recorded in `dir`, or undefined when none is (no server started there, or it stopped). */
export async function readEndpointFile(dir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, ENDPOINT_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const url = text.trim();
  return /^https?:\/\/\S+$/.test(url) ? url : undefined;
}

/** Removes the record of `url` when it is still the one in `dir` (a later server's record is left alone). */
export async function removeEndpointFile(dir: string, url: string): Promise<void> {
  if ((await readEndpointFile(dir)) === url) await rm(join(dir, ENDPOINT_FILE), { force: true });
}
