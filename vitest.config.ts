import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // oclif's this.log goes through console; let it reach the streams tests read.
    disableConsoleIntercept: true,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end files spawn processes and share the 2 cores; keep the file count in flight low.
    maxWorkers: 2,
    // Type tests (expectTypeOf, @ts-expect-error) are checked by tsc in the same run.
    typecheck: { enabled: true, include: ['test/types/**/*.test-d.ts'], tsconfig: 'test/types/tsconfig.json' },
  },
})
