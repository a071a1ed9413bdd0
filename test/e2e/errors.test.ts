/**
 * SPEC "CLI": errors are one line `Error: <what> (<how to fix>)` on stderr, exit 1 (2 for usage
 * errors), and a command that fails writes nothing.
 */
import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  cleanupTemp,
  ERROR_LINE,
  killAll,
  listJobs,
  makeProject,
  makeTempDir,
  runTq,
  stderrLines,
  type RunResult,
  type TempProject,
} from '../helpers/tq.js'

afterEach(killAll)
afterAll(cleanupTemp)

const TASKS = {
  'tasks/echo.ts': `import { task } from 'tqjs'
export const echo = task('echo', async (p: unknown) => ({ got: p }))
`,
}

/** One line on stderr, `Error: … (…)`, the given exit codes, nothing on stdout, not killed by our deadline. */
function expectCliError(r: RunResult, codes: number[] = [1, 2]): string {
  expect(r.timedOut, `command hung; stderr: ${r.stderr}`).toBe(false)
  const lines = stderrLines(r)
  expect(lines, `stderr was:\n${r.stderr}`).toHaveLength(1)
  expect(lines[0]).toMatch(ERROR_LINE)
  expect(codes, `exit code ${r.code}; stderr: ${r.stderr}`).toContain(r.code)
  expect(r.stdout.trim()).toBe('')
  return lines[0]!
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')

/** Jobs in a tq database, read directly (read-only) so the check itself writes nothing. */
function dbJobCount(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    return (db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n
  } finally {
    db.close()
  }
}

describe('CLI errors write nothing', () => {
  let project: TempProject

  beforeAll(async () => {
    // A project with a database that already holds one job; every failing command must leave it so.
    project = makeProject({ files: TASKS })
    const r = await runTq(['enqueue', 'echo', '{"seed":true}'], { cwd: project.dir })
    expect(r.code, r.stderr).toBe(0)
  })

  const expectOneJob = async () => {
    const jobs = await listJobs(project.dir)
    expect(jobs.map((j) => j.payload)).toEqual([{ seed: true }])
  }

  it('unknown task name', async () => {
    const r = await runTq(['enqueue', 'no.such.task', '{"a":1}'], { cwd: project.dir })
    const line = expectCliError(r)
    expect(line).toMatch(/no\.such\.task/)
    await expectOneJob()
  })

  it('payload that is not JSON (usage error, exit 2)', async () => {
    const r = await runTq(['enqueue', 'echo', '{to: a@b.c}'], { cwd: project.dir })
    expectCliError(r, [2])
    await expectOneJob()
  })

  it('--batch file with a line that is not JSON enqueues none of the lines', async () => {
    const file = project.path('bad.ndjson')
    writeFileSync(file, '{"n":1}\n{"n":2}\nnot json\n{"n":4}\n')
    const r = await runTq(['enqueue', 'echo', '--batch', file], { cwd: project.dir })
    const line = expectCliError(r)
    expect(line).toMatch(/line 3/)
    await expectOneJob()
  })

  it('a broker URL not understood (--broker foo://x)', async () => {
    const r = await runTq(['enqueue', 'echo', '{"a":1}', '--broker', 'foo://x'], { cwd: project.dir })
    const line = expectCliError(r)
    expect(line).toMatch(/foo:\/\/x/)
    await expectOneJob()
  })

  it('a broker URL not understood, from TQ_BROKER_URL', async () => {
    const r = await runTq(['enqueue', 'echo', '{"a":1}'], { cwd: project.dir, env: { TQ_BROKER_URL: 'foo://x' } })
    expectCliError(r)
    await expectOneJob()
  })
})

describe('CLI errors: project and config', () => {
  it('no config in the folder', async () => {
    const dir = makeTempDir()
    const r = await runTq(['enqueue', 'echo', '{"a":1}'], { cwd: dir })
    const line = expectCliError(r)
    expect(line).toMatch(/config/i)
    expect(readdirSync(dir)).toEqual([])
  })

  it('a config that throws: the message points at tq.config.ts:<line>', async () => {
    const project = makeProject({ files: TASKS })
    project.write(
      'tq.config.ts',
      `import { defineConfig } from 'tqjs'\nconst port = 1\nthrow new Error('config exploded')\nexport default defineConfig({ broker: 'sqlite://.tq/tq.db' })\n`,
    )
    const r = await runTq(['enqueue', 'echo', '{"a":1}'], { cwd: project.dir })
    const line = expectCliError(r)
    expect(line).toMatch(/config exploded/)
    expect(line).toContain(`${project.path('tq.config.ts')}:3`)
    expect(existsSync(project.db)).toBe(false)
  })

  it('a config with a syntax error: the message points at tq.config.ts:<line>', async () => {
    const project = makeProject({ files: TASKS })
    project.write('tq.config.ts', `import { defineConfig } from 'tqjs'\n\nexport default defineConfig({ broker: 'sqlite://.tq/tq.db' ]\n`)
    const r = await runTq(['enqueue', 'echo', '{"a":1}'], { cwd: project.dir })
    const line = expectCliError(r)
    expect(line).toMatch(new RegExp(`tq\\.config\\.ts:3\\b`))
    expect(existsSync(project.db)).toBe(false)
  })

  const BROKEN = {
    ...TASKS,
    'tasks/broken.ts': `import { task } from 'tqjs'\nexport const a = task('a', async () => 1)\nthrow new Error('module exploded')\n`,
  }

  it('a task module that throws while loading: tq worker refuses to start, pointing at the module file:<line>', async () => {
    const project = makeProject({ files: BROKEN })
    const r = await runTq(['worker', '--burst'], { cwd: project.dir })
    const line = expectCliError(r, [1])
    expect(line).toMatch(/module exploded/)
    expect(line).toContain(`${project.path('tasks/broken.ts')}:3`)
  })

  it('a task module that throws while loading: what tq enqueue prints about it points at the module file:<line>', async () => {
    const project = makeProject({ files: BROKEN })
    const r = await runTq(['enqueue', 'echo', '{"a":1}'], { cwd: project.dir })
    expect(r.timedOut).toBe(false)
    // enqueue may refuse, or warn and enqueue by name; either way it must say where the problem is.
    expect(r.stderr).toMatch(/module exploded/)
    expect(r.stderr).toContain(`${project.path('tasks/broken.ts')}:3`)
  })
})

describe('CLI errors: database files', () => {
  it('a database path that cannot be created, even by root (/proc)', async () => {
    const project = makeProject({ files: TASKS })
    const r = await runTq(['enqueue', 'echo', '{"a":1}', '--broker', 'sqlite:///proc/nope/tq.db'], { cwd: project.dir, timeoutMs: 10_000 })
    const line = expectCliError(r, [1])
    expect(line).toMatch(/\/proc\/nope\/tq\.db/)
    expect(existsSync('/proc/nope')).toBe(false)
  })

  it('a database path under a plain file (not a folder)', async () => {
    const project = makeProject({ files: TASKS })
    project.write('afile', 'just text\n')
    const r = await runTq(['enqueue', 'echo', '{"a":1}', '--broker', 'sqlite://afile/tq.db'], { cwd: project.dir, timeoutMs: 15_000 })
    const line = expectCliError(r, [1])
    expect(line).toMatch(/afile\/tq\.db/)
    expect(readFileSync(project.path('afile'), 'utf8')).toBe('just text\n')
  })

  it('a SQLite database that is not tq\'s (another app\'s table) is refused and left untouched', async () => {
    const project = makeProject({ files: TASKS })
    const file = project.path('other.db')
    const db = new Database(file)
    db.exec(`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('ada')`)
    db.close()
    const before = sha(file)
    const r = await runTq(['enqueue', 'echo', '{"a":1}', '--broker', 'sqlite://other.db'], { cwd: project.dir })
    const line = expectCliError(r, [1])
    expect(line).toMatch(/other\.db/)
    expect(line).toMatch(/not a tq database/)
    expect(sha(file)).toBe(before)
    expect(existsSync(`${file}-wal`)).toBe(false)
    const check = new Database(file, { readonly: true })
    expect(check.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).all()).toEqual([{ name: 'customers' }])
    check.close()
  })

  it('a plain text file as the database is refused and left untouched', async () => {
    const project = makeProject({ files: TASKS })
    const file = project.path('notes.txt')
    writeFileSync(file, 'these are my notes\nnot a database\n')
    const r = await runTq(['enqueue', 'echo', '{"a":1}', '--broker', 'sqlite://notes.txt'], { cwd: project.dir })
    const line = expectCliError(r, [1])
    expect(line).toMatch(/notes\.txt/)
    expect(readFileSync(file, 'utf8')).toBe('these are my notes\nnot a database\n')
    expect(existsSync(`${file}-wal`)).toBe(false)
  })

  it('a database written by a newer tq (user_version 999) is refused by enqueue and jobs, and left as it was', async () => {
    const project = makeProject({ files: TASKS })
    const seed = await runTq(['enqueue', 'echo', '{"seed":1}'], { cwd: project.dir })
    expect(seed.code, seed.stderr).toBe(0)
    const db = new Database(project.db)
    db.pragma('user_version = 999')
    db.close()

    const r = await runTq(['enqueue', 'echo', '{"a":1}'], { cwd: project.dir })
    const line = expectCliError(r, [1])
    expect(line).toMatch(/newer/)
    const jobs = await runTq(['jobs', '--json'], { cwd: project.dir })
    expectCliError(jobs, [1])

    const check = new Database(project.db, { readonly: true })
    expect(check.pragma('user_version', { simple: true })).toBe(999)
    expect((check.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n).toBe(1)
    check.close()
  })
})

describe('file modes', () => {
  it('the command that creates the database makes .tq/ 0700 and .tq/tq.db 0600', async () => {
    const project = makeProject({ files: TASKS })
    expect(existsSync(project.path('.tq'))).toBe(false)
    const r = await runTq(['enqueue', 'echo', '{"a":1}'], { cwd: project.dir, env: {} })
    expect(r.code, r.stderr).toBe(0)
    expect(statSync(project.path('.tq')).mode & 0o777).toBe(0o700)
    expect(statSync(project.db).mode & 0o777).toBe(0o600)
    // SQLite's side files hold the same data: nobody but the owner may read them either.
    for (const side of ['-wal', '-shm']) {
      const f = `${project.db}${side}`
      if (existsSync(f)) expect(statSync(f).mode & 0o077, `${f} mode`).toBe(0)
    }
    expect(dbJobCount(project.db)).toBe(1)
  })

  it('a database created by a worker (no enqueue first) is 0600 in a 0700 .tq/', async () => {
    const project = makeProject({ files: TASKS })
    const r = await runTq(['worker', '--burst'], { cwd: project.dir })
    expect(r.code, r.stderr).toBe(0)
    expect(statSync(project.path('.tq')).mode & 0o777).toBe(0o700)
    expect(statSync(project.db).mode & 0o777).toBe(0o600)
  })
})
