/**
 * Workflows end to end, on SQLite, Redis and Postgres: a user's script enqueues chains, groups and chords
 * (`import { chain, group, chord } from 'tqjs'`), real `tq worker` processes run them, and the
 * script reads the results. Also: failure rules, cancel of a running workflow, `tq job` on a
 * workflow, and `kill -9` of a worker during a 1,000-header chord (the body runs exactly once).
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  cleanupTemp,
  deleteRedisKeys,
  killAll,
  makeProject,
  readLines,
  redisPrefix,
  redisUrl,
  REPO_ROOT,
  runNode,
  runTq,
  startTq,
  WORKER_BANNER,
  type TempProject,
} from '../helpers/tq.js'
import { dropSchema, uniqueSchema, urlWith as pgUrlWith } from '../postgres/helpers.js'

afterEach(killAll)
afterAll(cleanupTemp)

const TQJS = JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'index.js')).href)

const TASKS = (ranFile: string) => ({
  'tasks/pages.ts': `
import { appendFileSync, existsSync, writeFileSync } from 'node:fs'
import { defineTask, task } from 'tqjs'
export const once = task('once', async (p: { n: number }) => {
  // Fails the first time it runs in this project, then succeeds.
  const mark = ${JSON.stringify(ranFile)} + '.once'
  if (!existsSync(mark)) {
    writeFileSync(mark, '')
    throw new Error('first time fails')
  }
  return p.n
})
export const fetchPage = task('fetch', async (p: { url: string }) => ({ html: '<p>' + p.url + ' has words</p>' }))
export const parse = task('parse', async (p: { html: string }) => ({ words: p.html.split(' ').length }))
export const store = task('store', async (p: { words: number }) => ({ saved: true, words: p.words }))
export const count = task('count', async (p: { n: number }) => p.n)
export const double = task('double', async (n: number) => n * 2)
export const total = task('total', async (ns: number[]) => {
  appendFileSync(${JSON.stringify(ranFile)}, 'total ' + ns.length + '\\n')
  return ns.reduce((a, b) => a + b, 0)
})
export const flaky = task('flaky', async (p: { n: number }) => {
  if (p.n < 0) throw new Error('negative ' + p.n)
  return p.n
})
export const summarise = task('summarise', async (outcomes: { ok: boolean }[]) => outcomes.map((o) => (o.ok ? 'ok' : 'failed')).join(','))
export const slow = task('slow', async (_: {}, ctx) => {
  appendFileSync(${JSON.stringify(ranFile)}, 'slow started\\n')
  await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))
})
export const tick = task('tick', async (p: { i: number }) => {
  // A little work, so a worker killed mid-chord has jobs in flight.
  await new Promise((r) => setTimeout(r, 10))
  return p.i
})
`,
})

/** A producer script importing tqjs as a user would; it prints what it learns as JSON lines. */
function script(project: TempProject, name: string, body: string): string {
  const file = project.path(name)
  writeFileSync(
    file,
    `import { connect, chain, group, chord, defineTask } from ${TQJS}
// A producer imports contracts only (no handlers): the names are the tasks' in tasks/pages.ts.
const [fetchPage, parse, store, count, double, total, flaky, summarise, slow, tick, once] =
  ['fetch', 'parse', 'store', 'count', 'double', 'total', 'flaky', 'summarise', 'slow', 'tick', 'once'].map((n) => defineTask(n))
const tq = await connect()
const out = (v) => console.log(JSON.stringify(v))
const outcome = (p) => p.then((value) => ({ value }), (e) => ({ error: e.message, state: e.state }))
${body}
await tq.close()
`,
  )
  return file
}

const BROKERS = [
  { name: 'sqlite', config: () => ({ config: `{ broker: 'sqlite://.tq/tq.db' }`, cleanup: async () => {} }) },
  {
    name: 'redis',
    config: () => {
      const prefix = redisPrefix()
      return { config: `{ broker: ${JSON.stringify(redisUrl({ prefix }))} }`, cleanup: () => deleteRedisKeys(prefix) }
    },
  },
  {
    name: 'postgres',
    config: () => {
      const schema = uniqueSchema()
      return { config: `{ broker: ${JSON.stringify(pgUrlWith({ schema }))} }`, cleanup: () => dropSchema(schema) }
    },
  },
]

for (const b of BROKERS) {
  describe(`workflows on ${b.name}`, () => {
    const cleanups: (() => Promise<unknown>)[] = []
    afterEach(async () => {
      for (const c of cleanups.splice(0)) await c()
    })

    function project(): TempProject & { ran: string } {
      const { config, cleanup } = b.config()
      cleanups.push(cleanup)
      const dir = makeProject({ config })
      const ran = dir.path('ran.txt')
      for (const [rel, text] of Object.entries(TASKS(ran))) dir.write(rel, text)
      // Producer scripts import the task modules (TypeScript) for their types and names.
      return { ...dir, ran }
    }

    it('chains, groups, chords and nesting from a script, with their results', async () => {
      const p = project()
      startTq(['worker', '--concurrency', '8'], { cwd: p.dir })
      const file = script(
        p,
        'shapes.mjs',
        `
out(await (await tq.enqueue(chain(fetchPage.s({ url: 'a.com' }), parse.s(), store.s()))).result({ timeout: '60s' }))
out(await (await tq.enqueue(group([count.s({ n: 1 }), count.s({ n: 2 }), count.s({ n: 3 })]))).result({ timeout: '60s' }))
out(await (await tq.enqueue(chord([count.s({ n: 1 }), count.s({ n: 2 })], total.s()))).result({ timeout: '60s' }))
// A group in a chain passes its array on; a chord inside a chain feeds the next link.
out(await (await tq.enqueue(chain(count.s({ n: 5 }), group([double.s(), double.s()]), total.s()))).result({ timeout: '60s' }))
out(await (await tq.enqueue(chain(count.s({ n: 2 }), chord([double.s(), double.s()], total.s()), double.s()))).result({ timeout: '60s' }))
// A group of chains.
out(await (await tq.enqueue(group([chain(count.s({ n: 1 }), double.s()), chain(count.s({ n: 10 }), double.s(), double.s())]))).result({ timeout: '60s' }))
`,
      )
      const r = await runNode([file], { cwd: p.dir, timeoutMs: 120_000 })
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
        { saved: true, words: 3 },
        [1, 2, 3],
        3,
        20,
        16,
        [2, 40],
      ])
    })

    it('a failing link stops its chain; a failing header fails the chord body unless it runs anyway', async () => {
      const p = project()
      startTq(['worker', '--concurrency', '4'], { cwd: p.dir })
      const file = script(
        p,
        'failures.mjs',
        `
const c = await tq.enqueue(chain(flaky.s({ n: -1 }), double.s(), double.s()))
out(await outcome(c.result({ timeout: '60s' })))
const d = await tq.enqueue(chord([flaky.s({ n: 1 }), flaky.s({ n: -2 }), flaky.s({ n: -3 })], total.s()))
out(await outcome(d.result({ timeout: '60s' })))
const e = await tq.enqueue(chord([flaky.s({ n: 1 }), flaky.s({ n: -2 })], summarise.s(), { runAnyway: true }))
out(await outcome(e.result({ timeout: '60s' })))
`,
      )
      const r = await runNode([file], { cwd: p.dir, timeoutMs: 120_000 })
      expect(r.code, r.stderr).toBe(0)
      const [chainOut, chordOut, anyway] = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
      expect(chainOut.state).toBe('failed')
      expect(chainOut.error).toMatch(/\(double\) cancelled: a step it waits for did not succeed/)
      expect(chordOut.state).toBe('failed')
      expect(chordOut.error).toMatch(/\(total\) failed: 2 of the 3 steps it waits for did not succeed: .*negative -2.*negative -3/)
      expect(anyway).toEqual({ value: 'ok,failed' })
      // The body of the failed chord never ran.
      expect(existsSync(p.ran) ? readLines(p.ran).filter((l) => l.startsWith('total')) : []).toEqual([])
    })

    it('tq retry of a failed workflow resumes it from the failed step', async () => {
      const p = project()
      startTq(['worker', '--concurrency', '2'], { cwd: p.dir })
      const first = script(
        p,
        'first.mjs',
        `
const w = await tq.enqueue(chain(once.s({ n: 21 }), double.s()))
out(w.id)
out(await outcome(w.result({ timeout: '60s' })))
`,
      )
      const r1 = await runNode([first], { cwd: p.dir, timeoutMs: 120_000 })
      expect(r1.code, r1.stderr).toBe(0)
      const [id, failed] = r1.stdout.trim().split('\n').map((l) => JSON.parse(l))
      expect(failed.state).toBe('failed')
      // The step that never ran is not retried by itself: the error says what to retry.
      const steps = JSON.parse((await runTq(['jobs', '--workflow', id, '--json'], { cwd: p.dir })).stdout) as { id: string; task: string }[]
      const never = await runTq(['retry', steps.find((s) => s.task === 'double')!.id], { cwd: p.dir })
      expect(never.code).not.toBe(0)
      expect(never.stderr).toMatch(/never ran: a step it waits for did not succeed/)
      const retried = await runTq(['retry', id], { cwd: p.dir })
      expect(retried.code, retried.stderr).toBe(0)
      expect(retried.stdout).toMatch(/requeued 1 job/)
      const second = script(p, 'second.mjs', `out(await tq.job(${JSON.stringify(id)}).result({ timeout: '60s' }))`)
      const r2 = await runNode([second], { cwd: p.dir, timeoutMs: 120_000 })
      expect(r2.code, r2.stderr).toBe(0)
      expect(JSON.parse(r2.stdout.trim())).toBe(42)
    })

    it('cancel of a running workflow cancels every step and aborts the running one; tq job shows the graph', async () => {
      const p = project()
      const worker = startTq(['worker', '--concurrency', '2'], { cwd: p.dir })
      const file = script(
        p,
        'cancel.mjs',
        `
const w = await tq.enqueue(chain(slow.s({}), double.s(), double.s()))
out(w.id)
// Cancel once the first step is running.
const { existsSync } = await import('node:fs')
while (!existsSync(${JSON.stringify(p.ran)})) await new Promise((r) => setTimeout(r, 50))
await w.cancel()
out(await outcome(w.result({ timeout: '60s' })))
`,
      )
      const r = await runNode([file], { cwd: p.dir, timeoutMs: 120_000 })
      expect(r.code, r.stderr).toBe(0)
      const [id, result] = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
      expect(result.state).toBe('cancelled')
      await worker.waitFor((w) => / slow .*/.test(w.stdout) && /⊘ slow/.test(w.stdout), 'the running step aborted', 60_000)
      const listed = await runTq(['jobs', '--workflow', id, '--json'], { cwd: p.dir })
      expect(listed.code, listed.stderr).toBe(0)
      const steps = JSON.parse(listed.stdout) as { task: string; state: string }[]
      expect(steps.map((s) => s.task).sort()).toEqual(['double', 'double', 'slow', 'tq.workflow'])
      expect(steps.every((s) => s.state === 'cancelled')).toBe(true)
      const shown = await runTq(['job', id], { cwd: p.dir, env: { NO_COLOR: '1' } })
      expect(shown.code, shown.stderr).toBe(0)
      expect(shown.stdout).toMatch(/workflow\s+\S+\s+cancelled\s+3 steps/)
      expect(shown.stdout).toMatch(/1\s+\S+\s+cancelled\s+slow/)
      expect(shown.stdout).toMatch(/3\s+\S+\s+cancelled\s+double\s+← \S+/)
    })

    it('kill -9 of a worker during a 1,000-header chord: the body runs exactly once, with 1,000 results in order', async () => {
      const p = project()
      const ran = p.ran
      const first = startTq(['worker', '--concurrency', '10'], { cwd: p.dir })
      const second = startTq(['worker', '--concurrency', '10'], { cwd: p.dir })
      // Both ready before the chord is enqueued: on a busy machine a worker still starting would
      // leave the whole chord to the other, and the kill would land after the work.
      for (const w of [first, second]) await w.waitForOutput(WORKER_BANNER, 60_000, 'stderr')
      const file = script(
        p,
        'chord.mjs',
        `
  const d = await tq.enqueue(chord(Array.from({ length: 1000 }, (_, i) => tick.s({ i })), total.s()))
  out(d.id)
  out(await d.result({ timeout: '170s' }))
  `,
      )
      const producer = runNode([file], { cwd: p.dir, timeoutMs: 175_000 })
      // Kill one worker once it has run some header jobs, with others in flight.
      await first.waitFor((w) => (w.stdout.match(/ ✓ tick /g) ?? []).length >= 50, '50 header jobs done by the first worker', 120_000)
      first.kill('SIGKILL')
      expect((await first.waitExit(10_000)).signal).toBe('SIGKILL')
      const r = await producer
      expect(r.code, r.stderr).toBe(0)
      const [, result] = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
      expect(result).toBe((999 * 1000) / 2)
      // Exactly once: one line from the body, with all 1,000 results.
      expect(readLines(ran).filter((l) => l.startsWith('total'))).toEqual(['total 1000'])
      second.kill('SIGTERM')
    })
  })
}
