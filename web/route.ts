/**
 * Hash routes (`#/jobs?state=failed`, `#/jobs/<id>`): one HTML file serves every page, and any
 * page's address can be copied and shared.
 */
import { useEffect, useState } from 'preact/hooks'

export interface Route {
  path: string[]
  query: URLSearchParams
}

function parse(): Route {
  const hash = location.hash.replace(/^#/, '') || '/'
  const [path = '/', query = ''] = hash.split('?')
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parse)
  useEffect(() => {
    const on = () => setRoute(parse())
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return route
}

/** An address inside the dashboard: href('jobs', id) or href('jobs', { state: 'failed' }). */
export function href(...parts: (string | Record<string, string | number | undefined>)[]): string {
  const path: string[] = []
  let query = ''
  for (const p of parts) {
    if (typeof p === 'string') path.push(encodeURIComponent(p))
    else {
      const q = new URLSearchParams()
      for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== '') q.set(k, String(v))
      query = q.toString()
    }
  }
  return `#/${path.join('/')}${query ? `?${query}` : ''}`
}

export function go(to: string): void {
  location.hash = to.replace(/^#/, '')
}
