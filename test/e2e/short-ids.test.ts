/**
 * Issue 10 item 5: `tq job`, `tq retry` and `tq cancel` take the short ids tq prints (an id's
 * last characters, a slot's `@HH:MM:SS`) and any unambiguous prefix; an ambiguous one is a usage
 * error naming the candidates.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SqliteBroker } from '../../src/broker/sqlite/sqlite-broker.js'
import { shortId } from '../../src/format/short-id.js'
import {
  cleanupTemp,
  deleteRedisKeys,
  E2E_REDIS,
  enqueueBatch,
  ERROR_LINE,
  getJob,
  killAll,
  makeProject,
  redisPrefix,
  redisUrl,
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

/** The ids in the first column of `tq jobs`, as printed. */
async function idsShownByTqJobs(cwd: string, args: string[] = []): Promise<string[]> {
  const r = await runTq(['jobs', ...args], { cwd })
  expect(r.code, r.stderr).toBe(0)
  return r.stdout.trim().split('\n').slice(1).map((line) => line.split(/\s+/)[0]!)
}

function expectOneErrorLine(r: RunResult, code: number): string {
  const lines = stderrLines(r)
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(ERROR_LINE)
  expect(r.code).toBe(code)
  expect(r.stdout).toBe('')
  return lines[0]!
}

describe('short ids on SQLite', () => {
  let project: TempProject
  let ids: string[]

  beforeAll(async () => {
    project = makeProject({ files: TASKS })
    // One batch: one process, one millisecond. The ids share their first characters, not their last.
    ids = await enqueueBatch(project.dir, 'echo', [{ n: 1 }, { n: 2 }, { n: 3 }])
  })

  it('shows a job by the short id of an id tq jobs prints', async () => {
    const shown = await idsShownByTqJobs(project.dir)
    expect(shown).toHaveLength(3)
    for (const printed of shown) {
      const short = shortId(printed)
      const r = await runTq(['job', short, '--json'], { cwd: project.dir })
      expect(r.code, r.stderr).toBe(0)
      expect((JSON.parse(r.stdout) as { id: string }).id).toBe(ids.find((id) => id.endsWith(short)))
    }
  })

  it('shows a job by an unambiguous prefix, and a whole id as before', async () => {
    const id = ids[1]!
    let n = 1
    while (ids.filter((other) => other.startsWith(id.slice(0, n))).length > 1) n++
    expect((await getJob(project.dir, id.slice(0, n))).id).toBe(id)
    expect((await getJob(project.dir, id)).id).toBe(id)
    expect((await getJob(project.dir, id.slice(-8).toUpperCase())).id).toBe(id)
  })

  it('refuses an ambiguous prefix with exit 2, naming the candidates', async () => {
    const prefix = ids[0]!.slice(0, 8)
    const r = await runTq(['job', prefix], { cwd: project.dir })
    const line = expectOneErrorLine(r, 2)
    expect(line).toMatch(new RegExp(`^Error: "${prefix}" is ambiguous: .* \\(type more characters\\)$`))
    for (const id of ids) expect(line).toContain(id)
  })

  it('says no job matches an id that names none', async () => {
    const r = await runTq(['job', 'no-such-job'], { cwd: project.dir })
    expect(expectOneErrorLine(r, 1)).toBe('Error: no job matches "no-such-job" (list jobs with tq jobs)')
  })

  it('cancels and retries by short id', async () => {
    const id = ids[2]!
    const cancel = await runTq(['cancel', shortId(id)], { cwd: project.dir })
    expect(cancel.code, cancel.stderr).toBe(0)
    expect(cancel.stdout).toBe(`cancelled ${id}\n`)
    expect((await getJob(project.dir, id)).state).toBe('cancelled')
    const retry = await runTq(['retry', shortId(id)], { cwd: project.dir })
    expect(retry.code, retry.stderr).toBe(0)
    expect(retry.stdout).toBe('requeued 1 job(s)\n')
    expect((await getJob(project.dir, id)).state).toBe('queued')
  })

  it('cancels nothing when one of the ids names no job or several', async () => {
    const bad = await runTq(['cancel', shortId(ids[0]!), 'no-such-job'], { cwd: project.dir })
    expectOneErrorLine(bad, 1)
    const ambiguous = await runTq(['retry', shortId(ids[0]!), ids[0]!.slice(0, 8)], { cwd: project.dir })
    expectOneErrorLine(ambiguous, 2)
    expect((await getJob(project.dir, ids[0]!)).state).toBe('queued')
  })

  it('finds a schedule slot by the @HH:MM:SS tq shows for it', async () => {
    const slot = 'schedule:nightly:2026-03-02T02:00:00.000Z'
    const broker = new SqliteBroker(project.db)
    try {
      await broker.enqueueSlot('nightly', Date.parse('2026-03-02T02:00:00.000Z'), {
        id: slot, task: 'echo', queue: 'default', payload: '{}', priority: 0, runAt: Date.parse('2026-03-02T02:00:00.000Z'), maxAttempts: 1,
      })
    } finally {
      await broker.close()
    }
    expect(shortId(slot)).toBe('@02:00:00')
    expect((await getJob(project.dir, '@02:00:00')).id).toBe(slot)
  })
})

describe('short ids on Redis', () => {
  const prefix = redisPrefix()
  afterAll(async () => void (await deleteRedisKeys(prefix, E2E_REDIS)))

  it('shows a job by the short id tq jobs prints, and refuses an ambiguous prefix', async () => {
    const project = makeProject({ files: TASKS, config: `{ broker: ${JSON.stringify(redisUrl({ prefix }))} }` })
    const ids = await enqueueBatch(project.dir, 'echo', [{ n: 1 }, { n: 2 }])
    const shown = await idsShownByTqJobs(project.dir)
    expect(shown).toHaveLength(2)
    const short = shortId(shown[0]!)
    expect((await getJob(project.dir, short)).id).toBe(ids.find((id) => id.endsWith(short)))
    expectOneErrorLine(await runTq(['job', ids[0]!.slice(0, 8)], { cwd: project.dir }), 2)
  })
})
