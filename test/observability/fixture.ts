/** A temp project for the observability tests: tasks that succeed, fail, retry and report progress, with node_modules reaching this checkout's (for the OpenTelemetry SDK). */
import { symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { makeProject, REPO_ROOT, type TempProject } from '../helpers/tq.js'

export const TASKS = `
import { task } from 'tqjs'
import { trace } from '@opentelemetry/api'
export const ok = task('obs.ok', async (p: { n?: number }, ctx) => { ctx.progress({ step: 1 }); return p?.n ?? 0 })
export const boom = task('obs.boom', async () => { throw new TypeError('boom') })
export const flaky = task('obs.flaky', async () => { throw new Error('flaky') }, { retries: 1, backoff: { type: 'fixed', delay: 1 } })
export const evil = task('obs.evil', async () => { throw new Error('bad \\x1b[31mred') })
export const traced = task('obs.traced', async () => {
  const span = trace.getTracer('user').startSpan('user-work')
  span.end()
  return 1
})
`

export function obsProject(config: string, extra: Record<string, string> = {}): TempProject {
  const project = makeProject({ config, files: { 'tasks/obs.ts': TASKS, ...extra } })
  symlinkSync(join(REPO_ROOT, 'node_modules'), project.path('node_modules'), 'dir')
  return project
}
