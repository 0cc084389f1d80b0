import { defineConfig } from 'vitest/config';
import path from 'node:path';

export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname) } },
  test: {
    include: ['engine/**/*.test.ts', 'lib/**/*.test.ts'],
    environment: 'node',
    // Integration tests spawn real redis-server processes; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['engine/testing/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
  },
});
