/**
 * Input validation on the enqueue path, through the real binary on real SQLite files: bad input
 * is refused with one line `Error: <what> (<how to fix>)` and writes no job.
 */
import Database from 'better-sqlite3'
import { existsSync, writeFileSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemp, ERROR_LINE, killAll, listJobs, makeProject, runTq, stderrLines, waitForJobState, type RunResult, type TempProject } from '../helpers/tq.js'

afterEach(killAll)
afterAll(cleanupTemp)

const TASKS = {
  'tasks/echo.ts': `import { task } from 'tqjs'
export const echo = task('echo', async (p: unknown) => p)
export const big = task('big', async () => 'ok', { maxPayload: '3mb' })
export const a = task('a.k', async (p: unknown) => p)
export const b = task('a.k:sub', async (p: unknown) => p)
export const fn = task('returns.fn', async () => () => 1)
`,
}

/** One `Error: … (…)` line on stderr, the exit code, nothing on stdout. */
function expectError(r: RunResult, code: number): string {
  expect(r.timedOut, r.stderr).toBe(false)
  const lines = stderrLines(r)
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(ERROR_LINE)
  expect(r.code, r.stderr).toBe(code)
  expect(r.stdout.trim()).toBe('')
  return lines[0]!
}

/** Jobs in the database, read directly and read-only (0 if there is no database). */
function jobCount(db: string): number {
  if (!existsSync(db)) return 0
  const conn = new Database(db, { readonly: true, fileMustExist: true })
  try {
    return (conn.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n
  } finally {
    conn.close()
  }
}

/** A one-line NDJSON file holding a payload of about `bytes` bytes. */
function bigBatch(project: TempProject, bytes: number): string {
  const file = project.path(`big-${bytes}.ndjson`)
  writeFileSync(file, JSON.stringify({ s: 'x'.repeat(bytes) }) + '\n')
  return file
}

describe('tq enqueue: bad flags write nothing', () => {
  let project: TempProject
  /** Jobs the database should hold: the seed, plus any a test enqueued on purpose. */
  let expected = 1
  beforeAll(async () => {
    project = makeProject({ files: TASKS })
    const seed = await runTq(['enqueue', 'echo', '{"seed":1}'], { cwd: project.dir })
    expect(seed.code, seed.stderr).toBe(0)
  })
  afterEach(() => expect(jobCount(project.db)).toBe(expected))

  it("--wait --timeout '10 parsecs' exits 2 and writes no job", async () => {
    const line = expectError(await runTq(['enqueue', 'echo', '{}', '--wait', '--timeout', '10 parsecs'], { cwd: project.dir }), 2)
    expect(line).toContain('invalid timeout "10 parsecs"')
  })

  it("--queue '' and a queue name with a newline are refused", async () => {
    expect(expectError(await runTq(['enqueue', 'echo', '{}', '--queue', ''], { cwd: project.dir }), 2)).toContain('invalid queue name ""')
    expect(expectError(await runTq(['enqueue', 'echo', '{}', '--queue', 'a\nb'], { cwd: project.dir }), 2)).toContain('invalid queue name "a\\nb"')
  })

  it('tq jobs with a queue or task name no job can have, and tq cancel with no ids, are usage errors', async () => {
    expect(expectError(await runTq(['jobs', '--queue', 'bad queue'], { cwd: project.dir }), 2)).toContain('invalid queue name "bad queue"')
    expect(expectError(await runTq(['jobs', '--task', 'no spaces'], { cwd: project.dir }), 2)).toContain('invalid task name')
    expect(expectError(await runTq(['cancel'], { cwd: project.dir }), 2)).toMatch(/^Error: give the ids of the jobs to cancel \(e\.g\. tq cancel/)
  })

  it('--priority 1e20 is refused, naming the range', async () => {
    const line = expectError(await runTq(['enqueue', 'echo', '{}', '--priority', '100000000000000000000'], { cwd: project.dir }), 2)
    expect(line).toContain('-1000000 to 1000000')
  })

  it('--at with --delay is a usage error', async () => {
    const line = expectError(await runTq(['enqueue', 'echo', '{}', '--at', '2030-01-01T00:00:00Z', '--delay', '10s'], { cwd: project.dir }), 2)
    expect(line).toMatch(/--at .*--delay/)
  })

  it('a 2 MB payload is refused naming maxPayload; a task whose maxPayload is 3mb takes it', async () => {
    const file = bigBatch(project, 2 * 1024 * 1024)
    const line = expectError(await runTq(['enqueue', 'echo', '--batch', file], { cwd: project.dir }), 2)
    expect(line).toContain('over the 1.0 MB limit')
    expect(line).toContain('maxPayload')
    const ok = await runTq(['enqueue', 'big', '--batch', file, '--json'], { cwd: project.dir })
    expect(ok.code, ok.stderr).toBe(0)
    expect(JSON.parse(ok.stdout).created).toBe(1)
    expected++
  })
})

describe('tq enqueue: project problems are refused before any write', () => {
  it('a task module that throws while loading: exit 1 with the load error, no job written', async () => {
    const project = makeProject({
      files: { ...TASKS, 'tasks/broken.ts': `import { task } from 'tqjs'\nexport const x = task('x', async () => 1)\nthrow new Error('module exploded')\n` },
    })
    for (const task of ['echo', 'no.such.task']) {
      const line = expectError(await runTq(['enqueue', task, '{}'], { cwd: project.dir }), 1)
      expect(line).toContain('module exploded')
      expect(line).toContain(`${project.path('tasks/broken.ts')}:3`)
    }
    expect(jobCount(project.db)).toBe(0)
  })

  it('maxPayload in tq.config.ts raises the limit for every task', async () => {
    const project = makeProject({ files: TASKS, config: `{ broker: 'sqlite://.tq/tq.db', maxPayload: '4mb' }` })
    const r = await runTq(['enqueue', 'echo', '--batch', bigBatch(project, 2 * 1024 * 1024)], { cwd: project.dir })
    expect(r.code, r.stderr).toBe(0)
    expect(jobCount(project.db)).toBe(1)
  })

  it('a tasks glob that matches no file is named', async () => {
    const project = makeProject({ files: TASKS, config: `{ broker: 'sqlite://.tq/tq.db', tasks: ['tasks/**/*.ts', 'jobz/**/*.ts'] }` })
    const line = expectError(await runTq(['enqueue', 'echo', '{}'], { cwd: project.dir }), 1)
    expect(line).toContain('tasks glob "jobz/**/*.ts" matched no file')
    expect(jobCount(project.db)).toBe(0)
  })

  it('an unknown config key is reported with the closest known key, top level and nested', async () => {
    const top = makeProject({ files: TASKS, config: `{ broker: 'sqlite://.tq/tq.db', wrker: { concurrency: 2 } } as never` })
    expect(expectError(await runTq(['enqueue', 'echo', '{}'], { cwd: top.dir }), 1)).toMatch(/unknown config key "wrker" \(did you mean worker\?\)$/)
    const nested = makeProject({ files: TASKS, config: `{ broker: 'sqlite://.tq/tq.db', worker: { concurency: 2 } } as never` })
    expect(expectError(await runTq(['enqueue', 'echo', '{}'], { cwd: nested.dir }), 1)).toMatch(/unknown config key "worker.concurency" \(did you mean worker.concurrency\?\)$/)
    expect(jobCount(top.db) + jobCount(nested.db)).toBe(0)
  })
})

describe('tq enqueue: unique keys and batches', () => {
  it('task a.k with key sub:1 and task a.k:sub with key 1 are two jobs', async () => {
    const project = makeProject({ files: TASKS })
    const first = await runTq(['enqueue', 'a.k', '{}', '--key', 'sub:1', '--json'], { cwd: project.dir })
    const second = await runTq(['enqueue', 'a.k:sub', '{}', '--key', '1', '--json'], { cwd: project.dir })
    expect(first.code, first.stderr).toBe(0)
    expect(second.code, second.stderr).toBe(0)
    const [a, b] = [JSON.parse(first.stdout), JSON.parse(second.stdout)] as { id: string; created: boolean }[]
    expect(a!.created && b!.created).toBe(true)
    expect(a!.id).not.toBe(b!.id)
    const jobs = await listJobs(project.dir)
    expect(jobs.map((j) => j.task).sort()).toEqual(['a.k', 'a.k:sub'])
  })

  it('--batch with --key reports created and existing jobs', async () => {
    const project = makeProject({ files: TASKS })
    const input = '{"n":1}\n{"n":2}\n{"n":3}\n'
    const json = await runTq(['enqueue', 'echo', '--batch', '-', '--key', 'k', '--json'], { cwd: project.dir, input })
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ count: 3, created: 1, existing: 2 })
    const text = await runTq(['enqueue', 'echo', '--batch', '-', '--key', 'k'], { cwd: project.dir, input })
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout.trim()).toBe('0 created, 3 existing (same unique key)')
    expect(jobCount(project.db)).toBe(1)
  })
})

describe('task results', () => {
  it('a task that returns a function fails the attempt instead of succeeding with null', async () => {
    const project = makeProject({ files: TASKS })
    const id = (await runTq(['enqueue', 'returns.fn', '{}'], { cwd: project.dir })).stdout.trim()
    const w = await runTq(['worker', '--burst'], { cwd: project.dir, timeoutMs: 60_000 })
    expect(w.code, w.stderr).toBe(0)
    const job = await waitForJobState(project.dir, id, ['failed', 'succeeded'])
    expect(job.state).toBe('failed')
    expect(job.error?.message).toMatch(/not JSON-serialisable: a function/)
  })
})
