/** Lines of `wanted` a .gitignore lacks, however written (`.tq`, `.tq/`, `/.tq/` are one rule). */
export function missingIgnores(text: string, wanted: readonly string[]): string[] {
  const norm = (l: string) => l.trim().replace(/^\//, '').replace(/\/$/, '')
  const have = new Set(text.split(/\r?\n/).map(norm))
  return wanted.filter((w) => !have.has(norm(w)))
}
