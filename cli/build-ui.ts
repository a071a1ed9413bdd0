/**
 * Build step: bundles the dashboard's front end (web/: Preact, uPlot, a stylesheet) into
 * dist/ui: index.html plus content-hashed assets, each with a gzipped copy the server sends to
 * browsers that accept it. Nothing is fetched at run time: the package works offline.
 */
import { build } from 'esbuild'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { packageRoot } from '../src/paths.js'

const out = join(packageRoot, 'dist', 'ui')
const assets = join(out, 'assets')
rmSync(out, { recursive: true, force: true })
mkdirSync(assets, { recursive: true })

const result = await build({
  entryPoints: [join(packageRoot, 'web', 'main.tsx')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: false,
  outdir: assets,
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  tsconfig: join(packageRoot, 'web', 'tsconfig.json'),
})

const outputs = Object.keys(result.metafile.outputs).map((f) => basename(f))
const js = outputs.find((f) => f.endsWith('.js'))!
const css = outputs.find((f) => f.endsWith('.css'))
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tq</title>
<link rel="icon" href="data:,">
${css ? `<link rel="stylesheet" href="/assets/${css}">\n` : ''}<script type="module" src="/assets/${js}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The tq dashboard needs JavaScript. The same data is in the JSON API under /api (see docs/ui.md).</noscript>
</body>
</html>
`
writeFileSync(join(out, 'index.html'), html)
let total = 0
for (const file of [...outputs.map((f) => join(assets, f)), join(out, 'index.html')]) {
  const gz = gzipSync(readFileSync(file), { level: 9 })
  writeFileSync(`${file}.gz`, gz)
  total += gz.length
}
process.stdout.write(`dist/ui: ${outputs.join(', ')} (${(total / 1024).toFixed(1)} KB gzipped)\n`)
