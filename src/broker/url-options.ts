/** Options read from a broker URL's query, the same way for every broker (Redis, Postgres). */
import { readFileSync } from 'node:fs'
import { BrokerError } from '../errors.js'
import { toMs } from '../util/duration.js'

/** `?<what>=5000` or `?<what>=5s` as milliseconds; absent: undefined. `safe` is the URL without secrets. */
export function urlDuration(u: URL, what: string, safe: string): number | undefined {
  const text = u.searchParams.get(what)
  if (text === null) return undefined
  let ms = NaN
  try {
    ms = toMs(text, what)
  } catch {
    /* reported below, with the URL */
  }
  if (!(ms > 0)) throw new BrokerError(`broker URL "${safe}" has an invalid ${what} "${text}"`, `use milliseconds or a unit, e.g. ?${what}=5000 or ?${what}=5s`)
  return ms
}

/** The PEM file a URL parameter names (read once, here); absent: undefined. */
export function urlPemFile(u: URL, param: string, safe: string): Buffer | undefined {
  const path = u.searchParams.get(param)
  if (path === null) return undefined
  try {
    return readFileSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err)
    throw new BrokerError(`broker URL "${safe}": cannot read ${param} file ${path} (${code})`, `give ?${param}= the path of a readable PEM file`)
  }
}
