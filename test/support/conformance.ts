/**
 * Where the conformance corpus of real Spinnaker pipelines lives: `shared/conformance/
 * spinnaker-pipelines` beside the checkout. A worktree sits deeper than the main checkout, so
 * the directory is looked up beside the repository and beside each of its parents.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RELATIVE = join('shared', 'conformance', 'spinnaker-pipelines');

function findCorpus(): string {
  const tried: string[] = [];
  for (let dir = dirname(REPOSITORY); ; dir = dirname(dir)) {
    const candidate = join(dir, RELATIVE);
    if (existsSync(candidate)) return candidate;
    tried.push(candidate);
    if (dirname(dir) === dir) break;
  }
  throw new Error(`the conformance corpus was not found (looked in ${tried.join(', ')}); check out 'shared' beside the repository`);
}

/** The absolute path of the corpus directory. */
export const CONFORMANCE_CORPUS = findCorpus();
