import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
let loaded: typeof import('esbuild') | undefined

/**
 * esbuild, loaded on first use with require(): `import('esbuild')` makes Node scan its large
 * CommonJS file for export names first, which cost ~60 ms of each command start (measured
 * 90–125 ms by import against 20–40 ms by require).
 */
export function esbuild(): typeof import('esbuild') {
  return (loaded ??= require('esbuild') as typeof import('esbuild'))
}
