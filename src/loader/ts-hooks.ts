/** Module hooks behind `tqjs/register`: resolve `./x.js` to `./x.ts` and strip TypeScript types on load. */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { esbuild } from '../util/esbuild.js'

type Next<T> = (specifier: string, context?: unknown) => Promise<T>
const TS = /\.(ts|mts|cts|tsx)$/

export async function resolve(specifier: string, context: { parentURL?: string }, next: Next<{ url: string }>) {
  if (/^\.{1,2}\//.test(specifier) && context.parentURL?.startsWith('file:') && /\.(js|mjs)$/.test(specifier)) {
    const ts = new URL(specifier.replace(/\.(m?)js$/, '.$1ts'), context.parentURL)
    if (!existsSync(fileURLToPath(new URL(specifier, context.parentURL))) && existsSync(fileURLToPath(ts))) {
      return { url: ts.href, shortCircuit: true }
    }
  }
  return next(specifier, context)
}

export async function load(url: string, context: unknown, next: Next<unknown>) {
  if (!url.startsWith('file:') || !TS.test(new URL(url).pathname)) return next(url, context)
  const file = fileURLToPath(url)
  const { code } = await esbuild().transform(await readFile(file, 'utf8'), {
    loader: file.endsWith('x') ? 'tsx' : 'ts',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: file,
  })
  return { format: 'module', source: code, shortCircuit: true }
}
