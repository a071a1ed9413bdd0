/**
 * A command that starts reuses the last task bundle while none of its inputs changed, and
 * rebuilds as soon as one did: an edited helper (even one of the same size), a new task file.
 */
import { readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupTemp, getJob, makeProject, runTq } from '../helpers/tq.js'

afterAll(cleanupTemp)

const TASK = `import { task } from 'tqjs'
import { QUEUE } from './helper.js'
export const send = task('mail.send', async () => 1, { queue: QUEUE })
`

async function enqueue(dir: string, name: string): Promise<{ code: number | null; stderr: string; id: string }> {
  const r = await runTq(['enqueue', name], { cwd: dir })
  return { code: r.code, stderr: r.stderr, id: r.stdout.trim() }
}

describe('the task bundle cache', () => {
  it('reuses the bundle while nothing changed and rebuilds when a helper or the task files change', async () => {
    const p = makeProject({ files: { 'tasks/mail.ts': TASK, 'tasks/helper.ts': "export const QUEUE = 'aa'\n" } })
    const first = await enqueue(p.dir, 'mail.send')
    expect(first.code, first.stderr).toBe(0)
    expect((await getJob(p.dir, first.id)).queue).toBe('aa')

    // Reused: swap the built bundle's code for one that defines another task; with nothing
    // changed, the next start imports that file as it is rather than building again.
    const build = p.path('.tq/build')
    const cache = JSON.parse(readFileSync(join(build, 'tasks-cache.json'), 'utf8')) as { file: string }
    const original = readFileSync(cache.file, 'utf8')
    writeFileSync(cache.file, original.replaceAll('mail.send', 'mail.marker'))
    const reused = await enqueue(p.dir, 'mail.marker')
    expect(reused.code, reused.stderr).toBe(0)

    // A helper edited to the same size, its time set back to the old one: the change time still differs.
    const helper = p.path('tasks/helper.ts')
    const { atime, mtime } = { atime: new Date(), mtime: new Date(Date.now() - 60_000) }
    writeFileSync(helper, "export const QUEUE = 'bb'\n")
    utimesSync(helper, atime, mtime)
    const edited = await enqueue(p.dir, 'mail.send')
    expect(edited.code, edited.stderr).toBe(0)
    expect((await getJob(p.dir, edited.id)).queue).toBe('bb')
    expect((await enqueue(p.dir, 'mail.marker')).code).not.toBe(0)

    // A new task file matching the glob is in the next bundle.
    p.write('tasks/other.ts', "import { task } from 'tqjs'\nexport const other = task('other.one', async () => 2)\n")
    const added = await enqueue(p.dir, 'other.one')
    expect(added.code, added.stderr).toBe(0)
    expect(readdirSync(build).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })
})
