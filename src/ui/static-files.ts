/**
 * The dashboard's front end as the build wrote it (dist/ui: index.html and hashed assets, each
 * with a gzipped copy). Hashed assets are cached for good; index.html never is, so a new build
 * shows on the next load. Nothing comes from a CDN: the dashboard works offline.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join } from 'node:path'
import { packageRoot } from '../paths.js'
import { BASE_HEADERS } from './http.js'

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
}

/** Only our own files, scripts and styles: job text can never become markup or code. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

interface Asset {
  body: Buffer
  gzip: Buffer | null
  type: string
}

export class StaticFiles {
  private readonly assets = new Map<string, Asset>()
  private readonly index: Asset | null

  /** Reads every asset once: a handful of small files. */
  constructor(readonly dir = join(packageRoot, 'dist', 'ui')) {
    const assetDir = join(dir, 'assets')
    if (existsSync(assetDir)) {
      for (const name of readdirSync(assetDir)) {
        if (name.endsWith('.gz')) continue
        this.assets.set(name, this.read(join(assetDir, name)))
      }
    }
    this.index = existsSync(join(dir, 'index.html')) ? this.read(join(dir, 'index.html')) : null
  }

  private read(file: string): Asset {
    const gz = `${file}.gz`
    return { body: readFileSync(file), gzip: existsSync(gz) ? readFileSync(gz) : null, type: TYPES[extname(file)] ?? 'application/octet-stream' }
  }

  /** `/assets/<name>`: true when served. */
  serveAsset(req: IncomingMessage, res: ServerResponse, name: string): boolean {
    const asset = this.assets.get(name)
    if (!asset) return false
    this.send(req, res, asset, 'public, max-age=31536000, immutable')
    return true
  }

  /** The page: one HTML file, routes live after the `#`. */
  serveIndex(req: IncomingMessage, res: ServerResponse): void {
    if (!this.index) {
      res.writeHead(500, { ...BASE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' })
      res.end(`the dashboard's front end is not built (no ${join(this.dir, 'index.html')}): run npm run build in the tq checkout\n`)
      return
    }
    this.send(req, res, this.index, 'no-cache')
  }

  private send(req: IncomingMessage, res: ServerResponse, asset: Asset, cache: string): void {
    const gzip = asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
    const body = gzip ? asset.gzip! : asset.body
    res.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': asset.type,
      'Content-Length': body.length,
      'Cache-Control': cache,
      'Content-Security-Policy': CSP,
      Vary: 'Accept-Encoding',
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    })
    res.end(req.method === 'HEAD' ? undefined : body)
  }
}
