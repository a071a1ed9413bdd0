import { describe, expect, it } from 'vitest'
import { allocateHeights, buildPanels, PANELS } from '../../src/status/panels.js'
import { wrap } from '../../src/status/job-lines.js'
import { perSecond } from '../../src/status/snapshot.js'
import { ago, cell, compact, elapsed, progressBar, progressFraction, shortId, sparkline, until } from '../../src/status/text.js'
import { sampleSnapshot, visibleWidth } from './sample.js'

describe('status text helpers', () => {
  it('fits counts in five characters', () => {
    expect([0, 99_999, 100_000, 999_999, 1_000_000, 12_345_678, 2_500_000_000].map(compact)).toEqual(['0', '99999', '100k', '999k', '1.0M', '12M', '2.5G'])
  })

  it('formats ages, elapsed times and countdowns', () => {
    expect([0, 12_400, 185_000, 7_300_000, 200_000_000].map(ago)).toEqual(['0s', '12s', '3m', '2h', '2d'])
    expect([400, 12_400, 184_000, 3_720_000].map(elapsed)).toEqual(['0.4s', '12s', '3m04s', '1h02m'])
    expect([until(180_000), until(-5_000), until(200)]).toEqual(['in 3m', '5s ago', 'now'])
  })

  it('draws a minute of throughput in the width given, newest value last', () => {
    const series = [...new Array<number>(59).fill(0), 10]
    expect(sparkline(series, 60)).toBe('▁'.repeat(59) + '█')
    const half = sparkline(series, 30)
    expect([...half]).toHaveLength(30)
    expect(half.endsWith('█')).toBe(true)
    expect(sparkline(new Array<number>(60).fill(0), 10)).toBe('▁'.repeat(10))
    const ramp = sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8)
    expect(ramp).toBe('▂▃▄▅▆▇██')
  })

  it('reads progress as a fraction, a percentage or a {current,total} object, and shows anything else as is', () => {
    expect([0.25, 40, 100, -1, 250].map(progressFraction)).toEqual([0.25, 0.4, 1, 0, 1])
    expect(progressFraction({ current: 3, total: 4 })).toBe(0.75)
    expect(progressFraction({ percent: 50 })).toBe(0.5)
    expect(progressFraction('halfway')).toBeNull()
    expect(progressBar(0.5, 15)).toBe('█████░░░░░  50%')
    expect(progressBar({ stage: 'upload' }, 30)).toBe('{"stage":"upload"}')
    expect(progressBar('a very long status line from a task', 10)).toBe('a very lo…')
    expect(progressBar(null, 10)).toBe('')
  })

  it('wraps long lines at a space when there is one, hard otherwise', () => {
    expect(wrap('Cannot read properties of undefined', 20)).toEqual(['Cannot read', 'properties of', 'undefined'])
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij'])
    expect(wrap('a\n\nb', 10)).toEqual(['a', '', 'b'])
  })

  it('pads and cuts cells to an exact width', () => {
    expect(cell('abc', 5)).toBe('abc  ')
    expect(cell('abc', 5, true)).toBe('  abc')
    expect(cell('abcdefgh', 5)).toBe('abcd…')
  })

  it('shortens ids to what tells them apart: the random tail of a time-ordered id, the time of a schedule slot', () => {
    expect(shortId('019ab5c0-1e00-7a1b-8c2d-3e4f5a6b7c8d')).toBe('5a6b7c8d')
    expect(shortId('schedule:nightly:2026-03-02T02:00:00.000Z')).toBe('@02:00:00')
    expect(shortId('my-key')).toBe('my-key')
  })

  it('computes jobs/s from the last complete seconds, not the one in progress', () => {
    expect(perSecond([...new Array<number>(54).fill(0), 2, 4, 6, 8, 10, 999])).toBe(6)
  })
})

describe('status panels', () => {
  it('cuts every row to the screen width at 80 and 100 columns', () => {
    for (const width of [80, 100, 132]) {
      const panels = buildPanels(sampleSnapshot(), width)
      for (const id of PANELS) {
        for (const row of panels[id].rows) {
          const text = row.segs.map((s) => s.text).join('')
          expect(visibleWidth(text), `${id} row at ${width}`).toBe(width - 1)
        }
        const title = panels[id].title.padEnd(panels[id].titleWidth) + panels[id].header.map((s) => s.text).join('')
        expect(visibleWidth(title), `${id} title at ${width}`).toBeLessThanOrEqual(width - 1)
      }
    }
  })

  it('gives each panel a title and a row, queues what they need, and shares the rest', () => {
    const h = allocateHeights(22, { queues: 3, workers: 2, running: 10, failures: 10, schedules: 1 })
    expect(h.queues).toBe(3)
    expect(h.schedules).toBe(1)
    expect(Object.values(h).reduce((a, b) => a + b, 0) + PANELS.length).toBeLessThanOrEqual(22)
    expect(h.running).toBeGreaterThanOrEqual(4)
    expect(h.failures).toBeGreaterThanOrEqual(4)
    const tiny = allocateHeights(10, { queues: 30, workers: 30, running: 30, failures: 30, schedules: 30 })
    expect(Object.values(tiny)).toEqual([1, 1, 1, 1, 1])
  })
})
