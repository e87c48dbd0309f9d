import { defineConfig } from 'vitest/config';

/**
 * Tests that synthesize CDK stacks. Loading aws-cdk-lib costs seconds per process and these files keep no state of
 * their own between tests (a fresh App and Stack each), so they share their worker's loaded modules instead of each
 * loading aws-cdk-lib again: about a third of the time.
 */
const SYNTH_TESTS = ['test/infra/**/*.test.ts', 'test/oauth/construct.test.ts', 'test/openapi/construct.test.ts'];

export default defineConfig({
  test: {
    // NodejsFunction bundling fails under worker threads (ERR_INVALID_ARG_VALUE on stdio).
    pool: 'forks',
    // Much of the test time is waiting (child processes, TTLs, sockets), not CPU: on a 2-core machine vitest's
    // default (cores - 1 = one file at a time) leaves a core idle. Two files at a time, not more: the timing tests
    // (throttling bursts, revocation bounds) need the CPU they ask for.
    maxWorkers: 2,
    // Private TMPDIR per test file (removed at its end) and output held back unless a test fails.
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    projects: [
      { extends: true, test: { name: 'synth', include: SYNTH_TESTS, isolate: false } },
      { extends: true, test: { name: 'rest', include: ['test/**/*.test.ts'], exclude: SYNTH_TESTS } },
    ],
  },
});
