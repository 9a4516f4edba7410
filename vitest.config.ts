import { availableParallelism } from 'node:os';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * Which folder's tests belong to which project: a new `*.test.ts` lands in its project by
 * where it is saved. test/unit/architecture/test-layout.test.ts fails on a test file outside
 * these folders.
 *
 * - unit: pure code and in-process fakes; no ports, no child processes.
 * - integration: real parts in process (dynalite, HTTP on 127.0.0.1, the local target's child
 *   processes), the port contract suites, and the CDK stack.
 * - e2e: the `gennaker` command as a user runs it, as child processes.
 *
 * `npx vitest run --project unit` runs one project; `npm test` (scripts/test.js) type-checks
 * and runs all three at once.
 */
export const PROJECT_FOLDERS = {
  unit: ['test/unit'],
  integration: ['test/integration', 'test/contract', 'test/infra'],
  e2e: ['test/e2e'],
} as const;

/** Per project, the limits after which a test or hook counts as hung. */
const PROJECT_TIMEOUTS: Record<keyof typeof PROJECT_FOLDERS, { testTimeout?: number; hookTimeout?: number }> = {
  unit: {},
  integration: { testTimeout: 60_000, hookTimeout: 60_000 },
  e2e: { testTimeout: 180_000, hookTimeout: 180_000 },
};

/**
 * Files that take far longer than the rest, longest first (as measured in a whole run): they
 * start at once, so the rest of the suite runs beside them instead of after them. A clean clone
 * (CI) has no timings of an earlier run, and Vitest would otherwise order by file size. Most of
 * their time is waiting on child processes (the `gennaker` command, the CDK CLI) and real
 * traffic (the canary demo runs one live demo).
 */
export const SLOWEST_FIRST = [
  'test/infra/cdk-synth.test.ts',
  'test/e2e/demo-canary.test.ts',
  'test/e2e/users.test.ts',
  'test/e2e/up.test.ts',
  'test/e2e/run-sandbox-every-cloud.test.ts',
  'test/e2e/crash-resume.test.ts',
  'test/integration/deploy-stage.test.ts',
  'test/e2e/demo.test.ts',
  'test/e2e/run-sandbox.test.ts',
  'test/e2e/run.test.ts',
  'test/e2e/up-sandbox.test.ts',
  'test/e2e/cli.test.ts',
  'test/e2e/run-sandbox-ecs.test.ts',
  'test/e2e/run-sandbox-gce.test.ts',
];

/** Vitest's order (failed first, then longest by the last run's timings, else largest), with SLOWEST_FIRST ahead. */
class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = SLOWEST_FIRST.findIndex((path) => file.moduleId.endsWith(`/${path}`));
      return index === -1 ? SLOWEST_FIRST.length : index;
    };
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    environment: 'node',
    pool: 'forks',
    // One worker more than cores, shared by all projects (at least three): most of the slow
    // files wait on child processes and simulated clouds, and a third worker fills two cores
    // (a clean clone on 2 cores: tests 371 s with three workers, 398 s with two). The files
    // that measure real traffic (the canary demo, the judges) hold their margins at that load.
    maxWorkers: Math.max(3, availableParallelism() + 1),
    sequence: { sequencer: SlowestFirst },
    // Time limits catch a test that hangs; they are not measurements. Child processes and real
    // traffic take longer on a busy machine, so their projects get more room (PROJECT_TIMEOUTS).
    testTimeout: 20_000,
    hookTimeout: 30_000,
    reporters: ['default'],
    // asl-validator's schemas compiled once per worker, not per definition; property tests
    // seeded (test/support/setup.ts).
    setupFiles: ['test/support/setup.ts'],
    // The SDK's notice that future releases need Node 22 is not a test result.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: Object.entries(PROJECT_FOLDERS).map(([name, folders]) => ({
      extends: true,
      test: {
        name,
        include: folders.map((folder) => `${folder}/**/*.test.ts`),
        // Unit and integration tests share no state across files (no module mocks, no stubbed
        // globals or environment, fake timers restored after each test, every server and
        // simulator closed by its file), so a worker runs file after file without loading the
        // modules again for each: integration alone takes 164 s instead of 257 s on two cores.
        // e2e files drive child processes and keep a fresh process each.
        isolate: name === 'e2e',
        ...PROJECT_TIMEOUTS[name as keyof typeof PROJECT_FOLDERS],
      },
    })),
  },
});
