/**
 * Tree-shakes the shared Lua library (lib.lua.ts and what it appends) for one script body.
 *
 * Why: the server runs a script's whole text on every EVALSHA, so each of the library's ~60
 * top-level `local function`s and tables is created again per call, used or not: 15-20 µs of
 * Redis CPU per call, more than a small call's own work (an enqueue of one job, a renew, a
 * heartbeat). Each script gets only the declarations its body reaches, directly or through other
 * kept declarations, in their original order. Done once per script per process (index.ts).
 *
 * How: the library is split into its top-level statements, each of which must be a `local`
 * declaration (`local function f(...) ... end`, `local a, b = <expressions>`, `local a`); a
 * Lua tokenizer finds the names each one and the body reference (strings, comments and field
 * names after `.` or `:` are not references). Keeping a declaration too many is harmless, so the
 * scan over-approximates where that keeps it simple (a local of a body that shadows a library name,
 * a table key `{ name = ... }` count as uses); it never drops a name referenced. Dropped
 * declarations become as many blank lines, so the line numbers in Redis error messages stay those
 * of the whole library.
 *
 * Anything the splitter does not understand (another kind of top-level statement, an unclosed
 * string or block) throws a LuaShakeError; makeShaker() then uses the whole library, as before
 * shaking, and warns once (tests parse the real library strictly, so such a change fails them).
 * Dropping an unreferenced declaration is only sound if evaluating it has no effect: the library's
 * top-level initialisers are ARGV reads, literals, and pure helper calls (with_fields).
 */

export class LuaShakeError extends Error {}

type Kind = 'name' | 'kw' | 'str' | 'num' | 'op'
interface Token {
  kind: Kind
  text: string
  start: number
  end: number
}

const KEYWORDS = new Set(
  'and break do else elseif end false for function if in local nil not or repeat return then true until while goto'.split(' '),
)
const OPS = ['...', '..', '==', '~=', '<=', '>=', '::', '//', '<<', '>>']
const SINGLE = new Set('+-*/%^#<>=(){}[];:,.&|~'.split(''))
const NUMBER = /^(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/

/** The end (exclusive) of a long bracket `[==[ ... ]==]` opening at `at`, or -1 if `at` opens none. */
function longBracketEnd(src: string, at: number): number {
  const open = /^\[(=*)\[/.exec(src.slice(at, at + 64))
  if (!open) return -1
  const close = ']' + open[1] + ']'
  const end = src.indexOf(close, at + open[0].length)
  if (end < 0) throw new LuaShakeError(`unclosed long bracket at ${at}`)
  return end + close.length
}

/** Lua 5.1 tokens of `src`, comments and whitespace skipped. */
export function tokenize(src: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (src.startsWith('--', i)) {
      const long = longBracketEnd(src, i + 2)
      if (long >= 0) i = long
      else {
        const nl = src.indexOf('\n', i)
        i = nl < 0 ? src.length : nl + 1
      }
      continue
    }
    const start = i
    if (c === '[') {
      const long = longBracketEnd(src, i)
      if (long >= 0) {
        out.push({ kind: 'str', text: src.slice(start, long), start, end: long })
        i = long
        continue
      }
    }
    if (c === "'" || c === '"') {
      i++
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\n') throw new LuaShakeError(`unclosed string at ${start}`)
        i += src[i] === '\\' ? 2 : 1
      }
      if (i >= src.length) throw new LuaShakeError(`unclosed string at ${start}`)
      i++
      out.push({ kind: 'str', text: src.slice(start, i), start, end: i })
      continue
    }
    const rest = src.slice(i, i + 256)
    const num = NUMBER.exec(rest)
    if (num) {
      i += num[0].length
      out.push({ kind: 'num', text: num[0], start, end: i })
      continue
    }
    const name = NAME.exec(rest)
    if (name) {
      i += name[0].length
      out.push({ kind: KEYWORDS.has(name[0]) ? 'kw' : 'name', text: name[0], start, end: i })
      continue
    }
    const op = OPS.find((o) => src.startsWith(o, i)) ?? (SINGLE.has(c) ? c : undefined)
    if (!op) throw new LuaShakeError(`unexpected character ${JSON.stringify(c)} at ${i}`)
    i += op.length
    out.push({ kind: 'op', text: op, start, end: i })
  }
  return out
}

/** Names the tokens reference: every non-keyword name except field names (after `.` or `:`). */
function referencesIn(tokens: readonly Token[], from = 0, to = tokens.length): Set<string> {
  const refs = new Set<string>()
  for (let i = from; i < to; i++) {
    const t = tokens[i]!
    const prev = tokens[i - 1]
    if (t.kind === 'name' && !(prev && prev.kind === 'op' && (prev.text === '.' || prev.text === ':'))) refs.add(t.text)
  }
  return refs
}

/** The names a script body references (strings, comments and field names excluded). */
export function luaReferences(src: string): Set<string> {
  return referencesIn(tokenize(src))
}

/** One top-level declaration of the library: the names it declares, where it is, what it uses. */
export interface LuaDeclaration {
  names: string[]
  start: number
  end: number
  refs: Set<string>
}

const OPENS = new Set(['function', 'do', 'if', 'repeat'])
const CLOSES = new Set(['end', 'until'])
/** Tokens after which an expression is complete (another operand would start a new statement). */
const endsOperand = (t: Token) =>
  t.kind === 'name' || t.kind === 'num' || t.kind === 'str' || [')', ']', '}', '...'].includes(t.text) || ['true', 'false', 'nil', 'end'].includes(t.text)

/**
 * Splits a library into its top-level declarations, in order. Throws a LuaShakeError on any
 * top-level statement that is not a `local` declaration, or on unbalanced blocks and brackets.
 */
export function splitDeclarations(src: string): LuaDeclaration[] {
  const tokens = tokenize(src)
  const decls: LuaDeclaration[] = []
  const at = (i: number) => tokens[i]
  const fail = (i: number, why: string): never => {
    const line = src.slice(0, at(i)?.start ?? src.length).split('\n').length
    throw new LuaShakeError(`lib line ${line}: ${why}`)
  }
  let i = 0
  while (i < tokens.length) {
    const first = i
    if (at(i)!.text === ';') {
      i++
      continue
    }
    if (at(i)!.text !== 'local' || at(i)!.kind !== 'kw') fail(i, `top-level statement is not a local declaration: ${at(i)!.text}`)
    i++
    const names: string[] = []
    if (at(i)?.text === 'function') {
      if (at(i + 1)?.kind !== 'name') fail(i + 1, 'local function without a name')
      names.push(at(i + 1)!.text)
      // Through the function's matching `end`.
      let depth = 0
      do {
        const t = at(i) ?? fail(i, 'unclosed function')
        if (t.kind === 'kw' && OPENS.has(t.text)) depth++
        else if (t.kind === 'kw' && CLOSES.has(t.text)) depth--
        i++
      } while (depth > 0)
    } else {
      for (;;) {
        if (at(i)?.kind !== 'name') fail(i, 'local without a name')
        names.push(at(i)!.text)
        i++
        if (at(i)?.text !== ',') break
        i++
      }
      if (at(i)?.text === '=') {
        i++
        // The expression list: up to where, at depth 0, a complete expression is followed by a
        // token that can only start a new statement.
        let depth = 0
        for (;;) {
          const t = at(i)
          if (!t) {
            if (depth !== 0) fail(i, 'unclosed block or bracket')
            break
          }
          if (depth === 0 && (t.text === ';' || (endsOperand(at(i - 1)!) && (t.kind === 'name' || (t.kind === 'kw' && !['and', 'or'].includes(t.text)))))) break
          if ((t.kind === 'kw' && OPENS.has(t.text)) || (t.kind === 'op' && ['(', '[', '{'].includes(t.text))) depth++
          else if ((t.kind === 'kw' && CLOSES.has(t.text)) || (t.kind === 'op' && [')', ']', '}'].includes(t.text))) {
            depth--
            if (depth < 0) fail(i, `unmatched ${t.text}`)
          }
          i++
        }
      }
    }
    decls.push({ names, start: at(first)!.start, end: at(i - 1)!.end, refs: referencesIn(tokens, first, i) })
  }
  return decls
}

/** Names every shaken library keeps: the ARGV conventions of lib scripts (ARGV[1], ARGV[2]). */
const ALWAYS = ['B', 'CHANNEL']

/**
 * The library text with only the declarations `body` reaches (transitively), the others blanked
 * to their newlines. `decls` are the library's splitDeclarations().
 */
export function shakeLibrary(lib: string, decls: readonly LuaDeclaration[], body: string): string {
  const byName = new Map<string, number[]>()
  decls.forEach((d, k) => d.names.forEach((n) => byName.set(n, [...(byName.get(n) ?? []), k])))
  const keep = new Set<number>()
  const todo = [...ALWAYS, ...luaReferences(body)]
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    for (const k of byName.get(name) ?? []) {
      if (keep.has(k)) continue
      keep.add(k)
      todo.push(...decls[k]!.refs)
    }
  }
  let out = ''
  let pos = 0
  decls.forEach((d, k) => {
    if (keep.has(k)) return
    out += lib.slice(pos, d.start) + lib.slice(d.start, d.end).replace(/[^\n]/g, '')
    pos = d.end
  })
  return out + lib.slice(pos)
}

/**
 * A function giving `lib + body` with lib shaken for that body. If the library (or a body) is
 * not understood, the whole library is used and a warning emitted once; `strict` throws instead.
 */
export function makeShaker(lib: string, opts: { strict?: boolean } = {}): (body: string) => string {
  let decls: LuaDeclaration[] | null = null
  let warned = false
  const whole = (e: unknown, body: string) => {
    if (opts.strict) throw e
    if (!warned) {
      warned = true
      process.emitWarning(`tq: Lua library not shaken, every script gets all of it (${(e as Error).message})`)
    }
    return lib + body
  }
  try {
    decls = splitDeclarations(lib)
  } catch (e) {
    if (!(e instanceof LuaShakeError) || opts.strict) throw e
    const err = e
    return (body) => whole(err, body)
  }
  const d = decls
  return (body) => {
    try {
      return shakeLibrary(lib, d, body) + body
    } catch (e) {
      if (!(e instanceof LuaShakeError)) throw e
      return whole(e, body)
    }
  }
}
