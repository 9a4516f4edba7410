/** The load generator the demo uses (local/load-generator.ts), for tests. */
export { percentile, runLoad, startLoad, type LoadOptions, type LoadReport, type RunningLoad } from '../../local/load-generator.ts';
