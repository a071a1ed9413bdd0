import { chmodSync, existsSync, statSync } from 'node:fs'
import { TqError } from './errors.js'

/**
 * Makes an existing file or folder of tq's private to its owner (`mode`, e.g. 0o600 or 0o700)
 * when others can read it: the queue holds payloads, results and the bundled config with its
 * broker password. Files created by tq start private; this covers ones made before, or by hand.
 * Throws a TqError with the fix when the mode cannot be changed (another user owns it).
 */
export function keepPrivate(path: string, mode: number): void {
  if (!existsSync(path)) return
  const st = statSync(path)
  if ((st.mode & 0o077) === 0) return
  try {
    chmodSync(path, mode)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err)
    const octal = (st.mode & 0o777).toString(8).padStart(4, '0')
    throw new TqError(`${path} is open to other users (mode ${octal}) and cannot be made private (${code})`, `run: chmod ${mode.toString(8)} ${path} as its owner`)
  }
}
