import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Client } from '../../src/app/client.js'
import { openBroker } from '../../src/broker/open-broker.js'
import type { Broker } from '../../src/broker/types.js'
import { DevLog } from '../../src/dev/dev-log.js'
import { DevSession, type ReloadResult } from '../../src/dev/dev-session.js'
import { ProjectFixture } from '../worker/fixture.js'

/** Captures what tq dev prints. */
class Captured {
  lines: string[] = []
  write(s: string) {
    this.lines.push(...s.split('\n').filter(Boolean))
    return true
  }
  get text() {
    return this.lines.join('\n')
  }
}

const version = (v: number) => `import { task } from 'tqjs'\nimport { label } from './helper.js'\nexport const which = task('which', async () => ({ v: ${v}, label: label() }))\n`
const helper = (l: string) => `export const label = () => '${l}'\n`

describe('tq dev hot reload', () => {
  let fx: ProjectFixture
  let session: DevSession
  let broker: Broker
  let out: Captured
  afterEach(async () => {
    await session?.stop()
    await broker?.close()
    await fx?.close()
  })

  async function start(files: Record<string, string>) {
    fx = new ProjectFixture(files)
    out = new Captured()
    session = new DevSession({ cwd: fx.dir, beat: false, concurrency: 4 }, new DevLog(out as unknown as NodeJS.WriteStream))
    await session.start()
    broker = await openBroker(`sqlite://${join(fx.dir, '.tq/tq.db')}`, fx.dir)
    return new Client(broker)
  }

  /** Saves a file and waits for the reload it causes (reported by the session's log). */
  async function saveAndReload(name: string, text: string): Promise<string> {
    const before = out.lines.length
    writeFileSync(join(fx.dir, name), text)
    return vi.waitFor(
      () => {
        const line = out.lines.slice(before).find((l) => /reloaded|reload failed/.test(l))
        if (!line) throw new Error(`no reload after saving ${name}; log:\n${out.text}`)
        return line
      },
      { timeout: 30_000, interval: 20 },
    )
  }

  it('runs the new code after a save, including a changed imported helper', async () => {
    const client = await start({ 'tasks/which.ts': version(1), 'tasks/helper.ts': helper('a') })
    expect(await (await client.enqueue('which', null)).result({ timeout: '10s' })).toEqual({ v: 1, label: 'a' })
    expect(await saveAndReload('tasks/which.ts', version(2))).toMatch(/reloaded 1 task/)
    expect(await (await client.enqueue('which', null)).result({ timeout: '10s' })).toEqual({ v: 2, label: 'a' })
    await saveAndReload('tasks/helper.ts', helper('b'))
    expect(await (await client.enqueue('which', null)).result({ timeout: '10s' })).toEqual({ v: 2, label: 'b' })
  })

  it('keeps serving the last good code on a syntax error, with file and line, and recovers', async () => {
    const client = await start({ 'tasks/which.ts': version(1), 'tasks/helper.ts': helper('a') })
    const line = await saveAndReload('tasks/which.ts', version(1).replace('({ v: 1', '({ v: 1 +'))
    expect(line).toMatch(/reload failed: .*tasks\/which\.ts:3:\d+/)
    expect(out.text).toContain('still running the last good code')
    expect(await (await client.enqueue('which', null)).result({ timeout: '10s' })).toEqual({ v: 1, label: 'a' })
    await saveAndReload('tasks/which.ts', version(3))
    expect(await (await client.enqueue('which', null)).result({ timeout: '10s' })).toEqual({ v: 3, label: 'a' })
  })

  it('keeps the old code when a changed module throws while loading', async () => {
    const client = await start({ 'tasks/which.ts': version(1), 'tasks/helper.ts': helper('a') })
    const line = await saveAndReload('tasks/helper.ts', `throw new Error('no config here')\nexport const label = () => 'x'\n`)
    expect(line).toMatch(/reload failed: .*helper\.ts:1:\d+: Error: no config here/)
    expect(await (await client.enqueue('which', null)).result({ timeout: '10s' })).toEqual({ v: 1, label: 'a' })
  })

  it('picks up a new task file without a restart', async () => {
    const client = await start({ 'tasks/which.ts': version(1), 'tasks/helper.ts': helper('a') })
    const line = await saveAndReload('tasks/extra.ts', `import { task } from 'tqjs'\nexport const extra = task('extra', async (p: { n: number }) => p.n * 2)\n`)
    expect(line).toMatch(/\+extra/)
    expect(await (await client.enqueue('extra', { n: 21 })).result({ timeout: '10s' })).toBe(42)
  })

  it('loses and duplicates no job across reloads while jobs flow', async () => {
    const slow = (v: number) => `import { task } from 'tqjs'\nexport const s = task('s', async (p: { i: number }) => { await new Promise((r) => setTimeout(r, 20)); return { i: p.i, v: ${v} } })\n`
    const client = await start({ 'tasks/s.ts': slow(1) })
    const handles = []
    for (let round = 0; round < 5; round++) {
      handles.push(...(await client.enqueueMany('s', Array.from({ length: 40 }, (_, i) => ({ i: round * 40 + i })))))
      await saveAndReload('tasks/s.ts', slow(round + 2))
    }
    const results = (await Promise.all(handles.map((h) => h.result({ timeout: '30s' })))) as { i: number }[]
    expect(results.map((r) => r.i)).toEqual(handles.map((_, i) => i))
    const jobs = await broker.listJobs({ task: 's', limit: 1000 })
    expect(jobs.every((j) => j.state === 'succeeded' && j.attempt === 1)).toBe(true)
  })

  it('restarts the engine when the config changes, and says so', async () => {
    await start({ 'tasks/which.ts': version(1), 'tasks/helper.ts': helper('a') })
    const cfg = join(fx.dir, 'tq.config.ts')
    const before = out.lines.length
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace("broker: 'sqlite://.tq/tq.db'", "broker: 'sqlite://.tq/tq.db', worker: { queues: ['default', 'extra'] }"))
    await vi.waitFor(() => expect(out.lines.slice(before).join('\n')).toMatch(/config changed[\s\S]*restarted the engine/), { timeout: 30_000, interval: 20 })
    expect(session.engine!.queues).toEqual(['default', 'extra'])
  })

  it('reports reload results for tools', async () => {
    await start({ 'tasks/which.ts': version(1), 'tasks/helper.ts': helper('a') })
    const r: ReloadResult = await session.reload({ files: ['tasks/which.ts'], config: false })
    expect(r).toMatchObject({ ok: true, tasks: 1, added: [], removed: [], restarted: false })
  })
})
