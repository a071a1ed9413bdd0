import { BrokerError } from '../../errors.js'

/**
 * SQLite's own failures of the disk or the file (full, damaged, unreadable), as one BrokerError
 * each that names the file and says what to do. SQLite rolls a failed write back, so none of
 * these leaves half an operation behind. Anything else is returned unchanged.
 */
export function storageError(err: unknown, file: string): unknown {
  if (err instanceof BrokerError) return err
  const code = String((err as { code?: unknown })?.code ?? '')
  const what = (err as Error)?.message ?? String(err)
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new BrokerError(`the disk holding ${file} is full (${what}); nothing was written`, 'free space on that disk, or point the broker URL at a disk with room')
  }
  if (code === 'SQLITE_NOTADB') {
    return new BrokerError(`${file} is not a tq database, or it is damaged (${what})`, 'point the broker URL at a tq database; if this was one, restore it from a backup or move it aside with its -wal and -shm files')
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new BrokerError(`the database ${file} is damaged (${what})`, `restore it from a backup, or move it aside with its -wal and -shm files to start an empty queue`)
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') {
    return new BrokerError(`the database ${file} cannot be written (${what})`, 'make the file and its folder writable (a read-only disk cannot hold the queue), or point the broker URL elsewhere')
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code === 'EACCES' || code === 'EPERM') {
    return new BrokerError(`cannot open the database ${file} (${what})`, 'check that its folder exists and is readable and writable by this user')
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new BrokerError(`reading or writing ${file} failed (${what})`, 'check that disk: is it full, read-only or failing?')
  }
  return err
}

/**
 * The broker with every method's failures passed through storageError, so each caller (CLI,
 * worker, producer) gets the same one-line error without the broker handling it per method.
 */
export function withStorageErrors<T extends object>(broker: T, file: string): T {
  const wrapped = new Map<PropertyKey, unknown>()
  return new Proxy(broker, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown
      if (typeof value !== 'function') return value
      let fn = wrapped.get(prop)
      if (!fn) {
        fn = (...args: unknown[]) => {
          try {
            const out = (value as (...a: unknown[]) => unknown).apply(target, args)
            return out instanceof Promise ? out.catch((err: unknown) => Promise.reject(storageError(err, file))) : out
          } catch (err) {
            throw storageError(err, file)
          }
        }
        wrapped.set(prop, fn)
      }
      return fn
    },
  })
}
