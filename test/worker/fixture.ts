import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { vi } from 'vitest'
import { Client } from '../../src/app/client.js'
import { openBroker } from '../../src/broker/open-broker.js'
import type { Broker, JobJSON, JobState } from '../../src/broker/types.js'
import { loadProject, loadRegistry } from '../../src/loader/project.js'
import type { EngineEvent, WorkerEngine } from '../../src/worker/engine.js'
import { startWorker, type StartWorkerOptions } from '../../src/worker/run-worker.js'

/** A throwaway tq project on disk: config + task files, a real SQLite broker, real task threads. */
export class ProjectFixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'tq-worker-'))
  readonly engines: WorkerEngine[] = []
  readonly brokers: Broker[] = []
  readonly events: EngineEvent[] = []

  constructor(files: Record<string, string>, config = `{ broker: 'sqlite://.tq/tq.db' }`) {
    this.write('tq.config.ts', `import { defineConfig } from 'tqjs'\nexport default defineConfig(${config})\n`)
    for (const [name, text] of Object.entries(files)) this.write(name, text)
  }

  write(name: string, text: string): void {
    mkdirSync(dirname(join(this.dir, name)), { recursive: true })
    writeFileSync(join(this.dir, name), text)
  }

  async broker(): Promise<Broker> {
    const project = await loadProject({ cwd: this.dir })
    const b = await openBroker(project.brokerUrl, project.root)
    this.brokers.push(b)
    return b
  }

  async client(): Promise<Client> {
    const project = await loadProject({ cwd: this.dir })
    const { registry } = await loadRegistry(project)
    return new Client(await this.broker(), registry)
  }

  async worker(opts: StartWorkerOptions = {}): Promise<WorkerEngine> {
    const project = await loadProject({ cwd: this.dir })
    const engine = await startWorker(project, await this.broker(), { ...opts, onEvent: (e) => this.events.push(e) })
    this.engines.push(engine)
    return engine
  }

  /** Waits until the job reaches one of `states` (polled in-process: a read is cheap). */
  until(broker: Broker, id: string, states: JobState[], ms = 30_000): Promise<JobJSON> {
    return vi.waitFor(
      async () => {
        const job = await broker.getJob(id)
        if (job && states.includes(job.state)) return job
        throw new Error(`job ${id} is ${job?.state}, not ${states.join('/')}, after ${ms}ms`)
      },
      { timeout: ms, interval: 50 },
    )
  }

  async close(): Promise<void> {
    await Promise.all(this.engines.map((e) => e.stop(1000)))
    await Promise.all(this.brokers.map((b) => b.close()))
    rmSync(this.dir, { recursive: true, force: true })
  }
}
