import type { BuildFailure } from 'esbuild'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError } from '../errors.js'
import { esbuildLoadError } from '../load-error.js'
import { esbuild } from '../util/esbuild.js'
import type { Project } from './project.js'

/**
 * The config's `instrumentation` module (it registers an OpenTelemetry SDK), bundled like the task
 * modules (TypeScript allowed, packages left to node_modules) into `.tq/build`, so the worker
 * process and every task thread can import the same file before anything else. Undefined when
 * the config names none.
 */
export async function buildInstrumentation(project: Project): Promise<string | undefined> {
  const name = project.config.instrumentation
  if (name === undefined) return undefined
  const entry = resolve(project.root, name)
  if (!existsSync(entry)) {
    throw new ConfigError(`instrumentation module ${entry} does not exist`, `fix instrumentation in ${project.configFile ?? 'tq.config.ts'}, or create the file`)
  }
  let code: string
  try {
    const out = await esbuild().build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      write: false,
      outfile: join(project.stateDir, 'build', 'instrumentation.mjs'),
      logLevel: 'silent',
    })
    code = out.outputFiles[0]!.text
  } catch (err) {
    const first = (err as BuildFailure).errors?.[0]
    if (first) throw esbuildLoadError(project.root, first)
    throw err
  }
  const dir = join(project.stateDir, 'build')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, `instrumentation-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`)
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, code, { mode: 0o600 })
    renameSync(tmp, file)
  }
  return file
}

/** Imports the bundled instrumentation module once per process (or thread). */
const loaded = new Set<string>()
export async function importInstrumentation(file: string | undefined): Promise<void> {
  if (file === undefined || loaded.has(file)) return
  loaded.add(file)
  await import(pathToFileURL(file).href)
}
