import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { SCRIPTS, scriptSource, type ScriptName } from '../../src/broker/redis/scripts/index.js'
import { LIB } from '../../src/broker/redis/scripts/lib.lua.js'
import { LuaShakeError, makeShaker, splitDeclarations } from '../../src/broker/redis/scripts/shake.js'
import { TEST_REDIS } from './helpers.js'

// A small library in the shape of lib.lua: multi-line tables, helpers calling helpers, names
// mentioned in strings and comments that must not count as uses.
const TOY = String.raw`
local B = ARGV[1]
local CHANNEL = ARGV[2]
local TABLE = {
  a = 1,
  b = { 'unused_helper', "dropped_too" },
}
local COUNT, OTHER = 2, 3
local function inner(x) return x * COUNT end
local function outer(x) return inner(x) + 1 end
local function unused_helper() return redis.call('GET', 'nothing') end
local function dropped_too() return unused_helper() end
local function with_blocks(n)
  local s = 0
  for i = 1, n do if i % 2 == 0 then s = s + i elseif i == 3 then s = s - 1 else repeat s = s + 0 until true end end
  while false do end
  return s
end
local BIG = [[ a long string naming inner ]]
`
const BODY = String.raw`
-- unused_helper() in a comment is not a use
--[[ nor dropped_too() in a long comment ]]
local h = { 'x' }
h.dropped_too = 'x'
local s = 'unused_helper' .. [==[ dropped_too ]==] .. h.dropped_too .. string.rep('y', 2)
return { outer(20), #s }
`

const linesOf = (s: string) => s.split('\n').length

describe('Lua library shaking', () => {
  let redis: Redis
  beforeAll(() => {
    redis = new Redis(TEST_REDIS)
  })
  afterAll(() => redis.disconnect())

  it('splits the real library into its top-level declarations', () => {
    // Strict: a library change the splitter cannot parse fails here instead of only warning.
    const names = splitDeclarations(LIB).flatMap((d) => d.names)
    expect(names).toEqual(expect.arrayContaining(['B', 'CHANNEL', 'now_ms', 'FIELDS', 'run_steps', 'hand_off', 'put_back']))
    expect(new Set(names).size).toBe(names.length)
  })

  it('gives every script a source that compiles on Redis, with the line numbers of the whole library', async () => {
    const shake = makeShaker(LIB, { strict: true })
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
      const def = SCRIPTS[name]
      const src = scriptSource(name)
      if (def.lib) {
        expect(src).toBe(shake(def.lua))
        expect(linesOf(src)).toBe(linesOf(LIB + def.lua))
      } else expect(src).toBe(def.lua)
      expect(await redis.script('LOAD', src)).toMatch(/^[0-9a-f]{40}$/)
    }
  })

  it('drops no declaration whose name a kept line mentions (checked without the tokenizer)', () => {
    const decls = splitDeclarations(LIB)
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
      if (!SCRIPTS[name].lib) continue
      const src = scriptSource(name)
      const code = src.replace(/--.*$/gm, '')
      const dropped = decls.filter((d) => !src.includes(LIB.slice(d.start, d.end))).flatMap((d) => d.names)
      for (const n of dropped) expect(code, `${name}: ${n}`).not.toMatch(new RegExp(`(^|[^.:\\w])${n}\\b`))
    }
  })

  it('leaves out what a small script does not use', () => {
    const src = scriptSource('renew')
    expect(src).toContain('local function now_ms()')
    expect(src).toContain('local function jkey(id)')
    expect(src).not.toContain('local function insert_job(')
    expect(src).not.toContain('local function run_steps(')
    expect(src.length).toBeLessThan((LIB + SCRIPTS.renew.lua).length / 2)
  })

  it('keeps helpers reached through others, drops unused ones, ignores strings, comments and fields', async () => {
    const src = makeShaker(TOY, { strict: true })(BODY)
    expect(src).toContain('local function outer(x)')
    expect(src).toContain('local function inner(x)') // only through outer
    expect(src).toContain('local COUNT, OTHER = 2, 3') // only through inner
    expect(src).not.toContain('local function unused_helper')
    expect(src).not.toContain('local function dropped_too')
    expect(src).not.toContain('local TABLE')
    expect(src).not.toContain('local function with_blocks')
    expect(src).not.toContain('local BIG')
    expect(src).toContain('local B = ARGV[1]')
    expect(src).toContain('local CHANNEL = ARGV[2]')
    expect(linesOf(src)).toBe(linesOf(TOY + BODY))
    expect(await redis.eval(src, 0, 'base:', 'chan')).toEqual([41, 29])
  })

  it('keeps a helper used only inside a kept multi-line declaration', async () => {
    const src = makeShaker(TOY, { strict: true })('return with_blocks(4) + #TABLE.b')
    expect(src).toContain('local function with_blocks(n)')
    expect(src).toContain('local TABLE = {')
    expect(src).not.toContain('local function outer')
    expect(await redis.eval(src, 0, 'base:', 'chan')).toBe(7)
  })

  it('uses the whole library when it cannot parse it, or throws when strict', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      for (const lib of [TOY + "\nredis.call('SET', 'x', 1)\n", TOY + "\nlocal S = 'unclosed\n", TOY + '\nlocal function f() if x then return 1 end\n']) {
        expect(() => splitDeclarations(lib)).toThrow(LuaShakeError)
        expect(() => makeShaker(lib, { strict: true })).toThrow(LuaShakeError)
        expect(makeShaker(lib)(BODY)).toBe(lib + BODY)
      }
      expect(warn).toHaveBeenCalled()
    } finally {
      warn.mockRestore()
    }
  })
})
