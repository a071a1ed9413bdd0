/**
 * The Postgres broker beyond the conformance suite: URL parsing and what it says without secrets,
 * migrations when several processes start at once, bounded statements, the LISTEN connection
 * coming back by itself, and (on private servers) a restart, TLS and passwords.
 */
import pg from 'pg'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { openBroker } from '../../src/broker/open-broker.js'
import { PostgresBroker } from '../../src/broker/postgres/postgres-broker.js'
import type { Db } from '../../src/broker/postgres/connection.js'
import { insertBatch } from '../../src/broker/postgres/enqueue-batch.js'
import { enqueueParams } from '../../src/broker/postgres/job-params.js'
import { MIGRATIONS } from '../../src/broker/postgres/migrations.js'
import { migrationsFor, sqlFor } from '../../src/broker/postgres/sql.js'
import { parsePostgresUrl } from '../../src/broker/postgres/url.js'
import { BrokerError, UsageError } from '../../src/errors.js'
import { dropSchema, sql, TEST_POSTGRES, uniqueSchema, urlWith } from './helpers.js'
import { destroyPgServers, PgServer } from './server.js'

const schemas: string[] = []
const brokers: PostgresBroker[] = []
function fresh(query: Record<string, string> = {}, base = TEST_POSTGRES): string {
  const schema = uniqueSchema()
  if (base === TEST_POSTGRES) schemas.push(schema)
  return urlWith({ schema, ...query }, base)
}
async function open(url: string): Promise<PostgresBroker> {
  const b = await PostgresBroker.connect(url)
  brokers.push(b)
  return b
}
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.close()))
  for (const s of schemas.splice(0)) await dropSchema(s)
})
afterAll(destroyPgServers)

const job = (over: Record<string, unknown> = {}) => ({ task: 't', queue: 'q', payload: '{}', priority: 0, runAt: Date.now(), maxAttempts: 1, ...over })

/** The error a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a failure')
}

describe('postgres:// URLs', () => {
  it('reads user, password, host, port, database, schema, sslmode and pool; describe hides the password', () => {
    const c = parsePostgresUrl('postgresql://app:p%40ss@db.internal:6543/jobs?schema=work&sslmode=require&pool=8&statementTimeout=5s')
    expect(c).toMatchObject({ user: 'app', password: 'p@ss', host: 'db.internal', port: 6543, database: 'jobs', schema: 'work', sslmode: 'require', pool: 8, statementTimeoutMs: 5000 })
    expect(c.ssl).toMatchObject({ rejectUnauthorized: false })
    expect(c.describe).toBe('postgresql://app:***@db.internal:6543/jobs?schema=work&sslmode=require')
    expect(c.describe).not.toContain('p@ss')
    const d = parsePostgresUrl('postgres://localhost/app')
    expect(d).toMatchObject({ port: 5432, schema: 'tq', ssl: false, pool: 4 })
    expect(parsePostgresUrl('postgres://h/app?sslmode=verify-full').ssl).toMatchObject({ rejectUnauthorized: true, servername: 'h' })
    expect(d.synchronousCommit).toBe(true)
    expect(parsePostgresUrl('postgres://h/app?synchronousCommit=off').synchronousCommit).toBe(false)
  })

  it('refuses bad options in one line that names the fix, never showing the password', () => {
    const bad = [
      ['postgres://u:hunter2@h/app?schema=Drop;Table', /invalid schema/],
      ['postgres://u:hunter2@h/app?sslmode=maybe', /unknown sslmode "maybe"/],
      ['postgres://u:hunter2@h/app?pool=0', /invalid pool/],
      ['postgres://u:hunter2@h/app?colour=blue', /unknown option "colour"/],
      ['postgres://u:hunter2@h/app?synchronousCommit=maybe', /invalid synchronousCommit/],
      ['postgres://u:hunter2@h/', /names no database/],
      ['postgres://u:hunter2@h/app?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem', /cannot read sslrootcert/],
      ['postgres://u:hunter2@h/app?sslrootcert=/etc/hostname', /sslmode=prefer connects without TLS/],
    ] as const
    for (const [url, why] of bad) {
      let err: unknown
      try {
        parsePostgresUrl(url)
      } catch (e) {
        err = e
      }
      expect(err, url).toBeInstanceOf(BrokerError)
      expect((err as BrokerError).message).toMatch(why)
      expect((err as BrokerError).hint).toBeTruthy()
      expect((err as BrokerError).oneLine()).not.toContain('hunter2')
    }
  })
})

describe('schema and migrations', () => {
  it('several brokers opening a new schema at once migrate it once', async () => {
    const url = fresh()
    const all = await Promise.all(Array.from({ length: 6 }, () => open(url)))
    const schema = all[0]!.schema
    const rows = await sql<{ version: number }>(`SELECT version FROM ${schema}.schema_version ORDER BY version`)
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1))
    const [r] = await all[3]!.enqueue([job()])
    expect((await all[5]!.getJob(r!.id))!.state).toBe('queued')
  })

  it('a schema made by an older tq (version 1) is brought to the current version, and its jobs work on', async () => {
    const url = fresh()
    const first = await open(url)
    const [{ id }] = await first.enqueue([job()])
    const { jobs } = await first.claim({ workerId: 'w', queues: ['q'], limit: 1, leaseMs: 30_000 })
    await first.close()
    // As an older tq left it: the version-2 settle not there (its version-1 body back) and the version at 1.
    await sql(migrationsFor(first.schema)[0]!.replace(/[\s\S]*(CREATE FUNCTION \w+\.settle[\s\S]*?\$fn\$[\s\S]*?\$fn\$;)[\s\S]*/, '$1').replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'))
    // And migration 3's hand-off (../../src/broker/postgres/hand-off.ts) not there.
    await sql(`DROP TABLE ${first.schema}.parked, ${first.schema}.handed; DROP FUNCTION ${first.schema}.forget_parking() CASCADE`)
    await sql(`DROP FUNCTION ${first.schema}.claim_or_park, ${first.schema}.unpark`)
    await sql(`DELETE FROM ${first.schema}.schema_version WHERE version > 1`)
    const again = await open(url)
    const rows = await sql<{ version: number }>(`SELECT version FROM ${first.schema}.schema_version ORDER BY version`)
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1))
    const [{ def }] = await sql<{ def: string }>(`SELECT pg_get_functiondef('${first.schema}.settle'::regproc) AS def`)
    expect(def).toContain(`state COLLATE "C" = 'active'`)
    expect(await again.settle([{ id, token: jobs[0]!.token, kind: 'succeeded', result: '"ok"' }])).toEqual([true])
    expect((await again.getJob(id))!.state).toBe('succeeded')
  })

  it('commands that must not create it refuse a missing schema', async () => {
    const url = fresh()
    const err = await failure(openBroker(url, '/', { mustExist: true }))
    expect(err).toBeInstanceOf(BrokerError)
    expect(err.message).toMatch(/no tq schema "tqtest_/)
    const created = await openBroker(url, '/')
    await created.close()
    const again = await openBroker(url, '/', { mustExist: true })
    await again.close()
  })
})

describe('bounds', () => {
  it('a statement that hangs fails at statementTimeout with a BrokerError instead of hanging', async () => {
    const url = fresh({ statementTimeout: '300ms' })
    const broker = await open(url)
    await broker.pause('q')
    // Another session holds the queue's row: the broker's next write to it blocks.
    const holder = new pg.Client({ connectionString: TEST_POSTGRES })
    await holder.connect()
    try {
      await holder.query('BEGIN')
      await holder.query(`SELECT * FROM ${broker.schema}.queues WHERE name = 'q' FOR UPDATE`)
      const err = await failure(broker.resume('q'))
      expect(err).toBeInstanceOf(BrokerError)
      expect(err.message).toMatch(/statement timeout/)
    } finally {
      await holder.query('ROLLBACK')
      await holder.end()
    }
    // The pool is fine afterwards.
    await broker.resume('q')
    expect((await broker.counts()).find((q) => q.queue === 'q')!.paused).toBe(false)
  })

  it('a worker holds at most pool connections plus one for LISTEN, however many operations overlap', async () => {
    const url = fresh({ pool: '2', application_name: `tqpool${Date.now()}` })
    const broker = await open(url)
    const name = new URL(url).searchParams.get('application_name')!
    const waiting = broker.waitForChange(60_000)
    await broker.enqueue(Array.from({ length: 50 }, () => job()))
    const ops = Array.from({ length: 40 }, (_, i) => (i % 2 ? broker.claim({ workerId: 'w', queues: ['q'], limit: 1, leaseMs: 30_000 }) : broker.counts()))
    let most = 0
    const sample = async () => {
      const [{ n }] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name IN ($1, $2)`, [name, `${name}-listen`])
      most = Math.max(most, n)
    }
    while ((await Promise.race([Promise.all(ops).then(() => true), sample().then(() => false)])) === false);
    await sample()
    await waiting
    expect(most).toBeGreaterThan(0)
    expect(most).toBeLessThanOrEqual(3)
  })
})

describe('claims read back from one joined value per job (./claim-rows.ts)', () => {
  it('every field of a claimed job comes back as stored, a payload holding the separator and non-ASCII text included', async () => {
    const url = fresh()
    const b = await open(url)
    const payload = '{"s":"a\u001fb\u001f","t":"é 日本 🎉"}' // raw U+001F characters, not JSON escapes
    expect(payload).toContain('\u001f')
    const [{ id: parentId }] = await b.enqueue([job()])
    const [{ id }] = await b.enqueue([job({ payload, priority: 7, maxAttempts: 3, parentId, headers: '{"traceparent":"00-abc-def-01"}', runAt: Date.now() - 5 })])
    const { jobs } = await b.claim({ workerId: 'w', queues: ['q'], limit: 1, leaseMs: 30_000 })
    const [stored] = await sql<{ run_at: string; created_at: string }>(`SELECT run_at, created_at FROM ${new URL(url).searchParams.get('schema')}.jobs WHERE id = $1`, [id])
    expect(jobs).toEqual([
      { id, task: 't', queue: 'q', payload, attempt: 1, maxAttempts: 3, token: jobs[0]!.token, priority: 7, runAt: Number(stored!.run_at), createdAt: Number(stored!.created_at), parentId, workflowId: null, headers: '{"traceparent":"00-abc-def-01"}' },
    ])
    expect(await b.settle([{ id, token: jobs[0]!.token, kind: 'succeeded', result: '1' }])).toEqual([true])
  })

  it('an id given with a control character is refused before anything is written (ids are joined by U+001F)', async () => {
    const b = await open(fresh())
    const err = await failure(b.enqueue([job(), job({ id: 'schedule:a\u001fb:2026' })]))
    expect(err).toBeInstanceOf(UsageError)
    expect(err.message).toMatch(/control character/)
    expect(await failure(b.enqueueSlot('a\u001fb', 1, { ...job(), id: 'schedule:a\u001fb:1' }))).toBeInstanceOf(UsageError)
    expect(await b.counts()).toEqual([])
  })

  it('a drained claim reports the next delayed job, and jobs past their deadline come back expired', async () => {
    const b = await open(fresh())
    const runAt = Date.now() + 60_000
    await b.enqueue([job({ runAt })])
    const [{ id }] = await b.enqueue([job({ expiresAt: Date.now() - 1 })])
    const got = await b.claim({ workerId: 'w', queues: ['q'], limit: 5, leaseMs: 30_000 })
    expect(got).toEqual({ jobs: [], nextRunAt: runAt, expired: [{ id, task: 't', queue: 'q' }] })
  })

  it('a settle tells which outcomes were applied: stale tokens are not', async () => {
    const b = await open(fresh())
    await b.enqueue([job(), job(), job()])
    const { jobs } = await b.claim({ workerId: 'w', queues: ['q'], limit: 3, leaseMs: 30_000 })
    const outcomes = jobs.map((j, i) => ({ id: j.id, token: i === 1 ? j.token + 1 : j.token, kind: 'succeeded' as const, result: undefined }))
    expect(await b.settle(outcomes)).toEqual([true, false, true])
    expect(await b.settle(outcomes)).toEqual([false, false, false])
  })
})

describe('enqueue: a plain INSERT when nothing can conflict (./enqueue-batch.ts)', () => {
  it('a batch meeting an existing id (a random id drawn twice) goes again skipping it, and the rest are inserted', async () => {
    const url = fresh()
    const b = await open(url)
    const [{ id: taken }] = await b.enqueue([job({ payload: '"first"' })])
    const client = new pg.Client({ connectionString: TEST_POSTGRES })
    await client.connect()
    try {
      const db: Db = {
        query: (text, values) => client.query(text, values),
        values: async (text, values) => (await client.query({ text, values, rowMode: 'array' })).rows,
      }
      const jobs = [job({ payload: '"a"' }), job({ payload: '"b"' }), job({ payload: '"c"' })]
      const ids = ['fresh-1', taken, 'fresh-2']
      const out = await insertBatch(db, sqlFor(b.schema), jobs, ids, enqueueParams(jobs, ids), true)
      expect(out.map((r) => r.id)).toEqual(ids)
      const rows = await sql<{ id: string; payload: string }>(`SELECT id, payload FROM ${b.schema}.jobs ORDER BY seq`)
      expect(rows).toEqual([{ id: taken, payload: '"first"' }, { id: 'fresh-1', payload: '"a"' }, { id: 'fresh-2', payload: '"c"' }])
    } finally {
      await client.end()
    }
  })

  it('a batch of plain jobs keeps its order and its columns; unset columns are NULL', async () => {
    const b = await open(fresh())
    const rs = await b.enqueue([job({ payload: '1' }), job({ payload: '2', key: null, parentId: null })])
    const rows = await sql(`SELECT payload, key, parent_id, workflow_id, next, is_join, pending, headers, state FROM ${b.schema}.jobs ORDER BY seq`)
    expect(rows).toEqual([1, 2].map((p) => ({ payload: String(p), key: null, parent_id: null, workflow_id: null, next: null, is_join: false, pending: 0, headers: null, state: 'queued' })))
    expect(rs.every((r) => r.created)).toBe(true)
  })
})

describe('LISTEN/NOTIFY', () => {
  it('the LISTEN connection comes back by itself after the server drops it, and wakes waiters again', async () => {
    const url = fresh({ application_name: `tqlisten${Date.now()}` })
    const broker = await open(url)
    const peer = await open(url)
    const name = new URL(url).searchParams.get('application_name')!
    await broker.waitForChange(5000) // opens the LISTEN connection; returns once it listens
    const killed = await sql<{ ok: boolean }>(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1`, [`${name}-listen`])
    expect(killed).toEqual([{ ok: true }])
    // Back again: a wait returns when the new connection listens (changes meanwhile went unseen),
    // and after that a peer's enqueue wakes the next wait.
    await broker.waitForChange(30_000)
    await expect.poll(async () => (await sql(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE 'LISTEN%'`, [`${name}-listen`])).length, { timeout: 30_000 }).toBe(1)
    const woke = broker.waitForChange(60_000).then(() => 'woke')
    await peer.enqueue([job()])
    expect(await woke).toBe('woke')
  })
})

describe('a private server: restart, TLS and passwords', () => {
  it('operations wait through a restart, and nothing committed is lost', async () => {
    const server = await PgServer.create()
    const url = server.url({ schema: 'tq', connectTimeout: '30s' })
    const broker = await open(url)
    const ids = (await broker.enqueue(Array.from({ length: 100 }, () => job()))).map((r) => r.id)
    await broker.waitForChange(100)
    await server.stop()
    const during = broker.enqueue([job()]) // waits for the server
    await server.start()
    const [late] = await during
    expect((await broker.getJob(late!.id))!.state).toBe('queued')
    for (const id of ids) expect((await broker.getJob(id))!.state).toBe('queued')
    const claimed = (await broker.claim({ workerId: 'w', queues: ['q'], limit: 200, leaseMs: 30_000 })).jobs
    expect(claimed).toHaveLength(101)
  })

  it('TLS: require encrypts, verify-full checks the certificate and the host, and a plain connection is refused', async () => {
    const server = await PgServer.create({ tls: true })
    const require = await open(server.url({ schema: 'tq', sslmode: 'require', application_name: 'tqtls' }))
    await require.enqueue([job()])
    const [row] = await server.query<{ ssl: boolean }>(`SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'tqtls' LIMIT 1`)
    expect(row!.ssl).toBe(true)

    const verified = await open(server.url({ schema: 'tq', sslmode: 'verify-full', sslrootcert: server.cert }, { host: 'localhost' }))
    expect(await verified.counts()).toHaveLength(1)

    const untrusted = await failure(PostgresBroker.connect(server.url({ schema: 'tq', sslmode: 'verify-full', connectTimeout: '2s' }, { host: 'localhost' })))
    expect((untrusted as BrokerError).oneLine()).toMatch(/not trusted.*sslrootcert/)
    const wrongHost = await failure(PostgresBroker.connect(server.url({ schema: 'tq', sslmode: 'verify-full', sslrootcert: server.cert, connectTimeout: '2s' })))
    expect((wrongHost as BrokerError).oneLine()).toMatch(/certificate is for another host/)
    const plain = await failure(PostgresBroker.connect(server.url({ schema: 'tq', sslmode: 'disable', connectTimeout: '2s' })))
    expect(plain).toBeInstanceOf(BrokerError)
    expect(plain.message).toMatch(/pg_hba|no encryption|rejects/)
  })

  it('a password: the right one connects, a wrong one fails at once in one line without either password', async () => {
    const server = await PgServer.create({ password: 's3cret-pw' })
    const ok = await open(server.url({ schema: 'tq' }, { password: 's3cret-pw' }))
    await ok.enqueue([job()])
    expect(ok.describe).not.toContain('s3cret')
    const err = await failure(PostgresBroker.connect(server.url({ schema: 'tq' }, { password: 'wr0ng-pw' })))
    expect(err).toBeInstanceOf(BrokerError)
    const line = (err as BrokerError).oneLine()
    expect(line).toMatch(/refused the credentials.*check the user and password/)
    expect(line).not.toContain('wr0ng-pw')
    expect(line).not.toContain('s3cret-pw')
  })
})
