import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteBroker } from '../../src/broker/sqlite/sqlite-broker.js'
import { brokerConformance } from './broker-conformance.js'

brokerConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tq-conf-'))
  const file = join(dir, 'tq.db')
  return {
    open: async () => new SqliteBroker(file),
    openPeer: async () => new SqliteBroker(file),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  }
})
