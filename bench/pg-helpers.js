// What the Postgres benchmarks share: the server's URL and the CPU it spends (read from /proc).
import { readdirSync, readFileSync } from 'node:fs'

export const PG_BASE = process.env.TQ_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/tq_test'
/** USER_HZ: /proc times are in 1/100 s. */
const CLK = 100

/** CPU seconds of every postgres process, plus what the postmaster reaped (exited backends). */
export function postgresCpu() {
  let ticks = 0
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    let stat
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    } catch {
      continue
    }
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields from state (3): utime 14, stime 15, cutime 16, cstime 17 → indexes 11..14 here.
    ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])
  }
  return ticks / CLK
}

/** CPU seconds of this process's reaped children (the tq worker processes): user + system, or `system` alone. */
export function childrenCpu({ system = false } = {}) {
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((system ? 0 : Number(f[13])) + Number(f[14])) / CLK
}
