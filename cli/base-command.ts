import { Command, Flags, Errors } from '#oclif'
import { openBroker } from '../src/broker/open-broker.js'
import type { Broker } from '../src/broker/types.js'
import { TqError } from '../src/errors.js'
import { suggestFlag } from './suggest-flag.js'
import { safeText } from '../src/format/safe-text.js'
import { loadProject, type Project } from '../src/loader/project.js'

/** File errors the user can fix, with how. */
const FS_FAULTS: Record<string, string> = {
  EACCES: 'fix the permissions of that path for this user, or run tq from a folder you own',
  EPERM: 'fix the permissions of that path for this user, or run tq from a folder you own',
  EROFS: 'that disk is read-only: run tq from a writable folder',
  ENOSPC: 'the disk is full: free space on it',
  EDQUOT: 'the disk quota is used up: free space',
}

/**
 * What every tq command shares: `--config` and `--broker`, and errors printed as one line
 * `Error: <what> (<how to fix>)` with exit 1 (2 for usage errors).
 */
export abstract class TqCommand extends Command {
  static baseFlags = {
    config: Flags.string({ description: 'path to tq.config.ts (default: tq.config.ts in the current folder, else the nearest parent folder that has one)', helpGroup: 'GLOBAL' }),
    broker: Flags.string({ description: 'broker URL; overrides TQ_BROKER_URL and the config', helpGroup: 'GLOBAL' }),
  }

  protected async project(flags: { config?: string; broker?: string }, requireConfig = false): Promise<Project> {
    return loadProject({ config: flags.config, broker: flags.broker, requireConfig })
  }

  /** Opens the project's broker; `mustExist` refuses to create a SQLite file from a typo'd path. */
  protected async broker(project: Project, opts: { mustExist?: boolean } = {}): Promise<Broker> {
    return openBroker(project.brokerUrl, project.root, opts)
  }

  /**
   * Opens the project's broker, runs `fn` with it and closes it, whatever happens: the shape of
   * every command that reads or changes jobs.
   */
  protected async withBroker<T>(
    flags: { config?: string; broker?: string },
    fn: (broker: Broker, project: Project) => Promise<T>,
    opts: { mustExist?: boolean; requireConfig?: boolean; /** already loaded */ project?: Project } = {},
  ): Promise<T> {
    const project = opts.project ?? (await this.project(flags, opts.requireConfig))
    const broker = await this.broker(project, opts)
    try {
      return await fn(broker, project)
    } finally {
      await broker.close()
    }
  }

  /** Machine output: one JSON document. */
  protected printJson(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n')
  }

  protected async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err
    let line: string
    let code: number
    if (err instanceof TqError) {
      line = err.oneLine()
      code = err.exitCode
    } else if (err.oclif?.exit === 2) {
      // oclif's parse errors span lines (the missing argument's name, the expected value): keep them all, on one.
      const text = err.message
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !/^See more help with/i.test(l) && !/^The following error occurred:?$/i.test(l))
        .join(' ')
        .replace(/\s*:\s+/g, ': ')
      const known = Object.keys({ ...(this.constructor as typeof TqCommand).baseFlags, ...(this.constructor as typeof Command).flags })
      const meant = suggestFlag(text, known)
      line = `${text} (${meant ? `did you mean ${meant}? ` : ''}see tq ${this.id?.replace(/:/g, ' ')} --help)`
      code = 2
    } else if (FS_FAULTS[(err as NodeJS.ErrnoException).code ?? '']) {
      // The machine refused a file operation (permissions, a full or read-only disk): name the file and the fix.
      const e = err as NodeJS.ErrnoException
      line = `${e.code}: cannot ${e.syscall ?? 'access'} ${e.path ?? 'a file'} (${FS_FAULTS[e.code!]})`
      code = 1
    } else {
      line = (err.message || String(err)).split('\n')[0]!
      code = err.oclif?.exit ?? 1
      if (process.env.TQ_DEBUG) process.stderr.write(`${err.stack}\n`)
    }
    // Messages can carry job or user text: no control character reaches the terminal.
    process.stderr.write(`Error: ${safeText(line)}\n`)
    return this.exit(code)
  }
}
