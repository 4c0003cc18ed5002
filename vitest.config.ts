// One vitest run over every package, so the whole suite has one summary.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@agentrpc/source'] },
  ssr: { resolve: { conditions: ['@agentrpc/source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      'examples/*/src/**/*.test.ts',
      'bench/src/**/*.test.ts',
    ],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
