import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { cleanupTemp, killAll, listJobs, makeProject, REPO_ROOT, runNode } from '../helpers/tq.js'
import { deletePrefix, uniquePrefix, urlWith } from '../redis/helpers.js'

const TQJS = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'index.js')).href

/** A producer script that enqueues through the default client and then simply ends. */
const script = (extra = '') => `
import { task${extra ? ', closeDefaultClient' : ''} } from ${JSON.stringify(TQJS)}
const ping = task('ping', async () => 'pong')
const job = await ping.enqueue({ n: 1 })
console.log(job.id)
${extra}
`

describe('a script that enqueues with the default client', () => {
  const prefixes: string[] = []
  afterEach(async () => {
    await killAll()
  })
  afterAll(async () => {
    for (const p of prefixes) await deletePrefix(p)
    cleanupTemp()
  })

  it('exits by itself on SQLite, with the job in the broker', async () => {
    const project = makeProject()
    project.write('enqueue.mjs', script())
    const r = await runNode(['enqueue.mjs'], { cwd: project.dir })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const jobs = await listJobs(project.dir)
    expect(jobs.map((j) => j.id)).toEqual([r.stdout.trim()])
  })

  for (const [name, extra] of [
    ['by itself', ''],
    ['after closeDefaultClient()', 'await closeDefaultClient()'],
  ] as const) {
    it(`exits ${name} on Redis, with the job in the broker`, async () => {
      const prefix = uniquePrefix()
      prefixes.push(prefix)
      const env = { TQ_BROKER_URL: urlWith({ prefix }) }
      const project = makeProject()
      project.write('enqueue.mjs', script(extra))
      const r = await runNode(['enqueue.mjs'], { cwd: project.dir, env })
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      const jobs = await listJobs(project.dir, [], env)
      expect(jobs.map((j) => j.id)).toEqual([r.stdout.trim()])
    })
  }
})
