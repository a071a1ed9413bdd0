import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/tq.js'

// tqjs/testing is not tied to vitest: the same engine under Node's own runner, in a fresh process
// that imports the built package (`npm run build` first, as `npm test` does).
describe('tqjs/testing under node:test', () => {
  it('passes a node --test file that uses createTestQueue', async () => {
    const file = join(REPO_ROOT, 'test', 'testing', 'node-test', 'queue.node.mjs')
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap', file], { cwd: REPO_ROOT, env: { ...process.env, NODE_OPTIONS: '' } })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(out).toMatch(/^# pass 3$/m)
    expect(out).toMatch(/^# fail 0$/m)
    expect(code, out).toBe(0)
  })
})
