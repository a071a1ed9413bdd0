/**
 * Beat end to end (issue "beat"): several `tq beat` processes enqueue each slot once, catch-up
 * policies after downtime, `tq schedules` next runs against cron-parser, schedule errors, and
 * `tq dev` running schedules on its own.
 */
import { CronExpressionParser } from 'cron-parser'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  cleanupTemp,
  DEV_BANNER,
  duplicates,
  ERROR_LINE,
  killAll,
  listJobs,
  makeProject,
  ms,
  runTq,
  startBeat,
  startTq,
  stderrLines,
  type Job,
  type TqProcess,
} from '../helpers/tq.js'

afterEach(killAll)
afterAll(cleanupTemp)

const SECOND = 1000

/** One enqueue line of a beat's log: `⏰ <schedule> → <task> slot <ISO>[ (catch-up)]`. */
interface SlotLine {
  schedule: string
  slot: number
  catchUp: boolean
}

function slotLines(p: TqProcess): SlotLine[] {
  return [...p.stdout.matchAll(/⏰ (\S+) → \S+ slot (\S+)( \(catch-up\))?/g)].map((m) => ({ schedule: m[1]!, slot: Date.parse(m[2]!), catchUp: m[3] !== undefined }))
}

/** A schedule's jobs: their ids are `schedule:<name>:<slot ISO>`. */
const jobsOf = (jobs: Job[], name: string) => jobs.filter((j) => j.id.startsWith(`schedule:${name}:`))

async function stop(p: TqProcess): Promise<void> {
  p.kill('SIGTERM')
  const exit = await p.waitExit(20_000)
  expect(exit.code, `tq ${p.args.join(' ')} exit; stderr:\n${p.stderr}`).toBe(0)
}

describe('several beats on one broker', () => {
  it("three `tq beat` with an every '1s' schedule for 10 s: 9-11 jobs in those 10 s, no runAt twice", async () => {
    const project = makeProject({
      files: {
        'tasks/tick.ts': `import { task, schedule } from 'tqjs'
export const tick = task('tick', async () => 'tock')
export const everySecond = schedule({ every: '1s' }, tick)
`,
      },
    })
    const beats = await Promise.all([0, 1, 2].map(() => startBeat(project.dir)))
    const from = Date.now()
    const to = from + 10 * SECOND
    // Run until the last slot of the 10 s window has been enqueued (by whichever beat).
    const lastSlot = Math.floor(to / SECOND) * SECOND
    await Promise.race(beats.map((b) => b.waitFor((p) => slotLines(p).some((l) => l.slot === lastSlot), `slot ${new Date(lastSlot).toISOString()}`, 25_000)))
    await Promise.all(beats.map(stop))

    const jobs = jobsOf(await listJobs(project.dir), 'everySecond')
    const runAts = jobs.map((j) => ms(j.runAt))
    expect(duplicates(runAts)).toEqual([])
    expect(duplicates(jobs.map((j) => j.id))).toEqual([])
    const inWindow = runAts.filter((t) => t > from && t <= to)
    console.log(`[beat] 3 beats: ${inWindow.length} jobs in the 10 s window, ${jobs.length} in all`)
    expect(inWindow.length).toBeGreaterThanOrEqual(9)
    expect(inWindow.length).toBeLessThanOrEqual(11)
    // Every slot between the first and the last is there once: no gap, no double.
    const sorted = [...runAts].sort((a, b) => a - b)
    expect(sorted.every((t) => t % SECOND === 0)).toBe(true)
    expect(sorted.length).toBe((sorted[sorted.length - 1]! - sorted[0]!) / SECOND + 1)
    for (const j of jobs) expect(j.id).toBe(`schedule:everySecond:${j.runAt}`)
    // The beats' logs (one line per slot a beat created) add up to the jobs, with no slot twice.
    const logged = beats.flatMap((b) => slotLines(b).map((l) => l.slot))
    expect(duplicates(logged)).toEqual([])
    expect(logged.sort((a, b) => a - b)).toEqual(sorted)
  })
})

describe('catch-up after downtime', () => {
  it("beat stopped ~5 s and restarted: 'latest' enqueues the last missed slot, 'all' each, 'none' none", async () => {
    const project = makeProject({
      files: {
        'tasks/tick.ts': `import { task, schedule } from 'tqjs'
export const tick = task('tick', async () => 'tock')
export const catchLatest = schedule({ every: '1s' }, tick, { catchUp: 'latest' })
export const catchAll = schedule({ every: '1s' }, tick, { catchUp: 'all' })
export const catchNone = schedule({ every: '1s' }, tick, { catchUp: 'none' })
`,
      },
    })
    const names = ['catchLatest', 'catchAll', 'catchNone']
    const beat1 = await startBeat(project.dir)
    await beat1.waitFor((p) => names.every((n) => slotLines(p).some((l) => l.schedule === n)), 'a slot of each schedule', 20_000)
    await stop(beat1)
    const lastBefore = new Map(names.map((n) => [n, Math.max(...slotLines(beat1).filter((l) => l.schedule === n).map((l) => l.slot))]))

    // The downtime under test: no beat runs for 5 s.
    await new Promise((r) => setTimeout(r, 5 * SECOND))

    const beat2 = await startBeat(project.dir)
    await beat2.waitFor((p) => names.every((n) => slotLines(p).some((l) => l.schedule === n && !l.catchUp)), 'an on-time slot of each schedule', 20_000)
    await stop(beat2)

    const jobs = await listJobs(project.dir)
    const report: string[] = []
    for (const name of names) {
      const mine = jobsOf(jobs, name)
      expect(duplicates(mine.map((j) => j.runAt))).toEqual([])
      const l1 = lastBefore.get(name)!
      expect(mine.some((j) => ms(j.runAt) === l1)).toBe(true)
      // The downtime window: after beat 1's last slot, before beat 2's first on-time slot.
      const firstOnTime = Math.min(...slotLines(beat2).filter((l) => l.schedule === name && !l.catchUp).map((l) => l.slot))
      const windowSlots: number[] = []
      for (let t = l1 + SECOND; t < firstOnTime; t += SECOND) windowSlots.push(t)
      const inWindow = mine.map((j) => ms(j.runAt)).filter((t) => t > l1 && t < firstOnTime).sort((a, b) => a - b)
      const caughtUp = slotLines(beat2).filter((l) => l.schedule === name && l.catchUp).map((l) => l.slot)
      report.push(`${name}: ${windowSlots.length} missed slots, ${inWindow.length} jobs in the window`)
      expect(windowSlots.length, `${name}: ~5 s of downtime`).toBeGreaterThanOrEqual(4)
      if (name === 'catchAll') {
        expect(inWindow).toEqual(windowSlots)
        expect(caughtUp.sort((a, b) => a - b)).toEqual(windowSlots)
      } else if (name === 'catchNone') {
        expect(inWindow).toEqual([])
        expect(caughtUp).toEqual([])
        expect(beat2.stdout).toMatch(new RegExp(`${name} skipped ${windowSlots.length} missed slot`))
      } else if (inWindow.length === 0 && new RegExp(`${name} skipped ${windowSlots.length} missed slot`).test(beat2.stdout)) {
        // Edge case (src/beat/beat.ts runDue): when a slot comes due between beat 2's start and its
        // first tick, that on-time slot stands in for the catch-up and every missed slot is skipped.
        // Rare (the window is the few ms of the first broker round trip); tolerated, and logged.
        console.log(`[beat] note: ${name}: the first tick had an on-time slot; the catch-up was folded into it`)
      } else {
        expect(inWindow).toEqual([windowSlots[windowSlots.length - 1]])
        expect(caughtUp).toEqual(inWindow)
        expect(beat2.stdout).toMatch(new RegExp(`${name} skipped ${windowSlots.length - 1} missed slot`))
      }
    }
    console.log(`[beat] catch-up: ${report.join('; ')}`)
  })
})

describe('tq schedules', () => {
  it("--json next runs of '0 3 * * *' in Europe/Paris equal cron-parser's", async () => {
    const project = makeProject({
      files: {
        'tasks/nightly.ts': `import { task, schedule } from 'tqjs'
export const cleanup = task('db.cleanup', async () => 'clean')
export const nightly = schedule('0 3 * * *', cleanup, { tz: 'Europe/Paris' })
`,
      },
    })
    const before = Date.now()
    const r = await runTq(['schedules', '--json'], { cwd: project.dir })
    const after = Date.now()
    expect(r.code, r.stderr).toBe(0)
    const views = JSON.parse(r.stdout) as { name: string; task: string; expression: string; tz: string; next: string[] }[]
    expect(views).toHaveLength(1)
    expect(views[0]).toMatchObject({ name: 'nightly', task: 'db.cleanup', expression: '0 3 * * *', tz: 'Europe/Paris' })
    const expected = (at: number) => {
      const it = CronExpressionParser.parse('0 3 * * *', { currentDate: new Date(at), tz: 'Europe/Paris' })
      return [0, 1, 2].map(() => new Date(it.next().getTime()).toISOString())
    }
    // (Both ends of the command's run give the same answer unless it straddled 03:00 in Paris.)
    expect([expected(before), expected(after)]).toContainEqual(views[0]!.next)
    expect(views[0]!.next).toHaveLength(3)
    // 03:00 in Paris is 01:00 or 02:00 UTC.
    for (const t of views[0]!.next) expect(t).toMatch(/T0[12]:00:00\.000Z$/)
  })
})

describe('schedule errors', () => {
  const cases = [
    { what: 'an invalid cron expression', schedule: `schedule('61 * * * *', tick)`, problem: /invalid cron expression "61 \* \* \* \*"/ },
    { what: 'an unknown time zone', schedule: `schedule('0 3 * * *', tick, { tz: 'Mars/Olympus' })`, problem: /unknown time zone "Mars\/Olympus"/ },
  ]
  for (const c of cases) {
    it(`${c.what}: tq beat and tq schedules fail with one line naming the file, the schedule and the problem`, async () => {
      const project = makeProject({
        files: {
          'tasks/ok.ts': `import { task } from 'tqjs'\nexport const fine = task('fine', async () => 1)\n`,
          'tasks/bad.ts': `import { task, schedule } from 'tqjs'
export const tick = task('tick', async () => 1)
export const broken = ${c.schedule}
`,
        },
      })
      const [beat, schedules] = await Promise.all([
        runTq(['beat'], { cwd: project.dir, timeoutMs: 20_000 }),
        runTq(['schedules'], { cwd: project.dir, timeoutMs: 20_000 }),
      ])
      for (const r of [beat, schedules]) {
        expect(r.timedOut, `hung; stderr: ${r.stderr}`).toBe(false)
        expect(r.code).not.toBe(0)
        const lines = stderrLines(r)
        expect(lines, r.stderr).toHaveLength(1)
        expect(lines[0]).toMatch(ERROR_LINE)
        expect(lines[0]).toContain('tasks/bad.ts')
        expect(lines[0]).toContain('"broken"')
        expect(lines[0]).toMatch(c.problem)
        expect(r.stdout.trim()).toBe('')
      }
    })
  }
})

describe('tq dev runs schedules', () => {
  it("an every '1s' schedule's job succeeds under tq dev alone", async () => {
    const project = makeProject({
      files: {
        'tasks/tick.ts': `import { task, schedule } from 'tqjs'
export const tick = task('tick', async () => ({ tock: true }))
export const everySecond = schedule({ every: '1s' }, tick)
`,
      },
    })
    const dev = startTq(['dev'], { cwd: project.dir })
    await dev.waitForOutput(DEV_BANNER, 30_000, 'stdout')
    // Schedule jobs show with their slot time as the short id: `✓ tick @HH:MM:SS`.
    await dev.waitForOutput(/✓ tick @\d\d:\d\d:\d\d/, 20_000, 'stdout')
    // (Read while tq dev runs; stopping it gracefully is dev.test.ts's business.)
    const done = jobsOf(await listJobs(project.dir, ['--state', 'succeeded']), 'everySecond')
    expect(done.length).toBeGreaterThanOrEqual(1)
    expect(done[0]).toMatchObject({ task: 'tick', result: { tock: true } })
  })
})

describe('one enqueue pipeline for schedules', () => {
  // The task's schema normalises the payload and its unique key comes from it; a config schedule
  // names the task. Beat inside tq dev (tasks in threads) and tq beat (tasks in process) must
  // build the same job: the schema's output as payload, the task's key, its queue and retries.
  const files = {
    'tasks/norm.ts': `import { task, schedule } from 'tqjs'
const withDefaults = { parse: (v: unknown) => ({ n: 1, ...(v as object), normalised: true }) }
export const norm = task('norm', async (p: { n: number }) => p.n, {
  schema: withDefaults, unique: (p) => 'k' + p.n, queue: 'beats', retries: 2,
})
export const everySecond = schedule({ every: '1s' }, norm, { payload: { n: 7 } })
`,
  }
  const config = `{ broker: 'sqlite://.tq/tq.db', schedules: { fromConfig: { every: '1s', task: 'norm', payload: { n: 9 } } } }`
  const expected = (n: number) => ({ task: 'norm', queue: 'beats', maxAttempts: 3, key: `norm#k${n}`, payload: { n, normalised: true } })

  for (const [what, args] of [['tq beat', ['beat']], ['tq dev', ['dev']]] as const) {
    it(`${what}: module and config schedules get the schema's payload and the task's key, queue and retries`, async () => {
      const project = makeProject({ files, config })
      const p = startTq([...args], { cwd: project.dir })
      let jobs: Job[] = []
      await expect
        .poll(async () => {
          jobs = await listJobs(project.dir)
          return jobsOf(jobs, 'everySecond').length > 0 && jobsOf(jobs, 'fromConfig').length > 0
        }, { timeout: 60_000, interval: 1000 })
        .toBe(true)
      expect(jobsOf(jobs, 'everySecond')[0]).toMatchObject(expected(7))
      expect(jobsOf(jobs, 'fromConfig')[0]).toMatchObject(expected(9))
      await stop(p)
    })
  }
})
