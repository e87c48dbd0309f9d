import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // NodejsFunction bundling fails under worker threads (ERR_INVALID_ARG_VALUE on stdio).
    pool: 'forks',
    // Most test time is waiting (child processes, TTLs, sockets), not CPU: on a 2-core machine vitest's default
    // (cores - 1 = one file at a time) leaves the CPU idle. Three files at a time roughly halves `npm test`.
    maxWorkers: 3,
    // Private TMPDIR per file (removed at its end) and output held back unless a test fails.
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
  },
});
