import { Args, Flags } from '@oclif/core'
import { relative } from 'node:path'
import { TqCommand } from '../cli/base-command.js'
import { scaffold } from '../src/init/scaffold.js'
import { colors } from '../src/format/colors.js'

export default class Init extends TqCommand {
  static description = 'Create a tq project: config, typed task modules and a small web producer.'
  static examples = ['<%= config.bin %> init my-app', '<%= config.bin %> init . --no-install']
  static args = { dir: Args.string({ description: 'folder to create (default: the current folder)', default: '.' }) }
  static flags = {
    install: Flags.boolean({ description: 'install dependencies (npm install)', default: true, allowNo: true }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Init)
    const c = colors()
    const result = scaffold({ dir: args.dir, install: flags.install, log: (l) => process.stderr.write(c.gray(l) + '\n') })
    const where = relative(process.cwd(), result.dir) || '.'
    process.stdout.write(`${c.green('✓')} created ${where}\n`)
    for (const f of result.files) process.stdout.write(`  ${f}\n`)
    const cd = where === '.' ? '' : `cd ${where} && `
    // Without the install, `npx tq` would look for a registry package named "tq": install first.
    const install = result.installed === 'skipped' ? `npm install   ${c.gray('# links tq (tqjs) into the project')}\n  ` : ''
    process.stdout.write(`\nnext:\n  ${cd}${install}npx tq dev\n  npx tq enqueue email.welcome '{"to":"a@b.c"}'   ${c.gray('# in another terminal')}\n`)
  }
}
