/** The loader hooks of test/support/module-log.mjs: logs each ES module as it loads. */
import { appendFileSync } from 'node:fs';

let log;

/** Receives the log file's path from module-log.mjs. */
export function initialize(data) {
  log = data.log;
}

/** Logs the URL once the next hook (tsx's, for TypeScript) has loaded it. */
export async function load(url, context, nextLoad) {
  const loaded = await nextLoad(url, context);
  appendFileSync(log, `${url}\n`);
  return loaded;
}
