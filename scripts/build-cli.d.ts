/** Types of scripts/build-cli.js (run by node as it is, at install). */

/** What a build produced. */
export interface BuiltCli {
  /** The entry module (main.js) in the output directory. */
  readonly entry: string;
  /** The output's JavaScript files, by name. */
  readonly chunks: readonly string[];
  /** Their total size. */
  readonly bytes: number;
  readonly seconds: number;
}

/** Builds the CLI into `outdir` (default dist/cli/), swapped in whole. */
export declare function buildCli(options?: { outdir?: string }): Promise<BuiltCli>;
