import { expect, it } from 'vitest'
import { closestCommands } from '../../cli/command-not-found.js'

const IDS = ['beat', 'cancel', 'dev', 'enqueue', 'init', 'job', 'jobs', 'pause', 'purge', 'resume', 'retry', 'schedules', 'status', 'worker']

it('suggests the closest commands for a typo, all of them on a tie, and none for an unrelated word', () => {
  expect(closestCommands('enqueu', IDS)).toEqual(['enqueue'])
  expect(closestCommands('jbos', IDS)).toEqual(['jobs']) // a swap is one edit
  expect(closestCommands('jobz', IDS)).toEqual(['job', 'jobs'])
  expect(closestCommands('wokrer', IDS)).toEqual(['worker'])
  expect(closestCommands('start', IDS)).toEqual([])
  expect(closestCommands('run', IDS)).toEqual([])
})
