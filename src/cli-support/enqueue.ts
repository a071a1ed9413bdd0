import { readFileSync } from 'node:fs'
import { toMs } from '../util/duration.js'
import type { JobHandle } from '../app/job-handle.js'
import type { JobJSON } from '../broker/types.js'
import { JobFailedError, UsageError } from '../errors.js'
import { colors } from '../format/colors.js'

/**
 * Flags that only matter after the write (`--timeout`) or that pick between inputs, checked before
 * anything is written: a usage error must leave no job behind. The enqueue options themselves are
 * checked by buildNewJob, for every payload, before the broker sees any of them.
 */
export function checkEnqueueFlags(flags: { timeout?: string; batch?: string }, payload: string | undefined): void {
  if (flags.batch !== undefined && payload !== undefined) throw new UsageError('give either a payload or --batch, not both', 'drop the payload argument, or --batch')
  if (flags.timeout !== undefined) toMs(flags.timeout, 'timeout')
}

/** What `--batch` prints: how many jobs were given, and how many were new rather than already waiting under their key. */
export function batchSummary(handles: readonly JobHandle[]): { count: number; created: number; existing: number; ids: string[] } {
  const created = handles.filter((h) => h.created).length
  return { count: handles.length, created, existing: handles.length - created, ids: handles.map((h) => h.id) }
}

/** `--batch` for people: the bare count when every job is new (as scripts expect), else created and existing. */
export function batchLine(s: { count: number; created: number; existing: number }): string {
  return s.existing === 0 ? String(s.count) : `${s.created} created, ${s.existing} existing (same unique key)`
}

/** A payload typed on the command line: JSON, parsed, never evaluated. */
export function parsePayload(text: string | undefined): unknown {
  if (text === undefined) return null
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new UsageError(`payload is not valid JSON: ${(err as Error).message}`, `quote it for the shell, e.g. '{"to":"a@b.c"}'`)
  }
}

/** Reads NDJSON (one payload per line; blank lines skipped) from a file or `-` for stdin. */
export async function readBatch(source: string): Promise<unknown[]> {
  let text: string
  try {
    text = source === '-' ? await readStdin() : readFileSync(source, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read batch file ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'check the path, or use - to read stdin')
  }
  const out: unknown[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (!line) continue
    try {
      out.push(JSON.parse(line))
    } catch (err) {
      throw new UsageError(`line ${i + 1} of ${source} is not valid JSON: ${(err as Error).message}`, 'put one JSON payload per line (NDJSON)')
    }
  }
  return out
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

const SPIN = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

function progressText(job: JobJSON): string {
  const p = job.progress
  if (typeof p === 'number' && p >= 0 && p <= 1) {
    const width = 20
    const full = Math.round(p * width)
    return `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${Math.round(p * 100)}%`
  }
  if (typeof p === 'number' && p > 1 && p <= 100) return progressText({ ...job, progress: p / 100 })
  return p == null ? '' : JSON.stringify(p)
}

/**
 * Waits for a job and prints its result (stdout) or its error (stderr). On a terminal, a spinner
 * and the job's progress show on stderr while it runs. Returns false if the job did not succeed.
 */
export async function waitAndReport(handle: JobHandle, opts: { timeout?: string; json?: boolean }): Promise<boolean> {
  const tty = Boolean(process.stderr.isTTY) && !opts.json
  const c = colors(process.stderr)
  let latest: JobJSON | undefined
  let frame = 0
  const draw = () => {
    if (!tty || !latest) return
    const line = `${SPIN[frame++ % SPIN.length]} ${latest.task} ${latest.state}${latest.attempt > 1 ? ` (attempt ${latest.attempt})` : ''} ${progressText(latest)}`
    process.stderr.write(`\r\x1b[2K${c.cyan(line)}`)
  }
  const spinner = tty ? setInterval(draw, 80) : undefined
  try {
    const result = await handle.result({ timeout: opts.timeout, onUpdate: (j) => ((latest = j), draw()) })
    if (tty) process.stderr.write('\r\x1b[2K')
    const job = await handle.get()
    if (opts.json) process.stdout.write(JSON.stringify(job, null, 2) + '\n')
    else process.stdout.write(JSON.stringify(result ?? null, null, 2) + '\n')
    return true
  } catch (err) {
    if (tty) process.stderr.write('\r\x1b[2K')
    if (!(err instanceof JobFailedError)) throw err
    if (opts.json) process.stdout.write(JSON.stringify(await handle.get(), null, 2) + '\n')
    process.stderr.write(`Error: job ${handle.id} ${err.state}: ${err.message} (see tq job ${handle.id})\n`)
    return false
  } finally {
    clearInterval(spinner)
  }
}
