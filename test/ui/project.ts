/**
 * The project the dashboard tests run: a task that fails until a marker file exists (so a test
 * can see a failure, fix the cause and retry it), and one whose payload has a schema.
 */
import { makeProject, startTq, type TempProject, type TqProcess } from '../helpers/tq.js'

export const TASKS = `import { existsSync } from 'node:fs'
import { task } from 'tqjs'

export const flaky = task('demo.flaky', async (p: { marker: string }) => {
  if (!existsSync(p.marker)) throw new Error('boom: the marker file is missing')
  return { fixed: true }
})

const greetSchema = {
  parse(v: unknown) {
    const o = v as { to?: unknown } | null
    if (typeof o !== 'object' || o === null || typeof o.to !== 'string') throw new Error('to must be a string')
    return v
  },
}
export const greet = task('demo.greet', async (p: { to: string }) => ({ hello: p.to }), { schema: greetSchema })

export const echo = task('demo.echo', async (p: unknown) => p)

// Job text meant to fool a page or a terminal: an escape sequence and markup.
export const evil = task('demo.evil', async () => {
  throw new Error('\\x1b[2J<b id="injected">bold</b>')
})
`

export function dashboardProject(): TempProject {
  return makeProject({ files: { 'tasks/demo.ts': TASKS } })
}

/** `tq dev` with its dashboard on a free port; resolves with the process and the dashboard's address. */
export async function startDev(project: TempProject, extra: string[] = []): Promise<{ dev: TqProcess; url: string }> {
  const dev = startTq(['dev', '--ui-port', '0', ...extra], { cwd: project.dir })
  await dev.waitForOutput(/ui\s+http:\/\/\S+/, 60_000, 'stdout')
  const url = /ui\s+(http:\/\/\S+)/.exec(dev.stdout)![1]!
  return { dev, url }
}
