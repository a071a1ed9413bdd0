/**
 * The layer check (`npm run check:layers`, run by `npm test`). Layers import downward only, and
 * no module imports itself through others. The order, lowest first, is written in the README
 * ("How it is built"); each entry may import the entries before it and its own folder.
 */
const LAYERS = [
  ['base', '^src/(errors|load-error|paths|private-files)\\.ts$|^src/util/'],
  ['broker', '^src/broker/'],
  ['app', '^src/app/'],
  ['beat', '^src/beat/'],
  ['loader', '^src/loader/'],
  ['worker', '^src/worker/'],
  ['metrics', '^src/metrics/'],
  ['testing', '^src/testing/'],
  ['format', '^src/format/'],
  ['status', '^src/status/'],
  ['dev', '^src/dev/|^src/init/|^src/cli-support/'],
  // The dashboard's server: it acts through cli-support as the commands do; tq dev and tq ui start it.
  ['ui', '^src/ui/'],
  ['api', '^src/index\\.ts$'],
  ['cli', '^cli/|^commands/'],
]

const upward = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `${name}-imports-downward-only`,
  comment: `${name} may import only the layers below it: ${LAYERS.slice(0, i).map(([n]) => n).join(', ') || 'none'}`,
  severity: 'error',
  from: { path },
  to: { path: LAYERS.slice(i + 1).map(([, p]) => `(${p})`).join('|') },
}))

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a cycle makes two modules one: merge them, or move what both need below both',
      severity: 'error',
      from: { path: '^(src|cli|commands)/' },
      to: { circular: true },
    },
    ...upward,
    {
      name: 'library-never-imports-oclif',
      comment: 'src/ is the library; the CLI framework stays in cli/ and commands/',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '@oclif/|^cli/oclif\\.d\\.ts$|dist/vendor/oclif' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
}
