/**
 * Finding and reading tq.config.ts. Reading compiles the config (and the local files it imports)
 * with esbuild in memory and imports the result from a `data:` URL: nothing is written, so a
 * producer in a read-only container reads its config as the CLI does, and no copy of a config
 * holding a password is left on disk.
 */
import { existsSync, statSync } from 'node:fs'
import { isBuiltin, SourceMap, type SourceMapPayload } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { ConfigError } from '../errors.js'
import { esbuildLoadError, runtimeLoadError } from '../load-error.js'
import { distFile } from '../paths.js'
import { esbuild } from '../util/esbuild.js'
import type { TqConfig } from './config.js'
import { validateConfig } from './validate-config.js'

export const CONFIG_NAMES = ['tq.config.ts', 'tq.config.mts', 'tq.config.js', 'tq.config.mjs']

export interface ConfigLookup {
  /** `--config`: path to the config file. */
  config?: string
  cwd?: string
}

/**
 * Finds the config file: `--config`, else `tq.config.{ts,mts,js,mjs}` in the working folder or
 * the nearest folder above it (as git and npm find theirs), so commands work from `tasks/`.
 */
export function findConfig(opts: ConfigLookup): string | null {
  const cwd = opts.cwd ?? process.cwd()
  if (opts.config) {
    const file = resolve(cwd, opts.config)
    if (!existsSync(file) || !statSync(file).isFile()) throw new ConfigError(`config file ${file} not found`, 'check the --config path')
    return file
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_NAMES) if (existsSync(join(dir, name))) return join(dir, name)
    if (dirname(dir) === dir) return null
  }
}

export interface LoadedConfig {
  config: TqConfig
  /** Local files the config was built from (what `tq dev` watches). */
  inputs: string[]
}

/** Compiles and imports a config file in memory, then validates it. */
export async function readConfig(configFile: string): Promise<LoadedConfig> {
  const { code, map, inputs } = await compileConfig(configFile)
  // Frames in the data: module are named by this URL, so they can be found and mapped back.
  const marker = `tq-config:${configFile}`
  let mod: { default?: unknown }
  try {
    mod = (await import(`data:text/javascript;base64,${Buffer.from(`${code}\n//# sourceURL=${marker}`).toString('base64')}`)) as { default?: unknown }
  } catch (err) {
    throw runtimeLoadError(mapFrames(err, marker, map, dirname(configFile)), configFile)
  }
  const config = mod.default
  if (!config || typeof config !== 'object') {
    throw new ConfigError(`${configFile} has no default export`, 'end it with: export default defineConfig({ ... })')
  }
  return { config: validateConfig(config as TqConfig, configFile), inputs }
}

/**
 * One ESM module of the config and its local imports. A `data:` module cannot resolve bare
 * specifiers, so each package import is resolved here, from the config's folder, to an absolute
 * URL; `tqjs` is this very tq, as for task modules.
 */
async function compileConfig(configFile: string): Promise<{ code: string; map: string; inputs: string[] }> {
  const { build } = esbuild()
  const root = dirname(configFile)
  try {
    const result = await build({
      entryPoints: [configFile],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      metafile: true,
      // Node does not apply source maps to data: modules: mapFrames does, from this map.
      sourcemap: 'external',
      outfile: join(root, 'tq.config.mjs'),
      absWorkingDir: root,
      logLevel: 'silent',
      // `import.meta.url` in a data: module is the data; give the config its own file's URL.
      define: { 'import.meta.url': JSON.stringify(pathToFileURL(configFile).href) },
      plugins: [
        {
          name: 'tq-config-imports',
          setup(b) {
            b.onResolve({ filter: /^tqjs$/ }, () => ({ path: pathToFileURL(distFile('index.js')).href, external: true }))
            b.onResolve({ filter: /^[^./]/ }, async (args) => {
              if (isBuiltin(args.path) || args.pluginData === 'resolving') return undefined
              const found = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'resolving' })
              if (found.errors.length > 0) return { errors: found.errors }
              return { path: pathToFileURL(found.path).href, external: true }
            })
          },
        },
      ],
    })
    const inputs = Object.keys(result.metafile.inputs)
      .filter((p) => !p.startsWith('<') && !p.includes('node_modules'))
      .map((p) => resolve(root, p))
    const out = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))!.text
    return { code: out('.mjs'), map: out('.mjs.map'), inputs }
  } catch (err) {
    const errors = (err as { errors?: import('esbuild').Message[] }).errors
    if (Array.isArray(errors) && errors.length > 0) throw esbuildLoadError(root, errors[0]!)
    throw err
  }
}

/** Rewrites the stack's frames in the compiled config (`marker:line:col`) to the user's file and line. */
function mapFrames(err: unknown, marker: string, map: string, root: string): unknown {
  if (!(err instanceof Error) || !err.stack?.includes(marker)) return err
  const sourceMap = new SourceMap(JSON.parse(map) as SourceMapPayload)
  const escaped = marker.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  err.stack = err.stack.replace(new RegExp(`${escaped}:(\\d+):(\\d+)`, 'g'), (whole, line: string, col: string) => {
    const entry = sourceMap.findEntry(Number(line) - 1, Number(col) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number }
    if (entry.originalSource === undefined) return whole
    const file = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : resolve(root, entry.originalSource)
    return `${file}:${entry.originalLine! + 1}:${entry.originalColumn! + 1}`
  })
  return err
}
