import { UsageError } from '../errors.js'

/** `--metrics` value: `9464`, `:9464`, `127.0.0.1:9464` or `[::1]:9464`. No host: every interface, as exporters do. */
export function parseMetricsAddress(text: string): { host: string | undefined; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(text.trim())
  const port = m ? Number(m[2]) : NaN
  if (!m || port > 65535) {
    throw new UsageError(`--metrics "${text}" is not a [host:]port`, 'give a port like 9464, or host:port like 127.0.0.1:9464 (0 picks a free port)')
  }
  const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : undefined
  return { host: host === '' ? undefined : host, port }
}
