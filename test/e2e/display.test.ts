/**
 * Human output end to end through the real binary (issue 10, items 1, 6 and 14): a 10 MB payload
 * in `tq job`, escapes from task names, errors and log lines in `tq jobs`, `tq job`, `tq dev` and
 * the `Error:` line (with `--json` exact), the `tq dev` banner, and `tq pause` on an unknown queue.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { openBroker } from '../../src/broker/open-broker.js'
import { cleanupTemp, DEV_BANNER, enqueueJob, killAll, makeProject, runTq, startTq, waitForJobState } from '../helpers/tq.js'

afterEach(killAll)
afterAll(cleanupTemp)

const EVIL = '\x1b]0;x\x07\x1b[2J'
/** Any raw control character but the newline. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/

/** Jobs put straight into a project's SQLite file, as any producer would. */
async function enqueueDirect(dbFile: string, dir: string, jobs: { task: string; queue?: string; payload: string }[]): Promise<string[]> {
  const broker = await openBroker(`sqlite://${dbFile}`, dir)
  try {
    const out = await broker.enqueue(jobs.map((j) => ({ queue: 'default', priority: 0, runAt: Date.now(), maxAttempts: 1, ...j })))
    return out.map((r) => r.id)
  } finally {
    await broker.close()
  }
}

describe('human output', () => {
  it('tq job shows a 10 MB payload cut with a note; --json prints all of it', async () => {
    const project = makeProject()
    const blob = 'y'.repeat(10 * 1024 * 1024)
    const [id] = await enqueueDirect(project.db, project.dir, [{ task: 'big.one', payload: JSON.stringify({ blob }) }])
    const human = await runTq(['job', id!], { cwd: project.dir })
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('yyyy')
    expect(human.stdout.replace(/\s+/g, ' ')).toMatch(/… [\d,]+ more characters \(tq job \S+ --json prints everything\)/)
    expect(human.stdout.length).toBeLessThan(20_000)
    const json = await runTq(['job', id!, '--json'], { cwd: project.dir })
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout).payload.blob).toBe(blob)
  })

  it('no escape from a task name, an error or a log line reaches the terminal; --json keeps them exact', async () => {
    const project = makeProject({
      files: {
        'tasks/evil.ts': `import { task } from 'tqjs'
const EVIL = ${JSON.stringify(EVIL)}
export const evil = task('evil', async (_p: unknown, ctx) => {
  ctx.log('said' + EVIL)
  throw new Error('boom' + EVIL)
})
`,
      },
    })
    const dev = startTq(['dev', '--no-beat'], { cwd: project.dir })
    await dev.waitFor((p) => /reloads on save/.test(p.stdout), 'the tq dev banner', 30_000)
    const id = await enqueueJob(project.dir, 'evil', null)
    await waitForJobState(project.dir, id, ['failed'])
    await dev.waitFor((p) => /boom/.test(p.stdout) && /said/.test(p.stdout), 'the failure and log lines', 30_000)
    expect(dev.stdout).toContain('said␛]0;x␇␛[2J')
    expect(dev.stdout).toContain('boom␛]0;x␇␛[2J')
    expect(dev.stdout).not.toMatch(RAW_CONTROL)
    await enqueueDirect(project.db, project.dir, [{ task: `name${EVIL}`, queue: `queue${EVIL}`, payload: '{}' }])

    const jobs = await runTq(['jobs'], { cwd: project.dir })
    const job = await runTq(['job', id], { cwd: project.dir })
    const missing = await runTq(['job', `nope${EVIL}`], { cwd: project.dir })
    for (const out of [jobs.stdout, job.stdout, missing.stderr]) expect(out).not.toMatch(RAW_CONTROL)
    expect(jobs.stdout).toContain('name␛]0;x␇␛[2J')
    expect(jobs.stdout).toContain('boom␛]0;x␇␛[2J')
    expect(job.stdout).toContain('boom␛]0;x␇␛[2J')
    expect(missing.stderr).toMatch(/^Error: no job matches "nope␛]0;x␇␛\[2J" \(.+\)\n$/)

    const listed = JSON.parse((await runTq(['jobs', '--json'], { cwd: project.dir })).stdout) as { id: string; task: string; queue: string; error: { message: string } | null }[]
    expect(listed.find((j) => j.id === id)!.error!.message).toBe(`boom${EVIL}`)
    expect(listed.some((j) => j.task === `name${EVIL}` && j.queue === `queue${EVIL}`)).toBe(true)
  })

  it('tq dev --no-beat: the banner comes before queued jobs run, says beat is off, and suggests a payload the task takes', async () => {
    const project = makeProject({
      files: {
        'tasks/hello.ts': `import { schedule, task } from 'tqjs'
export const greet = task('hello.greet', async (p: { name: string }) => ({ hi: p.name }))
export const often = schedule({ every: '1h' }, greet, { payload: { name: 'beat' } })
`,
      },
    })
    const ids = [await enqueueJob(project.dir, 'hello.greet', { name: 'a' }), await enqueueJob(project.dir, 'hello.greet', { name: 'b' })]
    const dev = startTq(['dev', '--no-beat'], { cwd: project.dir })
    await dev.waitFor((p) => DEV_BANNER.test(p.stdout) && (p.stdout.match(/✓/g) ?? []).length >= ids.length, 'the banner and both jobs', 30_000)
    const out = dev.stdout
    expect(out.search(DEV_BANNER)).toBeLessThan(out.search(/▶|✓/))
    expect(out).toMatch(/beat {3}off \(--no-beat\)/)
    expect(out).not.toMatch(/beat {3}often/)
    expect(out).toContain(`enqueue: tq enqueue hello.greet '{"name":"beat"}'`)
  })

  it('tq pause on a queue no job has used pauses it and says so on stderr', async () => {
    const project = makeProject()
    await enqueueDirect(project.db, project.dir, [{ task: 'some.task', payload: '{}' }])
    const unknown = await runTq(['pause', 'nosuchqueue'], { cwd: project.dir })
    expect(unknown.code).toBe(0)
    expect(unknown.stdout).toBe('paused nosuchqueue\n')
    expect(unknown.stderr).toMatch(/^note: no job has used queue "nosuchqueue" yet .*known queues: default/)
    const status = JSON.parse((await runTq(['status', '--json'], { cwd: project.dir })).stdout) as { queues: { queue: string; paused: boolean }[] }
    expect(status.queues.find((q) => q.queue === 'nosuchqueue')?.paused).toBe(true)
    const known = await runTq(['pause', 'default'], { cwd: project.dir })
    expect(known.code).toBe(0)
    expect(known.stdout).toBe('paused default\n')
    expect(known.stderr).toBe('')
  })
})
