/**
 * Whether a user's tsconfig.json type-checks tq's files (tasks/, contracts/, tq.config.ts):
 * true when it has no `include` and no `files` (tsc then takes every .ts file), or an `include`
 * entry that starts at the project root with a wildcard or names those folders.
 */
export function coversTqFiles(tsconfigText: string): boolean {
  let config: { include?: unknown; files?: unknown }
  try {
    config = JSON.parse(stripJsonComments(tsconfigText)) as typeof config
  } catch {
    return false
  }
  if (!Array.isArray(config.include)) return !Array.isArray(config.files)
  const first = (p: string) => p.replace(/^\.\//, '').split('/')[0]
  const roots = new Set(config.include.filter((p): p is string => typeof p === 'string').map(first))
  return roots.has('**') || roots.has('.') || roots.has('') || (roots.has('tasks') && roots.has('contracts'))
}

/** tsconfig files are JSON with comments and trailing commas. */
function stripJsonComments(text: string): string {
  return text
    .replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_m, str: string | undefined) => str ?? '')
    .replace(/,(\s*[}\]])/g, '$1')
}
