import type { BuildContext, BuildFailure, BuildOptions, Message, Plugin } from 'esbuild'
import { createHash } from 'node:crypto'
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { ConfigError } from '../errors.js'
import { pathToFileURL } from 'node:url'
import { esbuildLoadError } from '../load-error.js'
import { distFile } from '../paths.js'
import { esbuild } from '../util/esbuild.js'
import { cachedBundle, cacheKey, rememberBundle } from './bundle-cache.js'

export interface Bundle {
  /** The bundle file (ESM), named by content hash so identical builds share one file. */
  file: string
  /** Every local source file the bundle was built from: what to watch for reload. */
  inputs: string[]
  /** The task modules the globs matched. */
  taskFiles: string[]
}

/**
 * `import … from 'tqjs'` in user code resolves to this very tq, by absolute URL, so a project
 * runs against the tq that runs it, even offline with no node_modules of its own.
 */
const tqjsPlugin: Plugin = {
  name: 'tqjs-self',
  setup(b) {
    b.onResolve({ filter: /^tqjs$/ }, () => ({ path: pathToFileURL(distFile('index.js')).href, external: true }))
  },
}

/**
 * Rebuilds of the same entry reuse one esbuild context (incremental: faster, and no new garbage
 * per reload). Only `tq dev` asks for it, and disposes of it on exit: a live context keeps the
 * process running.
 */
export class IncrementalBuilds {
  private current: { key: string; ctx: BuildContext } | undefined

  async build(key: string, options: BuildOptions) {
    if (this.current?.key !== key) {
      await this.dispose()
      const { context } = esbuild()
      this.current = { key, ctx: await context(options) }
    }
    return this.current.ctx.rebuild()
  }

  async dispose(): Promise<void> {
    await this.current?.ctx.dispose()
    this.current = undefined
  }
}

/**
 * Builds one ESM bundle of the task modules; its export `modules` lists `[relativePath, namespace]`.
 * Without `incremental` (a command starting, not tq dev reloading), the last bundle is reused
 * when none of its inputs changed: esbuild is then not even loaded.
 */
export async function bundleTasks(root: string, taskFiles: readonly string[], outDir: string, incremental?: IncrementalBuilds): Promise<Bundle> {
  const entry = taskFiles.map((f, i) => `import * as m${i} from ${JSON.stringify(f)};`).join('\n') +
    `\nexport const modules = [${taskFiles.map((f, i) => `[${JSON.stringify(rel(root, f))}, m${i}]`).join(', ')}];\n`
  // esbuild also reads the tsconfig (paths, jsx); a new tsconfig.json changes the key.
  const key = cacheKey([BUNDLE_FORMAT, distFile('index.js'), root, entry, String(existsSync(join(root, 'tsconfig.json')))])
  const cached = incremental ? undefined : cachedBundle(outDir, key)
  if (cached) return { file: cached.file, inputs: cached.inputs, taskFiles: [...taskFiles] }
  const startedAt = Date.now()
  const { code, inputs } = await runEsbuild(root, outDir, { contents: entry, resolveDir: root, sourcefile: ENTRY, loader: 'js' }, undefined, incremental)
  const file = writeBundle(outDir, 'tasks', code)
  const tsconfig = join(root, 'tsconfig.json')
  const files = inputs.filter((f) => f !== join(root, ENTRY)) // the entry is generated, never on disk
  rememberBundle(outDir, key, file, existsSync(tsconfig) ? [...files, tsconfig] : files, startedAt)
  return { file, inputs, taskFiles: [...taskFiles] }
}

/** Changes when the build options below change, so bundles cached by an older tq are rebuilt. */
const BUNDLE_FORMAT = 'tasks-v1'
const ENTRY = 'tq-tasks-entry.js'

async function runEsbuild(
  root: string,
  outDir: string,
  stdin?: { contents: string; resolveDir: string; sourcefile: string; loader: 'js' },
  entry?: string,
  incremental?: IncrementalBuilds,
) {
  try {
    const options: BuildOptions & { write: false; metafile: true } = {
      stdin,
      entryPoints: entry ? [entry] : undefined,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      // Stack traces keep the user's function names.
      keepNames: true,
      plugins: [tqjsPlugin],
      write: false,
      // Not written here (see writeBundle), but it places the source map's paths relative to outDir.
      outfile: join(outDir, 'bundle.mjs'),
      metafile: true,
      sourcemap: 'inline',
      sourcesContent: false,
      absWorkingDir: root,
      logLevel: 'silent',
    }
    const result = incremental ? await incremental.build(`${root}|${outDir}|${stdin?.contents ?? entry}`, options) : await esbuild().build(options)
    const code = result.outputFiles![0]!.text
    const inputs = Object.keys(result.metafile!.inputs)
      .filter((p) => !p.startsWith('<') && !p.includes('node_modules'))
      .map((p) => resolve(root, p))
    return { code, inputs }
  } catch (err) {
    const failure = err as BuildFailure
    if (Array.isArray(failure.errors) && failure.errors.length > 0) throw esbuildLoadError(root, failure.errors[0]!)
    throw err
  }
}


function writeBundle(outDir: string, kind: string, code: string): string {
  try {
    return writeBundleFile(outDir, kind, code)
  } catch (err) {
    throw cannotWrite(outDir, err as NodeJS.ErrnoException)
  }
}

function writeBundleFile(outDir: string, kind: string, code: string): string {
  mkdirSync(outDir, { recursive: true, mode: 0o700 })
  const hash = createHash('sha1').update(code).digest('hex').slice(0, 12)
  const file = join(outDir, `${kind}-${hash}.mjs`)
  try {
    if (readFileSync(file, 'utf8') === code) return file
  } catch {
    /* not built yet */
  }
  // Write then rename: a process importing the file never sees half of it.
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, code, { mode: 0o600 })
  renameSync(tmp, file)
  return file
}

/** The build folder cannot be written: say which folder refuses and why, in one line. */
function cannotWrite(outDir: string, err: NodeJS.ErrnoException): ConfigError {
  // A recursive mkdir reports ENOENT on a read-only disk: ask the nearest existing folder instead.
  let dir = outDir
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir)
  let code = err.code ?? err.message
  try {
    accessSync(dir, constants.W_OK)
  } catch (e) {
    code = (e as NodeJS.ErrnoException).code ?? code
  }
  const hint =
    code === 'ENOSPC' ? 'free space on that disk' : code === 'EROFS' ? 'run tq from a project on a writable disk' : `make ${dir} writable by this user: tq keeps its builds and state in .tq/ next to tq.config.ts`
  return new ConfigError(`cannot write tq's build files to ${outDir} (${code})`, hint)
}

const rel = (root: string, f: string) => relative(root, f).split(sep).join('/')
