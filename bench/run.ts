/**
 * `npm run bench`: runs every `bench/*.bench.ts` (or those named on the command line), writes
 * `bench/results.json` as `{ name: { value, unit, target } }` and prints a table. Figures from
 * benchmarks not run this time are kept, so one suite can be re-measured alone.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The benchmarks use the SDK in-process on Node 20 too; its support notice is not a figure.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

export interface Figure {
  readonly value: number;
  readonly unit: string;
  /** e.g. '< 50' or '<= 12'; absent for figures reported without a target. */
  readonly target?: string;
}

export type BenchResults = Record<string, Figure>;

const here = dirname(fileURLToPath(import.meta.url));
const resultsPath = join(here, 'results.json');

/** Whether a value meets a target written as `<op> <number>`. */
export function meetsTarget(value: number, target: string | undefined): boolean | undefined {
  if (!target) return undefined;
  const match = /^\s*(<=|>=|<|>|==)\s*(-?[\d.]+)\s*$/.exec(target);
  if (!match) return undefined;
  const bound = Number(match[2]);
  switch (match[1]) {
    case '<': return value < bound;
    case '<=': return value <= bound;
    case '>': return value > bound;
    case '>=': return value >= bound;
    default: return value === bound;
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const files = (await readdir(here)).filter((file) => file.endsWith('.bench.ts')).sort();
  const selected = wanted.length ? files.filter((file) => wanted.some((name) => file.includes(name))) : files;
  let previous: BenchResults = {};
  try {
    previous = JSON.parse(await readFile(resultsPath, 'utf8')) as BenchResults;
  } catch {
    previous = {};
  }
  const results: BenchResults = { ...previous };
  for (const file of selected) {
    process.stderr.write(`running ${file}…\n`);
    const module = (await import(pathToFileURL(join(here, file)).href)) as { run: () => Promise<BenchResults> };
    Object.assign(results, await module.run());
  }
  const sorted = Object.fromEntries(Object.entries(results).sort(([a], [b]) => a.localeCompare(b)));
  await writeFile(resultsPath, `${JSON.stringify(sorted, null, 2)}\n`);

  const rows = Object.entries(sorted).map(([name, figure]) => {
    const verdict = meetsTarget(figure.value, figure.target);
    return [name, `${round(figure.value)} ${figure.unit}`, figure.target ?? '', verdict === undefined ? '' : verdict ? 'ok' : 'MISSED'];
  });
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]!.length), 6));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  process.stdout.write(`${line(['benchmark', 'value', 'target', ''])}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
  if (rows.some((row) => row[3] === 'MISSED')) process.exitCode = 1;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 3 : 1);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
