// Hot reload: save-to-new-code latency over N edits of a task file that imports a helper, and
// tq dev's RSS and thread count across them. Runs tq dev's DevSession in a child process started
// with the binary's Node flags; RSS is compared after a warm-up (first reloads, first jobs), each
// sample taken once the old pool has ended and after a full GC.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { makeProject, removeDir, ROOT } from './helpers.js'

// As in bin/run.js, plus --expose-gc so that both RSS samples are taken after a full GC.
const NODE_FLAGS = ['--max-semi-space-size=4', '--expose-gc']

export async function reload({ quick }) {
  const edits = quick ? 20 : 100
  const warmup = 10
  const project = makeProject('reload', {
    which: `import { task } from 'tqjs'\nimport { label } from './helper.js'\nexport const which = task('which', async () => ({ v: 0, label: label() }))\n`,
    helper: `export const label = () => 'h'\n`,
  })
  try {
    const r = spawnSync(process.execPath, [...NODE_FLAGS, join(ROOT, 'bench', 'reload-child.js'), project.dir, String(edits), String(warmup)], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`reload child failed: ${r.stderr}`)
    const res = JSON.parse(r.stdout.trim().split('\n').pop())
    const lat = res.latencies.sort((a, b) => a - b)
    const p50 = lat[Math.floor(lat.length / 2)]
    const growth = ((res.rssAfter - res.rssWarm) / res.rssWarm) * 100
    const mb = (b) => (b / 1e6).toFixed(0)
    return [
      { name: `reload: save to new code running, p50 (${edits} edits)`, unit: 'ms', value: p50, decimals: 1, target: '<= 300 ms', max: 300, detail: ` (max ${lat.at(-1).toFixed(1)})` },
      {
        name: `reload: RSS growth over ${edits} reloads (after ${warmup} warm-up)`,
        unit: '%',
        value: growth,
        decimals: 1,
        target: 'within 10%',
        max: 10,
        detail: ` (${mb(res.rssStart)} at start, ${mb(res.rssWarm)} warm -> ${mb(res.rssAfter)} MB; threads ${res.threadsWarm} -> ${res.threadsAfter})`,
      },
    ]
  } finally {
    removeDir(project.dir)
  }
}
