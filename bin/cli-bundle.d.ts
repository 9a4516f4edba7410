/** Types of bin/cli-bundle.js (plain JavaScript: it runs before anything could compile TypeScript). */

/** The compiled CLI's directory in this checkout (dist/cli). */
export declare const BUNDLE_DIR: string;

/** The file in a bundle directory that names its entry module and every file it was built from. */
export declare const STAMP_FILE: string;

/** The bundle's entry module when every file it was built from is unchanged since, else undefined. */
export declare function freshBundleEntry(dir?: string): string | undefined;

/** The CLI's `main`: from the current bundle in `dir`, else from the TypeScript sources through tsx. */
export declare function loadCli(dir?: string): Promise<{ main(argv: readonly string[]): Promise<number> }>;
