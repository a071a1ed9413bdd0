/** Guards against easy mistakes: a queue no worker takes, a malformed config, a purge without a filter. */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cleanupTemp, ERROR_LINE, killAll, listJobs, makeProject, makeTempDir, REPO_ROOT, runNode, runTq, startWorker, stderrLines } from '../helpers/tq.js'

afterEach(killAll)
afterAll(cleanupTemp)

const TASKS = { 'tasks/echo.ts': `import { task } from 'tqjs'\nexport const echo = task('echo', async (p: unknown) => p)\n` }

describe('guards', () => {
  it('tq enqueue warns when running workers take none of the job queue, and enqueues it anyway', async () => {
    const project = makeProject({ files: TASKS })
    await startWorker(project.dir)
    const r = await runTq(['enqueue', 'echo', '{}', '--queue', 'nowhere'], { cwd: project.dir })
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/warning: no running worker takes queue "nowhere" \(workers take: default\)/)
    const ok = await runTq(['enqueue', 'echo', '{}'], { cwd: project.dir })
    expect(ok.stderr).not.toMatch(/warning/)
    expect((await listJobs(project.dir, ['--queue', 'nowhere'])).length).toBe(1)
  })

  it('a config value of the wrong type fails at load with the field named', async () => {
    const project = makeProject({ files: TASKS, config: `{ broker: 'sqlite://.tq/tq.db', worker: { concurrency: 'ten' as never } }` })
    const r = await runTq(['worker', '--burst'], { cwd: project.dir })
    expect(r.code).toBe(1)
    const lines = stderrLines(r)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(ERROR_LINE)
    expect(lines[0]).toMatch(/tq\.config\.ts: worker\.concurrency must be a whole number of at least 1/)
  })

  it('tq purge without --queue, --state or --all is a usage error and deletes nothing', async () => {
    const project = makeProject({ files: TASKS })
    expect((await runTq(['enqueue', 'echo', '{}'], { cwd: project.dir })).code).toBe(0)
    const r = await runTq(['purge'], { cwd: project.dir })
    expect(r.code).toBe(2)
    expect(stderrLines(r)[0]).toMatch(/^Error: purge needs --queue, --state or --all \(/)
    expect((await listJobs(project.dir)).length).toBe(1)
    const all = await runTq(['purge', '--all'], { cwd: project.dir })
    expect(all.stdout).toMatch(/deleted 1 job/)
  })

  it('read-only commands do not create a database from a mistyped path', async () => {
    const project = makeProject({ files: TASKS })
    const r = await runTq(['jobs', '--broker', 'sqlite://.tq/typo.db'], { cwd: project.dir })
    expect(r.code).toBe(1)
    expect(stderrLines(r)[0]).toMatch(/^Error: no tq database at .*typo\.db \(/)
    expect(existsSync(project.path('.tq/typo.db'))).toBe(false)
  })

  it('commands run in a subfolder of the project use its tq.config.ts', async () => {
    const project = makeProject({ files: TASKS })
    const r = await runTq(['enqueue', 'echo', '{"from":"tasks/"}'], { cwd: project.path('tasks') })
    expect(r.code, r.stderr).toBe(0)
    expect((await listJobs(project.dir)).map((j) => j.payload)).toEqual([{ from: 'tasks/' }])
    expect(existsSync(project.path('tasks/.tq'))).toBe(false)
  })

  it("a producer's connect() with no config above its folder and no broker refuses, and creates nothing", async () => {
    const dir = makeTempDir('tq-noproject-')
    const script = join(dir, 'produce.mjs')
    writeFileSync(
      script,
      `import { connect } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'index.js')).href)}
try { await connect(); console.log('connected') } catch (e) { console.log(e.name + ': ' + e.message + ' (' + e.hint + ')') }
`,
    )
    const r = await runNode([script], { cwd: dir, env: { TQ_BROKER_URL: '' } })
    expect(r.stdout.trim()).toBe(`ConfigError: no tq.config.ts in ${dir} or above it, and no broker given (pass connect({ config: '/path/to/tq.config.ts' }) or { broker }, or set TQ_BROKER_URL)`)
    expect(existsSync(join(dir, '.tq'))).toBe(false)
  })

  it('a relative sqlite TQ_BROKER_URL means the same file to connect() and to the CLI, from any subfolder', async () => {
    const project = makeProject({ files: TASKS })
    const script = project.path('tasks/produce.mjs')
    writeFileSync(
      script,
      `import { connect } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'index.js')).href)}
const tq = await connect()
await tq.enqueue('echo', { from: 'producer' })
await tq.close()
`,
    )
    const env = { TQ_BROKER_URL: 'sqlite://.tq/tq.db' }
    const r = await runNode([script], { cwd: project.path('tasks'), env })
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(project.path('tasks/.tq'))).toBe(false)
    expect((await listJobs(project.dir, [], env)).map((j) => j.payload)).toEqual([{ from: 'producer' }])
  })

  it('an unknown command names the closest one, exit 2', async () => {
    const project = makeProject({ files: TASKS })
    const r = await runTq(['enqueu', 'echo'], { cwd: project.dir })
    expect(r.code).toBe(2)
    expect(stderrLines(r)).toEqual(['Error: unknown command "enqueu" (did you mean tq enqueue? run tq --help for all commands)'])
  })
})
