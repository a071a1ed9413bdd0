/**
 * Build step: bundles @oclif/core and its dependencies into one ES module, dist/vendor/oclif,
 * which the CLI imports as `#oclif` (package.json "imports"). Loading oclif as ~160 CommonJS
 * modules was most of `tq --help`'s time. ESM, not CommonJS: importing a CommonJS file from ESM
 * makes Node scan it for export names first, ~80 ms for this one.
 */
import { build, type Plugin } from 'esbuild'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { packageRoot } from '../src/paths.js'

const require = createRequire(join(packageRoot, 'package.json'))
const oclifRoot = dirname(require.resolve('@oclif/core/package.json'))
const oclifPkg = JSON.parse(readFileSync(join(oclifRoot, 'package.json'), 'utf8')) as { version: string }
const out = join(packageRoot, 'dist', 'vendor', 'oclif')

// Named exports, listed here: esbuild cannot see a CommonJS module's names when bundling to ESM.
const names = Object.keys(require('@oclif/core') as object).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default')
const entry = `import * as oclif from ${JSON.stringify(join(oclifRoot, 'lib', 'index.js'))}\nexport const { ${names.join(', ')} } = oclif\n`

/**
 * oclif loads all of semver at start only to check its own engines (Node >= 18), always met where
 * tq runs (package.json engines: Node >= 20.19): that check cost ~15 % of a start. semver has no
 * other user in oclif, so it is replaced by a stub that says "satisfied".
 */
const noSemver: Plugin = {
  name: 'no-semver',
  setup(b) {
    b.onResolve({ filter: /^semver$/ }, () => ({ path: 'semver', namespace: 'tq-stub' }))
    b.onLoad({ filter: /.*/, namespace: 'tq-stub' }, () => ({ contents: 'module.exports = { satisfies: () => true }', loader: 'js' }))
  },
}

await build({
  plugins: [noSemver],
  stdin: { contents: entry, resolveDir: oclifRoot, sourcefile: 'oclif-entry.js', loader: 'js' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  // The CommonJS code inside calls require() for Node's modules and reads __dirname.
  banner: {
    js: [
      "import { createRequire as __tqCreateRequire } from 'node:module'",
      "import { dirname as __tqDirname } from 'node:path'",
      "import { fileURLToPath as __tqFileURLToPath } from 'node:url'",
      'const require = __tqCreateRequire(import.meta.url)',
      'const __filename = __tqFileURLToPath(import.meta.url)',
      'const __dirname = __tqDirname(__filename)',
    ].join('\n'),
  },
  target: 'node20',
  // lib/index.js, as in the package: oclif reads its version from ../package.json.
  outfile: join(out, 'lib', 'index.js'),
  // Only oclif's development mode (running commands from TypeScript) and PnP detection load these.
  external: ['typescript', 'ts-node', 'tsx', 'pnpapi'],
  // Less to parse at each start; names kept for oclif's error output and stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  legalComments: 'external',
  logLevel: 'warning',
})
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'package.json'), JSON.stringify({ name: '@oclif/core', version: oclifPkg.version, type: 'module' }, null, 2) + '\n')
console.log(`bundled @oclif/core ${oclifPkg.version} into dist/vendor/oclif`)
