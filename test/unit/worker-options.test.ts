/**
 * Option merging for a worker: command-line flags over the config's `worker` section over the
 * defaults (threads, concurrency), and the queues a worker takes when none are named.
 */
import { availableParallelism } from 'node:os'
import { describe, expect, it } from 'vitest'
import type { TqConfig } from '../../src/app/config.js'
import type { Project } from '../../src/loader/project.js'
import { WorkerEngine } from '../../src/worker/engine.js'
import type { TaskCatalog, TaskInfo } from '../../src/worker/manifest.js'
import { threadCount } from '../../src/worker/run-worker.js'

const project = (config: TqConfig = {}): Project => ({ root: '/p', configFile: '/p/tq.config.ts', config, brokerUrl: 'sqlite://.tq/tq.db', stateDir: '/p/.tq', configInputs: [] })

describe('threadCount: --threads, then worker.threads, then one per core less one, at most concurrency', () => {
  it('a flag wins over the config', () => {
    expect(threadCount(project({ worker: { threads: 3 } }), { threads: 5 })).toBe(5)
  })

  it('the config wins over the default', () => {
    expect(threadCount(project({ worker: { threads: 3 } }), {})).toBe(3)
  })

  it('by default: cores less one (the engine has its own), never more than jobs can run at once, at least one', () => {
    const cores = availableParallelism()
    expect(threadCount(project(), {})).toBe(Math.max(1, Math.min(10, cores - 1)))
    expect(threadCount(project(), { concurrency: 1 })).toBe(1)
    // The concurrency cap comes from the flag, else the config.
    expect(threadCount(project({ worker: { concurrency: 1 } }), {})).toBe(1)
    expect(threadCount(project({ worker: { concurrency: 1 } }), { concurrency: 64 })).toBe(Math.max(1, Math.min(64, cores - 1)))
  })
})

describe('the queues a worker takes', () => {
  const catalog = (...queues: (string | undefined)[]): TaskCatalog =>
    new Map(queues.map((queue, i): [string, TaskInfo] => [`t${i}`, { name: `t${i}`, options: queue === undefined ? {} : { queue }, origin: 'tasks/t.ts' }]))
  // The constructor only hands the pool its hooks; nothing runs until start().
  const engine = (tasks: TaskCatalog, queues?: string[]) => new WorkerEngine({} as never, { tasks, pool: { setHooks() {} } as never, queues })

  it('default plus every queue its tasks name, each once', () => {
    expect(engine(catalog(undefined, 'emails', 'emails', 'reports')).queues).toEqual(['default', 'emails', 'reports'])
  })

  it('default alone when no task names a queue', () => {
    expect(engine(catalog()).queues).toEqual(['default'])
  })

  it('named queues replace the default list entirely', () => {
    expect(engine(catalog('emails'), ['reports']).queues).toEqual(['reports'])
  })

  it('concurrency defaults to 10 and is at least 1', () => {
    expect(engine(catalog()).concurrency).toBe(10)
    expect(new WorkerEngine({} as never, { tasks: catalog(), pool: { setHooks() {} } as never, concurrency: 0 }).concurrency).toBe(1)
  })
})
