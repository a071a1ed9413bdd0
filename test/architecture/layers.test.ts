import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupTemp, makeTempDir, REPO_ROOT } from '../helpers/tq.js'

// The layer check (`npm run check:layers`, part of `npm test`): layers import downward only and no
// module reaches itself. These tests run the repository's own rules on a tree with a planted fault,
// so a rule that stopped catching anything would fail here.
const DEPCRUISE = join(REPO_ROOT, 'node_modules', '.bin', 'depcruise')
const CONFIG = join(REPO_ROOT, '.dependency-cruiser.cjs')

function cruise(files: Record<string, string>): { code: number | null; out: string } {
  const dir = makeTempDir('tq-layers-')
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true })
    writeFileSync(join(dir, rel), text)
  }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'Node16', moduleResolution: 'Node16', strict: true } }))
  const r = spawnSync(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'err'], { cwd: dir, encoding: 'utf8' })
  return { code: r.status, out: r.stdout + r.stderr }
}

describe('the layer check', () => {
  afterAll(cleanupTemp)

  it('passes on the repository as it is', () => {
    const out = execFileSync(DEPCRUISE, ['src', 'cli', 'commands', '--config', CONFIG, '--output-type', 'err'], { cwd: REPO_ROOT, encoding: 'utf8' })
    expect(out).toMatch(/no dependency violations found/)
  })

  it('fails on a cycle', () => {
    const r = cruise({
      'src/app/a.ts': "import { b } from './b.js'\nexport const a = () => b\n",
      'src/app/b.ts': "import { a } from './a.js'\nexport const b = () => a\n",
    })
    expect(r.code).not.toBe(0)
    expect(r.out).toMatch(/no-circular/)
  })

  it('fails on an upward import (the broker reaching into the app layer)', () => {
    const r = cruise({
      'src/app/duration.ts': 'export const toMs = (s: string) => Number(s)\n',
      'src/broker/url.ts': "import { toMs } from '../app/duration.js'\nexport const t = toMs('1')\n",
    })
    expect(r.code).not.toBe(0)
    expect(r.out).toMatch(/broker-imports-downward-only/)
  })
})
