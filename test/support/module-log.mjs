/**
 * `node --import test/support/module-log.mjs ...`: appends the URL of every ES module and the
 * path of every CommonJS module the process loads to the file named by MODULE_LOG, one a line,
 * so a test can check what a command loads at start.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const log = process.env['MODULE_LOG'];
if (log) {
  register(new URL('./module-log-hooks.mjs', import.meta.url), { data: { log } });
  // CommonJS modules (the AWS SDK, yaml) are compiled here, whoever imports them.
  const Module = createRequire(import.meta.url)('node:module');
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename) {
    appendFileSync(log, `${filename}\n`);
    return compile.call(this, content, filename);
  };
}
