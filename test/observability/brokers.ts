/** The two brokers the observability tests run on: a project config for each, and its cleanup. */
import { deletePrefix, uniquePrefix, urlWith } from '../redis/helpers.js'

export interface BrokerCase {
  name: string
  /** The broker URL for a project's config. */
  url(): string
  cleanup(): Promise<void>
}

export function brokerCases(): BrokerCase[] {
  const prefixes: string[] = []
  return [
    { name: 'sqlite', url: () => 'sqlite://.tq/tq.db', cleanup: async () => undefined },
    {
      name: 'redis',
      url: () => {
        const prefix = uniquePrefix()
        prefixes.push(prefix)
        return urlWith({ prefix })
      },
      cleanup: async () => {
        for (const p of prefixes.splice(0)) await deletePrefix(p)
      },
    },
  ]
}
