import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RedisBroker } from '../../src/broker/redis/redis-broker.js'
import { REPO_ROOT, runNode } from '../helpers/tq.js'
import { deletePrefix, uniquePrefix, urlWith } from '../redis/helpers.js'

// A producer needs no bundler and no writable folder: it imports a task's contract (not its
// handler), type-checks against it, and enqueues from a project on a read-only disk (a tmpfs
// remounted read-only: the tests run as root, for whom file modes do not forbid writes).
describe('a producer that imports only a contract', () => {
  let dir: string | undefined
  let prefix: string | undefined
  afterEach(async () => {
    if (dir) {
      spawnSync('umount', ['-l', dir])
      rmSync(dir, { recursive: true, force: true })
    }
    if (prefix) await deletePrefix(prefix)
    dir = prefix = undefined
  })

  it('type-checks, and enqueues from a read-only folder without loading the handler', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tq-ro-'))
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir])
    prefix = uniquePrefix()
    const files: Record<string, string> = {
      'tq.config.ts': `import { defineConfig } from 'tqjs'\nexport default defineConfig({ broker: ${JSON.stringify(urlWith({ prefix }))} })\n`,
      'contracts/report.ts': `import { defineTask } from 'tqjs'
export const buildReport = defineTask<{ month: string }, { rows: number; at: Date }>('report.build', { queue: 'reports', retries: 2 })
`,
      'tasks/report.ts': `import { buildReport } from '../contracts/report.js'
;(globalThis as { handlerLoaded?: boolean }).handlerLoaded = true
export const buildReportTask = buildReport.implement(async (p) => ({ rows: p.month.length, at: new Date() }))
`,
      'src/produce.ts': `import { connect } from 'tqjs'
import { buildReport } from '../contracts/report.js'
const tq = await connect()
const job = await tq.enqueue(buildReport, { month: '2026-12' })
console.log(JSON.stringify({ id: job.id, handlerLoaded: (globalThis as { handlerLoaded?: boolean }).handlerLoaded ?? false }))
await tq.close()
`,
      'src/wrong.ts': `import { connect } from 'tqjs'
import { buildReport } from '../contracts/report.js'
const tq = await connect()
// @ts-expect-error: month must be a string
await tq.enqueue(buildReport, { month: 12 })
const r = await (await tq.enqueue(buildReport, { month: 'x' })).result()
const at: string = r.at  // a Date in the handler's result arrives as a string
export { at }
`,
      'package.json': JSON.stringify({ name: 'ro-app', private: true, type: 'module' }),
      'tsconfig.json': JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'Node16', moduleResolution: 'Node16', strict: true, skipLibCheck: true, noEmit: true, types: ['node'] },
        include: ['**/*.ts'],
      }),
    }
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true })
      writeFileSync(join(dir, rel), text)
    }
    mkdirSync(join(dir, 'node_modules'))
    symlinkSync(REPO_ROOT, join(dir, 'node_modules', 'tqjs'), 'dir')
    symlinkSync(join(REPO_ROOT, 'node_modules', '@types'), join(dir, 'node_modules', '@types'), 'dir')

    const tsc = spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', dir], { encoding: 'utf8' })
    expect(tsc.stdout + tsc.stderr, 'tsc output').toBe('')
    expect(tsc.status).toBe(0)

    execFileSync('mount', ['-o', 'remount,ro', dir])
    const r = await runNode(['--import', 'tqjs/register', 'src/produce.ts'], { cwd: dir, env: { TQ_BROKER_URL: '' }, timeoutMs: 60_000 })
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { id: string; handlerLoaded: boolean }
    expect(out.handlerLoaded).toBe(false)
    const broker = await RedisBroker.connect(urlWith({ prefix }))
    try {
      expect(await broker.getJob(out.id)).toMatchObject({ task: 'report.build', queue: 'reports', maxAttempts: 3, payload: { month: '2026-12' } })
    } finally {
      await broker.close()
    }
  })
})
