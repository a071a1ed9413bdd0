import { PostgresBroker } from '../../src/broker/postgres/postgres-broker.js'
import { dropSchema, uniqueSchema, urlWith } from '../postgres/helpers.js'
import { brokerConformance } from './broker-conformance.js'

// Runs against the Postgres at 127.0.0.1:5432/tq_test (or TQ_TEST_POSTGRES_URL); each test gets
// its own schema and drops it afterwards.
brokerConformance('postgres', async () => {
  const schema = uniqueSchema()
  const url = urlWith({ schema })
  return {
    open: () => PostgresBroker.connect(url),
    openPeer: () => PostgresBroker.connect(url),
    cleanup: () => dropSchema(schema),
  }
})
