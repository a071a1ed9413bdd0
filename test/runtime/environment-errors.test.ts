/**
 * Failures of the machine rather than of the user's input: a full disk, a damaged database, a
 * read-only project folder, a bad task option. Each ends the command with one `Error:` line that
 * says how to fix it. Disks are real: small tmpfs mounts (the tests run as root).
 */
import Database from 'better-sqlite3'
import { execFileSync } from 'node:child_process'
import { closeSync, existsSync, openSync, statfsSync, writeSync } from 'node:fs'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cleanupTemp, ERROR_LINE, killAll, makeProject, runTq, stderrLines, type RunResult, type TempProject } from '../helpers/tq.js'

const TASKS = { 'tasks/ping.ts': `import { task } from 'tqjs'\nexport const ping = task('ping', async () => 'pong')\n` }
const mounts: string[] = []

/** A project on its own 2 MB tmpfs. */
function projectOnSmallDisk(): TempProject {
  const project = makeProject()
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', project.dir])
  mounts.push(project.dir)
  project.write('tq.config.ts', `import { defineConfig } from 'tqjs'\nexport default defineConfig({ broker: 'sqlite://.tq/tq.db' })\n`)
  for (const [rel, text] of Object.entries(TASKS)) project.write(rel, text)
  return project
}

/** Fills the disk holding `dir` until `leaveKb` remain. */
function fillDisk(dir: string, leaveKb: number): void {
  const s = statfsSync(dir)
  const free = s.bavail * s.bsize - leaveKb * 1024
  const fd = openSync(`${dir}/filler`, 'w')
  const chunk = Buffer.alloc(64 * 1024)
  let written = 0
  try {
    while (written < free) written += writeSync(fd, chunk, 0, Math.min(chunk.length, free - written))
  } finally {
    closeSync(fd)
  }
}

/** One `Error:` line closes stderr, and the exit code is non-zero. */
function expectFinalError(r: RunResult): string {
  expect(r.timedOut, `command hung; stderr: ${r.stderr}`).toBe(false)
  const lines = stderrLines(r)
  expect(lines.filter((l) => l.startsWith('Error:')), r.stderr).toHaveLength(1)
  expect(lines.at(-1)).toMatch(ERROR_LINE)
  expect(r.code).toBe(1)
  return lines.at(-1)!
}

const payloads = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ n: i, pad: 'x'.repeat(60) })).join('\n') + '\n'

describe('environmental failures', () => {
  afterEach(async () => {
    await killAll()
    for (const dir of mounts.splice(0)) execFileSync('umount', ['-l', dir])
  })
  afterAll(() => cleanupTemp())

  it('a full disk: tq enqueue prints one line saying the disk is full, and how to fix it', async () => {
    const project = projectOnSmallDisk()
    expect((await runTq(['enqueue', 'ping', '{}'], { cwd: project.dir })).code).toBe(0)
    fillDisk(project.dir, 80)
    const r = await runTq(['enqueue', 'ping', '--batch', '-'], { cwd: project.dir, input: payloads(3000) })
    expect(r.stdout).toBe('')
    const line = expectFinalError(r)
    expect(stderrLines(r)).toHaveLength(1)
    expect(line).toMatch(/disk .* is full.*\(free space/)
  })

  it('a full disk: tq worker --burst exits 1 with one Error line instead of retrying forever', async () => {
    const project = projectOnSmallDisk()
    expect((await runTq(['enqueue', 'ping', '--batch', '-'], { cwd: project.dir, input: payloads(3000) })).code).toBe(0)
    fillDisk(project.dir, 48)
    const r = await runTq(['worker', '--burst', '--quiet'], { cwd: project.dir, timeoutMs: 120_000 })
    expect(expectFinalError(r)).toMatch(/is full/)
  })

  it('a damaged database: one line naming it, and no -wal or -shm left behind', async () => {
    const project = makeProject({ files: TASKS })
    expect((await runTq(['enqueue', 'ping', '--batch', '-'], { cwd: project.dir, input: payloads(500) })).code).toBe(0)
    // Garbage over the root pages of the jobs table and its ready index, which every enqueue and
    // claim reads: the header still says SQLite, the b-trees are broken.
    const raw = new Database(project.db, { readonly: true })
    const roots = raw.prepare(`SELECT rootpage FROM sqlite_master WHERE name IN ('jobs', 'jobs_ready')`).pluck().all() as number[]
    const pageSize = raw.pragma('page_size', { simple: true }) as number
    raw.close()
    expect(roots).toHaveLength(2)
    const fd = openSync(project.db, 'r+')
    for (const root of roots) writeSync(fd, Buffer.alloc(pageSize, 0xde), 0, pageSize, (root - 1) * pageSize)
    closeSync(fd)
    const enqueue = await runTq(['enqueue', 'ping', '{}'], { cwd: project.dir })
    expect(stderrLines(enqueue)).toHaveLength(1)
    expect(expectFinalError(enqueue)).toMatch(/damaged .*malformed.*\(restore it from a backup/)
    const worker = await runTq(['worker', '--burst'], { cwd: project.dir, timeoutMs: 120_000 })
    expect(expectFinalError(worker)).toMatch(/damaged/)
    expect(existsSync(`${project.db}-wal`)).toBe(false)
    expect(existsSync(`${project.db}-shm`)).toBe(false)
  })

  it('a read-only project folder: one line naming the folder and the fix', async () => {
    const project = projectOnSmallDisk()
    execFileSync('mount', ['-o', 'remount,ro', project.dir])
    const r = await runTq(['enqueue', 'ping', '{}'], { cwd: project.dir })
    expect(stderrLines(r)).toHaveLength(1)
    expect(expectFinalError(r)).toMatch(new RegExp(`${project.dir}/\\.tq/build \\(EROFS\\) \\(.*writable`))
  })

  it("a bad task option is reported at the user's task file, not inside tq", async () => {
    const project = makeProject({ files: { 'tasks/slow.ts': `import { task } from 'tqjs'\n\nexport const slow = task('slow', async () => 1, { timeout: '10 parsecs' })\n` } })
    const r = await runTq(['worker', '--burst'], { cwd: project.dir })
    const line = expectFinalError(r)
    expect(line).toContain(`${project.path('tasks/slow.ts')}:3:`)
    expect(line).toMatch(/timeout "10 parsecs"/)
    expect(line).not.toMatch(/dist\/src/)
  })
})
