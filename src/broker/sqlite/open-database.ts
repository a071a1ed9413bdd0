import type Database from 'better-sqlite3'
import { createRequire } from 'node:module'
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { keepPrivate } from '../../private-files.js'
import { BrokerError } from '../../errors.js'
import { APPLICATION_ID, MIGRATIONS } from './migrations.js'
import { storageError } from './storage-errors.js'

// require(), not import: Node then skips scanning the CommonJS module for export names at start.
const BetterSqlite3 = createRequire(import.meta.url)('better-sqlite3') as typeof Database

/**
 * Opens (creating if needed) a tq SQLite database: private file modes, WAL, and the schema
 * migrated to this tq's version. Refuses files that are not tq's or come from a newer tq,
 * before writing anything to them.
 */
export function openDatabase(file: string): Database.Database {
  if (file === ':memory:') return openInMemory()
  const dir = dirname(file)
  const isNew = !existsSync(file)
  if (isNew) {
    try {
      makeDirs(dir)
      accessSync(dir, constants.W_OK)
      // Created 0600 before SQLite touches it; SQLite gives -wal and -shm the same mode.
      createExclusive(file)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST' || code === 'ENOTDIR') {
        throw new BrokerError(`cannot create the database at ${file}: a part of that path is a file, not a folder`, 'choose another path in the broker URL')
      }
      throw new BrokerError(`cannot create the database at ${file}: ${code ?? err}`, 'choose a writable path in the broker URL or fix the folder permissions')
    }
  } else {
    if (statSync(file).isDirectory()) throw new BrokerError(`${file} is a folder, not a database file`, 'point the broker URL at a file, e.g. sqlite://.tq/tq.db')
    // Made before tq kept its files private, or by hand: tighten it (and tq's own folder) first.
    if (basename(dir) === '.tq') keepPrivate(dir, 0o700)
    for (const f of [file, `${file}-wal`, `${file}-shm`]) keepPrivate(f, 0o600)
    try {
      accessSync(file, constants.R_OK | constants.W_OK)
      accessSync(dir, constants.W_OK)
    } catch {
      throw new BrokerError(`the database at ${file} is not writable`, 'fix its permissions or choose another path in the broker URL')
    }
  }

  let db: Database.Database | undefined
  try {
    db = new BetterSqlite3(file)
    // Opening waits longer than later writes do: another process may be migrating the file, and
    // rebuilding a table of millions of jobs takes seconds (schema 7: 5.6 s for a million).
    db.pragma('busy_timeout = 120000')
    checkOwnership(db, file)
    // For a new file only (an existing database keeps its page size). A commit writes each page
    // it touches to the WAL whole, and an enqueue touches three: with 2 KB pages a stream of single
    // enqueues writes half the bytes and runs 40% faster than with 4 KB, while bulk inserts and
    // claims measure the same (docs/benchmarks.md).
    db.pragma('page_size = 2048')
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL') // WAL + NORMAL: a commit survives a process kill; only power loss can drop the last ones.
    // A checkpoint (WAL pages copied into the file, two fsyncs) every 8,000 WAL pages rather than
    // SQLite's 1,000: a stream of single enqueues rewrites the same few pages, so a checkpoint
    // copies about as much either way, and an eighth as many made one caller's enqueues ~15 %
    // faster, p99.9 4.2 -> 0.4 ms (the longest stall 17 -> 22 ms; at 16,000 pages 47 ms). The WAL
    // file grows to ~16 MB instead of ~2 (docs/benchmarks.md).
    db.pragma('wal_autocheckpoint = 8000')
    db.pragma('temp_store = MEMORY')
    migrate(db, file)
    db.pragma('busy_timeout = 10000')
    return db
  } catch (err) {
    // Closed so SQLite removes the -wal and -shm files it made: a refused file is left as found.
    try {
      db?.close()
    } catch {
      /* already unusable */
    }
    const mapped = storageError(err, file)
    if (mapped !== err || err instanceof BrokerError) throw mapped
    throw new BrokerError(`${file} is not a tq database (${(err as Error).message})`, 'point the broker URL at another file')
  }
}

/**
 * A private in-memory database (tqjs/testing): the same schema, nothing on disk, no WAL (there
 * is no other process to share it with). Opening one costs well under a millisecond.
 */
function openInMemory(): Database.Database {
  const db = new BetterSqlite3(':memory:')
  db.pragma('temp_store = MEMORY')
  migrate(db, ':memory:')
  return db
}

/**
 * mkdir -p, one level at a time. (Node 20's recursive mkdirSync never returns for some paths,
 * such as under /proc; a plain mkdir fails at once instead.)
 */
function makeDirs(dir: string): void {
  if (existsSync(dir)) return
  const parent = dirname(dir)
  if (parent !== dir) makeDirs(parent)
  // 0700: the queue's contents are the user's business alone.
  try {
    mkdirSync(dir, { mode: 0o700 })
  } catch (err) {
    // Another process starting on the same new database made it a moment ago.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) throw err
  }
}

/** Creates the file 0600; one another process created a moment ago (workers starting at once) is theirs to share. */
function createExclusive(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(file).isFile()) throw err
  }
}

function checkOwnership(db: Database.Database, file: string): void {
  // One read transaction: another process creating the same new database may commit its schema
  // between separate reads, which would pair its tables with the id read before (found under load).
  const [appId, version, tables] = db.transaction(() => [
    db.pragma('application_id', { simple: true }) as number,
    db.pragma('user_version', { simple: true }) as number,
    (db.prepare(`SELECT count(*) AS n FROM sqlite_schema`).get() as { n: number }).n,
  ])()
  if (appId === APPLICATION_ID) {
    if (version > MIGRATIONS.length) {
      throw new BrokerError(`${file} was written by a newer tq (schema v${version}; this tq knows up to v${MIGRATIONS.length})`, 'upgrade tq: npm install tqjs@latest')
    }
    return
  }
  if (appId !== 0 || version !== 0 || tables > 0) {
    throw new BrokerError(`${file} is not a tq database`, 'point the broker URL at a new or tq-created file')
  }
}

function migrate(db: Database.Database, file: string): void {
  const run = db.transaction(() => {
    // Read again inside the write lock: another process may have migrated meanwhile.
    const version = db.pragma('user_version', { simple: true }) as number
    if (version > MIGRATIONS.length) {
      throw new BrokerError(`${file} was written by a newer tq (schema v${version})`, 'upgrade tq: npm install tqjs@latest')
    }
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!)
    if (version < MIGRATIONS.length) {
      db.pragma(`application_id = ${APPLICATION_ID}`)
      db.pragma(`user_version = ${MIGRATIONS.length}`)
    }
  })
  if ((db.pragma('user_version', { simple: true }) as number) < MIGRATIONS.length) run.immediate()
}
