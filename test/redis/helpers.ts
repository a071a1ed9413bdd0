import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'

/**
 * The Redis server the tests use: `TQ_TEST_REDIS_URL`, default `redis://127.0.0.1:6379/0`
 * (database 0; put another number at the end of the URL to use another database). Nothing is
 * flushed: every test works under its own key prefix (uniquePrefix()) and deletes its keys
 * (deletePrefix()) when it ends, so a server other things use is safe. Example:
 * `TQ_TEST_REDIS_URL=redis://127.0.0.1:6380/15 npx vitest run test/redis`.
 */
export const TEST_REDIS = process.env.TQ_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0'

/** A key prefix no other test (or run) shares. */
export function uniquePrefix(): string {
  return `tqtest:${randomBytes(6).toString('hex')}:`
}

/** The test Redis URL with a key prefix (and other query options). */
export function urlWith(query: Record<string, string>, base = TEST_REDIS): string {
  const u = new URL(base)
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v)
  return u.toString()
}

/** Deletes every key under a prefix (SCAN + UNLINK). */
export async function deletePrefix(prefix: string, url = TEST_REDIS): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  let n = 0
  try {
    const pattern = prefix.replace(/[*?[\]\\]/g, '\\$&') + '*'
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      cursor = next
      if (keys.length) n += await redis.unlink(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
  return n
}
