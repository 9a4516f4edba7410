#!/usr/bin/env node
// The `gennaker` command: the compiled CLI (dist/cli/, built by `npm install`) when it is current,
// else the TypeScript sources through tsx, so an edit to a source runs at once (bin/cli-bundle.js).
import { loadCli } from './cli-bundle.js';

const { main } = await loadCli();
process.exitCode = await main(process.argv.slice(2));
