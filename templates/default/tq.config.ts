import { defineConfig } from 'tqjs'

export default defineConfig({
  // The embedded SQLite broker; in production set TQ_BROKER_URL=redis://host:6379/0 instead.
  broker: 'sqlite://.tq/tq.db',
  tasks: 'tasks/**/*.ts',
  worker: { concurrency: 10 },
})
