/**
 * Text from jobs (task and queue names, error messages, task log lines, payloads) is untrusted:
 * printed raw, `\x1b]0;…\x07` retitles a terminal and `\x1b[2J` clears it. Everything printed for
 * people goes through safeText(); `--json` output never does (it must stay exact).
 */

/** C0 controls, DEL and C1 controls (C1 includes the one-byte CSI, U+009B). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g
/** The same, minus the newline, for blocks meant to span lines (a stack, a code frame). */
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g

/**
 * Each control character as one visible character, so widths computed on the safe text stay
 * right: C0 as its Unicode Control Picture (ESC → ␛, BEL → ␇, LF → ␤), DEL as ␡, C1 as �, a tab
 * as a space. Replacing the ESC alone is enough to neutralise a whole escape sequence: what follows
 * it is plain printable text.
 */
function visible(ch: string): string {
  const code = ch.charCodeAt(0)
  if (code === 0x09) return ' '
  if (code === 0x0a) return '\u2424'
  if (code < 0x20) return String.fromCharCode(0x2400 + code)
  if (code === 0x7f) return '\u2421'
  return '\ufffd'
}

/** `text` with every control character made visible; `multiline` keeps `\n` line breaks. */
export function safeText(text: string, opts: { multiline?: boolean } = {}): string {
  return text.replace(opts.multiline ? CONTROL_BUT_NEWLINE : CONTROL, visible)
}

/** tq's own colour codes (colors.ts emits only SGR `ESC[…m`). */
const SGR = /\x1b\[[0-9;]*m/g

/** `text` without tq's colour codes, e.g. to measure how wide a coloured cell prints. */
export function stripColors(text: string): string {
  return text.replace(SGR, '')
}

/** How many characters a coloured string takes on screen. */
export function visibleLength(text: string): number {
  return stripColors(text).length
}
