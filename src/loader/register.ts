/**
 * `node --import tqjs/register app.ts`: runs TypeScript files of a tq project (a web producer,
 * a script) with no build step, by stripping types with esbuild as modules load.
 */
import { register } from 'node:module'

process.setSourceMapsEnabled(true)
register('./ts-hooks.js', import.meta.url)
