import { randomBytes } from 'node:crypto'
import pg from 'pg'

/**
 * The Postgres server the tests use: `TQ_TEST_POSTGRES_URL`, default
 * `postgres://postgres@127.0.0.1:5432/tq_test`. Nothing else in that database is touched: every
 * test works in its own schema (uniqueSchema()) and drops it (dropSchema()) when it ends. Example:
 * `TQ_TEST_POSTGRES_URL=postgres://me:secret@db:5432/scratch npx vitest run test/postgres`.
 */
export const TEST_POSTGRES = process.env.TQ_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/tq_test'

/** A schema name no other test (or run) shares. */
export function uniqueSchema(): string {
  return `tqtest_${randomBytes(6).toString('hex')}`
}

/** The test Postgres URL with query options (schema, pool, ...). */
export function urlWith(query: Record<string, string>, base = TEST_POSTGRES): string {
  const u = new URL(base)
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v)
  return u.toString()
}

/** Runs one statement on the test server (its own short-lived connection). */
export async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params: unknown[] = [], base = TEST_POSTGRES): Promise<T[]> {
  const u = new URL(base)
  u.search = ''
  const client = new pg.Client({ connectionString: u.toString() })
  await client.connect()
  try {
    return (await client.query<T>(text, params)).rows
  } finally {
    await client.end()
  }
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string, base = TEST_POSTGRES): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a test schema: ${schema}`)
  await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`, [], base)
}
