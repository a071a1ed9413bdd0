/**
 * Writes oclif.manifest.json after a build. With it, oclif reads each command's flags from one
 * file and loads only the command being run; without it, every command module (and what they
 * import) loads on each start, which makes `tq enqueue` slow.
 */
import { Config } from '#oclif'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../src/paths.js'

const file = join(packageRoot, 'oclif.manifest.json')
rmSync(file, { force: true }) // without one, oclif loads the commands to describe them
const config = await Config.load({ root: packageRoot, devPlugins: false, userPlugins: false })
const plugin = config.plugins.get(config.pjson.name) as unknown as { manifest: { commands: Record<string, unknown> } } | undefined
if (!plugin) throw new Error('tqjs plugin not found')
writeFileSync(file, JSON.stringify({ ...plugin.manifest, version: config.version }, null, 2) + '\n')
console.log(`wrote ${Object.keys(plugin.manifest.commands).length} commands to oclif.manifest.json`)
