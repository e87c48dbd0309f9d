import { defineConfig } from 'vitest/config';

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
    // The local issuer's certificate and signing key, made once per run for the local-mode tests' data folders.
    globalSetup: ['test/support/issuer-material.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    include: ['test/**/*.test.ts'],
    // Test files share their worker's loaded modules (aws-cdk-lib, the AWS SDK clients, lambda/) instead of each
    // loading them again: 89 -> 78 s. So no test may leave process-wide state behind: mocked SDK clients are
    // restored after their file, temp dirs are made per file (test/support/temp-dir.ts), env changes are undone.
    isolate: false,
  },
});
