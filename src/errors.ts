/**
 * Typed errors. Every error a user can cause carries a `hint` saying how to fix it,
 * so the CLI can print the one-line form `Error: <what> (<how to fix>)`.
 */
export class TqError extends Error {
  /** How to fix the problem, shown in parentheses after the message. */
  readonly hint: string | undefined
  /** Process exit code the CLI uses: 1 for a failure, 2 for a usage error. */
  readonly exitCode: number

  constructor(message: string, hint?: string, exitCode = 1) {
    super(message)
    this.name = new.target.name
    this.hint = hint
    this.exitCode = exitCode
  }

  /** The one-line form the CLI prints. */
  oneLine(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message
  }
}

/** The user typed something the CLI or API cannot accept. */
export class UsageError extends TqError {
  constructor(message: string, hint?: string) {
    super(message, hint, 2)
  }
}

/** tq.config.ts is missing or failed to load. */
export class ConfigError extends TqError {}

/** A broker URL, database file or broker connection problem. */
export class BrokerError extends TqError {}

/** A job names a task no loaded module defines. */
export class UnknownTaskError extends TqError {}

/** A job ended in `failed`, `cancelled` or `expired`; thrown by `handle.result()`. */
export class JobFailedError extends Error {
  constructor(
    readonly jobId: string,
    readonly state: string,
    message: string,
    readonly remoteStack?: string,
    readonly remoteName?: string,
  ) {
    super(message)
    this.name = 'JobFailedError'
  }
}

/** Waiting for a job's result took longer than asked. */
export class TimeoutError extends TqError {}

/** Formats anything thrown into the CLI's one line. */
export function oneLine(err: unknown): string {
  if (err instanceof TqError) return err.oneLine()
  if (err instanceof Error) return err.message.split('\n')[0]!
  return String(err)
}
