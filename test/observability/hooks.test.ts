/**
 * Config hooks run in the worker process with the job's JSON and error: one that throws is logged
 * in one line, one that hangs is abandoned after hooks.timeout, and neither delays or fails a job.
 */
import { readFileSync } from 'node:fs'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { connect } from '../../src/app/client.js'
import { cleanupTemp, enqueueJob, killAll, LOADED_TEST_MS, readLines, runTq } from '../helpers/tq.js'
import { obsProject } from './fixture.js'

const CONFIG = `{
  broker: 'sqlite://.tq/tq.db',
  hooks: {
    succeeded: (job) => {
      record('succeeded', job)
      throw new Error('hook exploded')
    },
    // Never settles: the worker must abandon it after the timeout and still finish.
    failed: (job, error) => {
      record('failed', job, error)
      return new Promise(() => {})
    },
    retrying: (job, error) => record('retrying', job, error),
    expired: (job) => record('expired', job),
    timeout: '300ms',
  },
}`

const PREAMBLE = `import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
const record = (hook: string, job: unknown, error?: unknown) => appendFileSync(join(process.cwd(), 'hooks.ndjson'), JSON.stringify({ hook, job, error }) + '\\n')
`

interface Call {
  hook: string
  job: { id: string; task: string; state: string; result: unknown; attempt: number }
  error?: { name?: string; message: string }
}

describe('config hooks', () => {
  afterAll(cleanupTemp)
  afterEach(killAll)

  it(
    'get the job JSON and error; a throwing hook and a hanging hook neither delay nor fail jobs',
    async () => {
      const project = obsProject(CONFIG)
      // The config with a preamble: defineConfig's import stays first.
      const text = readFileSync(project.path('tq.config.ts'), 'utf8')
      project.write('tq.config.ts', text.replace(/^(import .*\n)/, `$1${PREAMBLE}`))
      const client = await connect({ config: project.path('tq.config.ts') })
      const ok = await client.enqueueMany('obs.ok', [{ n: 1 }, { n: 2 }])
      const boom = await client.enqueue('obs.boom', {})
      const late = await client.enqueue('obs.ok', { n: 9 }, { expires: 1 })
      const flaky = await enqueueJob(project.dir, 'obs.flaky', {})

      const r = await runTq(['worker', '--burst'], { cwd: project.dir, timeoutMs: LOADED_TEST_MS })
      expect(r.code, r.stderr).toBe(0)
      for (const h of ok) expect((await h.get())!.state).toBe('succeeded')
      expect((await boom.get())!.state).toBe('failed')
      expect((await late.get())!.state).toBe('expired')
      expect((await client.job(flaky).get())!).toMatchObject({ state: 'failed', attempt: 2 })
      await client.close()

      const calls = readLines(project.path('hooks.ndjson')).map((l) => JSON.parse(l) as Call)
      const of = (hook: string) => calls.filter((c) => c.hook === hook)
      expect(of('succeeded').map((c) => c.job.result).sort()).toEqual([1, 2])
      expect(of('succeeded').every((c) => c.job.state === 'succeeded' && c.error === undefined)).toBe(true)
      expect(of('failed').map((c) => c.job.id).sort()).toEqual([boom.id, flaky].sort())
      expect(of('failed').find((c) => c.job.id === boom.id)!.error).toMatchObject({ name: 'TypeError', message: 'boom' })
      expect(of('retrying')).toHaveLength(1)
      expect(of('retrying')[0]).toMatchObject({ job: { id: flaky, task: 'obs.flaky', state: 'scheduled', attempt: 1 }, error: { message: 'flaky' } })
      expect(of('expired').map((c) => c.job.id)).toEqual([late.id])

      const lines = r.stderr.split('\n')
      expect(lines.filter((l) => /^hook succeeded for job \S+ threw: Error: hook exploded$/.test(l))).toHaveLength(2)
      expect(lines.filter((l) => /^hook failed for job \S+ did not finish within 300 ms; abandoned$/.test(l))).toHaveLength(2)
    },
    LOADED_TEST_MS,
  )

  it('refuses a hook that is not a function, naming the key', async () => {
    const project = obsProject(`{ broker: 'sqlite://.tq/tq.db', hooks: { failed: 'slack' } as any }`)
    const r = await runTq(['worker', '--burst'], { cwd: project.dir })
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/hooks\.failed must be a function/)
  })
})

describe('the instrumentation module', () => {
  afterAll(cleanupTemp)
  it('a missing one is named in one line, and the worker exits non-zero', async () => {
    const project = obsProject(`{ broker: 'sqlite://.tq/tq.db', instrumentation: './otel-missing.ts' }`)
    const r = await runTq(['worker', '--burst'], { cwd: project.dir })
    expect(r.code).not.toBe(0)
    const lines = r.stderr.split('\n').filter(Boolean)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^Error: instrumentation module \S+otel-missing\.ts does not exist \(fix instrumentation in \S+tq\.config\.ts, or create the file\)$/)
  })

  it('is imported before the task modules, in the worker and in each task thread', async () => {
    const project = obsProject(`{ broker: 'sqlite://.tq/tq.db', instrumentation: './first.ts', worker: { threads: 2 } }`, {
      'first.ts': `import { appendFileSync } from 'node:fs'\nimport { isMainThread } from 'node:worker_threads'\nappendFileSync('order.log', (isMainThread ? 'instrumentation main' : 'instrumentation thread') + '\\n')\n`,
      'tasks/z.ts': `import { appendFileSync } from 'node:fs'\nimport { task } from 'tqjs'\nappendFileSync('order.log', 'tasks\\n')\nexport const z = task('z.z', async () => 1)\n`,
    })
    const r = await runTq(['worker', '--burst'], { cwd: project.dir, timeoutMs: LOADED_TEST_MS })
    expect(r.code, r.stderr).toBe(0)
    const lines = readLines(project.path('order.log'))
    expect(lines[0]).toBe('instrumentation main')
    expect(lines.filter((l) => l === 'instrumentation thread').length).toBeGreaterThanOrEqual(2)
    // In each thread the instrumentation comes before the tasks: never more task loads than instrumentation loads so far.
    let inThreads = 0
    for (const l of lines.slice(1)) {
      if (l === 'instrumentation thread') inThreads++
      else expect(inThreads).toBeGreaterThan(0)
    }
  })
})
