import { defineConfig } from 'vitest/config';

// Two projects: unit tests need nothing running; integration tests share the real
// Temporal dev server and SeaweedFS that test/integration/global-setup.ts starts (or reuses).
export default defineConfig({
  test: {
    // Stopping the services the integration setup started can take a few seconds each.
    teardownTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          // test/chaos kills and restarts its own services; it runs here so that it never overlaps another integration file.
          include: ['test/integration/**/*.test.ts', 'test/chaos/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 300_000,
          env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
