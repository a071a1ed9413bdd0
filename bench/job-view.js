#!/usr/bin/env node
/**
 * How long the job view (`tq job`, the status TUI's job screen) takes to lay out a large payload:
 * 1, 10 and 100 MB, one line each. Before the one-pass wrap, 1 MB took about a minute.
 * Run after `npm run build`: node bench/job-view.js
 */
import { dist } from './helpers.js'

const { jobLines } = await dist('src/status/job-lines.js')
for (const mb of [1, 10, 100]) {
  const job = {
    id: 'bench', task: 'big', queue: 'default', state: 'queued', payload: { blob: 'x'.repeat(mb * 1024 * 1024) }, priority: 0,
    attempt: 0, maxAttempts: 1, createdAt: new Date().toISOString(), runAt: new Date().toISOString(), startedAt: null, finishedAt: null,
    result: null, error: null, progress: null, parentId: null, key: null, errors: [],
  }
  const t0 = performance.now()
  const lines = jobLines(job, [], 100)
  console.log(`${String(mb).padStart(3)} MB payload: ${lines.length} lines in ${(performance.now() - t0).toFixed(1)} ms`)
}
