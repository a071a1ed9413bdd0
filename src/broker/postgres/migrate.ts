import { BrokerError } from '../../errors.js'
import type { Db } from './connection.js'
import { migrationsFor } from './sql.js'

/** Advisory lock namespace of tq's migrations (the second key is the schema's hash). */
const LOCK_NAMESPACE = 0x7471

/**
 * Brings the broker's schema to the current version. The common case, a schema already current,
 * is one read. Otherwise every pending migration runs in one transaction under an advisory lock
 * held to its end: workers that start together queue on the lock, and each one after the first
 * finds the work done (CREATE SCHEMA IF NOT EXISTS alone would race on the catalog).
 *
 * With `mustExist` a missing schema is an error instead of being created (commands that only read
 * or change existing jobs, as with SQLite's database file).
 */
export async function migrate(db: Db, schema: string, opts: { mustExist?: boolean; describe: string }): Promise<void> {
  const migrations = migrationsFor(schema)
  const current = await currentVersion(db, schema)
  if (current === migrations.length) return
  if (current > migrations.length) {
    throw new BrokerError(`the tq schema "${schema}" at ${opts.describe} is at version ${current}, newer than this tq knows (${migrations.length})`, 'upgrade tq (every worker and producer) to the version that created it')
  }
  if (current === 0 && opts.mustExist) {
    throw new BrokerError(`no tq schema "${schema}" at ${opts.describe}`, 'start tq dev or tq worker first, or check --broker / TQ_BROKER_URL (?schema=)')
  }
  await db.query('BEGIN')
  try {
    await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, schema])
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
    await db.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
    const { rows } = await db.query<{ v: number | null }>(`SELECT max(version)::int AS v FROM ${schema}.schema_version`)
    for (let v = rows[0]?.v ?? 0; v < migrations.length; v++) {
      await db.query(migrations[v]!)
      await db.query(`INSERT INTO ${schema}.schema_version (version) VALUES ($1)`, [v + 1])
    }
    await db.query('COMMIT')
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}

/** The schema's version; 0 when it (or its version table) does not exist yet. One round trip. */
async function currentVersion(db: Db, schema: string): Promise<number> {
  try {
    const { rows } = await db.query<{ v: number | null }>(`SELECT max(version)::int AS v FROM ${schema}.schema_version`)
    return rows[0]?.v ?? 0
  } catch (err) {
    // undefined_table, invalid_schema_name: nothing created yet.
    if ((err as { code?: string }).code === '42P01' || (err as { code?: string }).code === '3F000') return 0
    throw err
  }
}
