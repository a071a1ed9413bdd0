import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { SqliteBroker } from '../../src/broker/sqlite/sqlite-broker.js'

/**
 * A fresh SQLite broker on a real file for each test of the calling file, closed and deleted
 * after it. Read `broker`, `dir` and `file` inside tests; a test may replace `broker` (say, to
 * reopen the file) and the new one is closed instead.
 */
export function freshSqliteBroker(label: string): { broker: SqliteBroker; dir: string; file: string } {
  const state = {} as { broker: SqliteBroker; dir: string; file: string }
  beforeEach(() => {
    state.dir = mkdtempSync(join(tmpdir(), `tq-${label}-`))
    state.file = join(state.dir, 'tq.db')
    state.broker = new SqliteBroker(state.file)
  })
  afterEach(async () => {
    await state.broker.close()
    rmSync(state.dir, { recursive: true, force: true })
  })
  return state
}

/** Runs a Node script in a process of its own; resolves with its exit code and what it wrote to stderr. */
export function runNodeScript(script: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })))
}
