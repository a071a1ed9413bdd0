/**
 * rediss:// against a real TLS redis-server that requires client certificates (certificates made
 * by openssl in a temp folder): a client certificate works, and a server certificate for another
 * host is reported as such, without printing the password.
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openBroker } from '../../src/broker/open-broker.js'
import { BrokerError } from '../../src/errors.js'
import { cleanupTemp, ERROR_LINE, freePort, killAll, killRedisServers, makeProject, makeTempDir, runTq, startRedisServer, stderrLines } from '../helpers/tq.js'

/** A CA and certificates it signs: `name` for the subject, `alt` for subjectAltName. */
function makeCerts(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=tq-test-ca')
  for (const [name, alt] of [['server', 'DNS:localhost,IP:127.0.0.1'], ['client', 'DNS:client'], ['wrong', 'DNS:other.example']] as const) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`)
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${alt}\n`)
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`)
  }
}

/** A private redis-server with TLS only, requiring client certificates, presenting `cert`. */
async function tlsRedis(dir: string, cert: 'server' | 'wrong'): Promise<number> {
  const tlsPort = await freePort()
  await startRedisServer({
    args: ['--port', '0', '--tls-port', String(tlsPort), '--tls-cert-file', join(dir, `${cert}.crt`), '--tls-key-file', join(dir, `${cert}.key`), '--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'yes'],
  })
  return tlsPort
}

describe('Redis over TLS', () => {
  const dir = makeTempDir('tq-tls-')
  makeCerts(dir)
  const files = (client = true) => `tls_ca=${join(dir, 'ca.crt')}${client ? `&tls_cert=${join(dir, 'client.crt')}&tls_key=${join(dir, 'client.key')}` : ''}`
  afterAll(async () => {
    await killAll()
    await killRedisServers()
    cleanupTemp()
  })

  it('connects with a client certificate, CA and key given in the URL', async () => {
    const port = await tlsRedis(dir, 'server')
    const broker = await openBroker(`rediss://127.0.0.1:${port}/0?prefix=tqtls:&${files()}`, dir)
    try {
      const [r] = await broker.enqueue([{ id: 'tls-1', task: 't', queue: 'default', payload: '{}', priority: 0, runAt: Date.now(), maxAttempts: 1 }])
      expect(r).toMatchObject({ id: 'tls-1', created: true })
      expect(await broker.getJob('tls-1')).toMatchObject({ state: 'queued' })
    } finally {
      await broker.close()
    }
  })

  it('without a client certificate, the error says the server may require one', async () => {
    const port = await tlsRedis(dir, 'server')
    const err = (await openBroker(`rediss://127.0.0.1:${port}/0?connectTimeout=2s&${files(false)}`, dir).catch((e: unknown) => e)) as BrokerError
    expect(err).toBeInstanceOf(BrokerError)
    expect(err.oneLine(), err.oneLine()).toMatch(/requires a client certificate, give \?tls_cert=/)
  })

  it('a certificate for another host says so in one line, without the password', async () => {
    const port = await tlsRedis(dir, 'wrong')
    const project = makeProject()
    const url = `rediss://:hunter2secret@127.0.0.1:${port}/0?connectTimeout=2s&${files()}`
    const r = await runTq(['jobs', '--broker', url], { cwd: project.dir })
    expect(r.code).toBe(1)
    const lines = stderrLines(r)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(ERROR_LINE)
    expect(lines[0]).toMatch(/certificate is for another host, not 127\.0\.0\.1/)
    expect(lines[0]).not.toMatch(/not trusted/)
    expect(r.stderr + r.stdout).not.toContain('hunter2secret')
  })

  it('a server certificate from an unknown CA says it is not trusted and how to pass the CA', async () => {
    const port = await tlsRedis(dir, 'server')
    const url = `rediss://127.0.0.1:${port}/0?connectTimeout=2s&tls_cert=${join(dir, 'client.crt')}&tls_key=${join(dir, 'client.key')}`
    const err = (await openBroker(url, dir).catch((e: unknown) => e)) as BrokerError
    expect(err).toBeInstanceOf(BrokerError)
    expect(err.oneLine()).toMatch(/not trusted here: give its CA file with \?tls_ca=/)
  })
})
