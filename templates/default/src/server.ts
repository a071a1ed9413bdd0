// A minimal web producer: POST /signup enqueues email.welcome and answers at once.
// Run it with: npm run server   (then: curl -X POST localhost:3000/signup -d '{"to":"a@b.c"}')
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { connect } from 'tqjs'
// The contract only: the server loads none of the task's code.
import { sendWelcome } from '../contracts/email.js'

// The project's own config, wherever the server is started from.
const tq = await connect({ config: fileURLToPath(new URL('../tq.config.ts', import.meta.url)) })

const server = createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url !== '/signup') {
    res.writeHead(404).end('try POST /signup\n')
    return
  }
  let body = ''
  for await (const chunk of req) body += chunk
  let to: unknown
  try {
    to = (JSON.parse(body || '{}') as { to?: unknown }).to
  } catch {
    res.writeHead(400).end('body must be JSON\n')
    return
  }
  if (typeof to !== 'string' || !to.includes('@')) {
    res.writeHead(400).end('body must be {"to": "<email>"}\n')
    return
  }
  const job = await tq.enqueue(sendWelcome, { to })
  res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ jobId: job.id }) + '\n')
})

const port = Number(process.env.PORT ?? 3000)
server.listen(port, () => console.log(`listening on http://localhost:${port}  (POST /signup)`))

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => server.close(() => void tq.close().then(() => process.exit(0))))
}
