/**
 * Runs before every test file (vitest.config.ts `setupFiles`).
 *
 * - asl-validator's schemas, in the tests' copy and in the local engine's interpreter's, are
 *   compiled once per worker instead of on every definition (see ./asl.ts).
 * - Property tests draw from a fixed seed, so a run fails or passes the same way every time.
 *   A fuzz campaign picks its own: `FUZZ_SEED=$RANDOM FUZZ_RUNS=100000 npx vitest run test/unit/expressions`
 *   (fast-check prints the seed and path of any counterexample).
 */
import fc from 'fast-check';
import './asl.ts';

fc.configureGlobal({ seed: Number(process.env.FUZZ_SEED ?? 20_240_501) });
