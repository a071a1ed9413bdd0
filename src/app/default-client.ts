// The client behind `task.enqueue()`; see client.ts.
export { defaultClient } from './client.js'
