import { defineConfig } from 'tqjs'

// The demo behind `npm run demo`: embedded SQLite broker in examples/hello/.tq/.
export default defineConfig({
  broker: 'sqlite://.tq/tq.db',
  tasks: 'tasks/**/*.ts',
  worker: { concurrency: 4 },
})
