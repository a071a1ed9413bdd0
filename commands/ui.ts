import { Flags } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { loadRegistry } from '../src/loader/project.js'

export default class Ui extends TqCommand {
  static description = `Serve the web dashboard for the configured broker: queues, jobs, workers, schedules, live, with retry, cancel, pause, purge and enqueue.
Binds 127.0.0.1 by default; any other address needs a token (--token or TQ_UI_TOKEN) that every request must carry.`
  static examples = [
    '<%= config.bin %> ui',
    '<%= config.bin %> ui --port 8080',
    'TQ_UI_TOKEN=s3cret <%= config.bin %> ui --host 0.0.0.0',
    '<%= config.bin %> ui --broker redis://127.0.0.1:6379/0',
  ]
  static flags = {
    port: Flags.integer({ description: 'port to listen on (0: any free port)', default: 5555, min: 0, max: 65535 }),
    host: Flags.string({ description: 'address to bind; anything but loopback requires --token', default: '127.0.0.1' }),
    token: Flags.string({ description: 'secret every request must carry (header, or the cookie a first visit with ?token= sets)', env: 'TQ_UI_TOKEN' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Ui)
    const project = await this.project(flags)
    const broker = await this.broker(project, { mustExist: true })
    const { startUiServer } = await import('../src/ui/server.js')
    // The task code gives the enqueue form its tasks and schemas; without a config there is none.
    const tasks = project.configFile ? () => loadRegistry(project).then((r) => r.registry) : undefined
    let server
    try {
      server = await startUiServer({ broker, host: flags.host, port: flags.port, token: flags.token, tasks, maxPayload: project.config.maxPayload })
    } catch (err) {
      await broker.close()
      throw err
    }
    process.stdout.write(`tq ui  ${server.openUrl}  (broker ${broker.describe})\n`)
    tasks?.().catch((err: Error) => process.stderr.write(`warning: the task code does not load, so the enqueue form is off: ${err.message.split('\n')[0]}\n`))
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
    })
    await server.close()
    await broker.close()
  }
}
