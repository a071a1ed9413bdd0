/** What tq adds to a project's package.json. */
export interface PackageAdditions {
  scripts: Record<string, string>
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
  allowScripts: Record<string, boolean>
}

export interface PackageMerge {
  pkg: Record<string, unknown>
  /** What was added, e.g. `scripts: tq:dev (dev is yours), worker`. */
  merged: string[]
  /** What of the user's was kept where tq would have set something, e.g. `dependencies.typescript (yours: ^5.4.0)`. */
  kept: string[]
}

type Section = Record<string, unknown>

/**
 * Merges tq's scripts and dependencies into a user's package.json, never changing a value of
 * theirs: a script name they use gets a `tq:` prefix, a dependency they have keeps their range.
 */
export function mergePackage(user: Record<string, unknown>, add: PackageAdditions): PackageMerge {
  const pkg: Record<string, unknown> = { ...user }
  const merged: string[] = []
  const kept: string[] = []
  const section = (key: string): Section => {
    const value = pkg[key]
    return value && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Section) } : {}
  }

  const scripts = section('scripts')
  const added: string[] = []
  for (const [name, cmd] of Object.entries(add.scripts)) {
    if (Object.values(scripts).includes(cmd)) continue // already runs it, under any name
    if (scripts[name] === undefined) {
      scripts[name] = cmd
      added.push(name)
    } else if (scripts[`tq:${name}`] === undefined) {
      scripts[`tq:${name}`] = cmd
      added.push(`tq:${name} (${name} is yours)`)
    }
  }
  if (added.length) {
    pkg.scripts = scripts
    merged.push(`scripts: ${added.join(', ')}`)
  }

  for (const key of ['dependencies', 'devDependencies'] as const) {
    const deps = section(key)
    const other = section(key === 'dependencies' ? 'devDependencies' : 'dependencies')
    const names: string[] = []
    for (const [name, range] of Object.entries(add[key])) {
      const theirs = deps[name] ?? other[name]
      if (theirs !== undefined) {
        if (theirs !== range) kept.push(`${name} ${String(theirs)} (yours)`)
        continue
      }
      deps[name] = range
      names.push(`${name} ${range}`)
    }
    if (names.length) {
      pkg[key] = sortKeys(deps)
      merged.push(`${key}: ${names.join(', ')}`)
    }
  }

  // npm 11 runs (and lists) dependencies' install scripts only as the root package allows.
  const allow = section('allowScripts')
  const allowed = Object.keys(add.allowScripts).filter((name) => !Object.keys(allow).some((k) => k === name || k.startsWith(`${name}@`)))
  if (allowed.length) {
    for (const name of allowed) allow[name] = add.allowScripts[name]
    pkg.allowScripts = allow
    merged.push(`allowScripts: ${allowed.join(', ')}`)
  }
  return { pkg, merged, kept }
}

/** npm keeps dependencies sorted; so do we, so its next write changes nothing. */
function sortKeys(o: Section): Section {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)))
}
