import { Redis } from 'ioredis'
import { RedisBroker } from '../../src/broker/redis/redis-broker.js'
import type { Broker } from '../../src/broker/types.js'
import { deletePrefix, TEST_REDIS, uniquePrefix, urlWith } from './helpers.js'
import { RedisProxy } from './proxy.js'

/**
 * What a Redis test opens, closed after each test (`afterEach(scope.cleanup)`): brokers on their
 * own key prefixes, raw connections, proxies that can cut a connection; the prefixes' keys deleted.
 */
export function redisScope() {
  const opened: (Broker | Redis)[] = []
  const prefixes: string[] = []
  const proxies: RedisProxy[] = []
  return {
    async open(prefix: string, base = TEST_REDIS): Promise<Broker> {
      const broker = await RedisBroker.connect(urlWith({ prefix }, base))
      opened.push(broker)
      return broker
    },
    raw(): Redis {
      const r = new Redis(TEST_REDIS)
      opened.push(r)
      return r
    },
    async startProxy(): Promise<RedisProxy> {
      const u = new URL(TEST_REDIS)
      const proxy = new RedisProxy(u.hostname, Number(u.port || 6379))
      await proxy.start()
      proxies.push(proxy)
      return proxy
    },
    newPrefix(): string {
      const p = uniquePrefix()
      prefixes.push(p)
      return p
    },
    async cleanup(): Promise<void> {
      for (const o of opened.splice(0)) o instanceof RedisBroker ? await o.close() : (o as Redis).disconnect()
      for (const p of proxies.splice(0)) await p.stop()
      for (const p of prefixes.splice(0)) await deletePrefix(p)
    },
  }
}
