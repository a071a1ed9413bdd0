import { createConnection, createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy in front of Redis for tests: it can go down and come back (an outage), and it
 * counts the commands clients send (RESP arrays).
 */
export class RedisProxy {
  commands = 0
  /** A text whose command, once sent, has its reply lost: the connection drops instead (cutReplyTo). */
  private cut: string | undefined
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()
  port = 0

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = this.port): Promise<void> {
    this.server = createServer((client) => {
      const upstream = createConnection(this.targetPort, this.targetHost)
      this.sockets.add(client).add(upstream)
      const counter = respCounter(() => this.commands++)
      let cutting = false
      client.on('data', (d) => {
        counter(d)
        if (this.cut !== undefined && d.includes(this.cut)) {
          this.cut = undefined
          cutting = true
        }
        upstream.write(d)
      })
      upstream.on('data', (d) => {
        // Redis has run the command: drop the connection rather than pass its reply on.
        if (cutting) end()
        else client.write(d)
      })
      const end = () => {
        client.destroy()
        upstream.destroy()
        this.sockets.delete(client)
        this.sockets.delete(upstream)
      }
      client.on('close', end).on('error', end)
      upstream.on('close', end).on('error', end)
    })
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve))
    this.port = (this.server.address() as { port: number }).port
  }

  /**
   * The next command containing `text` reaches Redis, but its connection drops before the reply
   * comes back: the client cannot tell whether it ran.
   */
  cutReplyTo(text: string): void {
    this.cut = text
  }

  /** Drops every connection and stops listening. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
    this.server = undefined
  }

  url(query = ''): string {
    return `redis://127.0.0.1:${this.port}/0${query}`
  }
}

/** Counts complete RESP arrays (one per command) in a client's byte stream. */
function respCounter(onCommand: () => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0)
  return (chunk) => {
    buf = Buffer.concat([buf, chunk])
    for (;;) {
      const used = parseCommand(buf)
      if (used === 0) return
      onCommand()
      buf = buf.subarray(used)
    }
  }
}

/** Bytes of one complete command at the start of buf, or 0 if incomplete. */
function parseCommand(buf: Buffer): number {
  const line = (from: number): [string, number] | null => {
    const i = buf.indexOf('\r\n', from)
    return i < 0 ? null : [buf.toString('latin1', from, i), i + 2]
  }
  const head = line(0)
  if (!head || head[0][0] !== '*') return 0
  let pos = head[1]
  for (let n = Number(head[0].slice(1)); n > 0; n--) {
    const bulk = line(pos)
    if (!bulk) return 0
    const len = Number(bulk[0].slice(1))
    pos = bulk[1] + len + 2
    if (pos > buf.length) return 0
  }
  return pos
}
