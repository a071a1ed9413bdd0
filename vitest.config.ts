import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // oclif's this.log goes through console; let it reach the streams tests read.
    disableConsoleIntercept: true,
    // End-to-end tests spawn real processes on 2 shared cores; on a loaded machine (two busy loops,
    // a parallel build) a dozen sequential `tq` commands can take minutes. This is a hang guard,
    // not a speed bound: speed lives in the benchmarks.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // End-to-end files spawn processes and share the 2 cores; keep the file count in flight low.
    maxWorkers: 2,
    // Type tests (expectTypeOf, @ts-expect-error) are checked by tsc in the same run.
    typecheck: { enabled: true, include: ['test/types/**/*.test-d.ts'], tsconfig: 'test/types/tsconfig.json' },
  },
})
