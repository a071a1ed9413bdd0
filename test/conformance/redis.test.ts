import { RedisBroker } from '../../src/broker/redis/redis-broker.js'
import { deletePrefix, uniquePrefix, urlWith } from '../redis/helpers.js'
import { brokerConformance } from './broker-conformance.js'

// Runs against the Redis at 127.0.0.1:6379 (or TQ_TEST_REDIS_URL); each test gets its own key
// prefix and deletes its keys afterwards.
brokerConformance('redis', async () => {
  const prefix = uniquePrefix()
  const url = urlWith({ prefix })
  return {
    open: () => RedisBroker.connect(url),
    openPeer: () => RedisBroker.connect(url),
    cleanup: async () => void (await deletePrefix(prefix)),
  }
})
