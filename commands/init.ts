import { Args, Flags } from '#oclif'
import { relative } from 'node:path'
import { TqCommand } from '../cli/base-command.js'
import { scaffold } from '../src/init/scaffold.js'
import { initReport } from '../src/init/report.js'
import { colors } from '../src/format/colors.js'

export default class Init extends TqCommand {
  static description =
    'Set a folder up for tq: a new project in an empty folder, or tq added to an existing one (a folder with a package.json). Never overwrites a file of yours; lists what it added, merged and left alone.'
  static examples = ['<%= config.bin %> init my-app', '<%= config.bin %> init .', '<%= config.bin %> init . --no-install']
  static args = { dir: Args.string({ description: 'folder: new, empty, or a project with a package.json (default: the current folder)', default: '.' }) }
  static flags = {
    install: Flags.boolean({ description: 'install dependencies (npm install)', default: true, allowNo: true }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Init)
    const c = colors()
    const result = scaffold({ dir: args.dir, install: flags.install, log: (l) => process.stderr.write(c.gray(l) + '\n') })
    process.stdout.write(initReport(result, relative(process.cwd(), result.dir) || '.', c))
  }
}
