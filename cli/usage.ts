/** Usage errors: the command line itself is wrong (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export const HELP = `gennaker: Spinnaker pipelines, run serverless.

Usage:
  gennaker validate <pipeline.json|yaml|-> [...]   report every problem at once (exit 1 if any)
  gennaker compile <pipeline.json|yaml|->          Amazon States Language on stdout
      --report            print the budgets (states, bytes, history events, transitions) to stderr
      --pipeline <name>   pick one pipeline from a document holding several
      --out <file>        write the ASL to a file instead of stdout
      --state-map         print { definition, stateMap } instead of the bare definition

Options for every command:
  --json                  machine-readable output
  -h, --help              this text

Exit codes: 0 ok, 1 invalid or failed, 2 usage.`;
