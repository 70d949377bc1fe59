// Each channel plugin ends its own upgrade sockets on close: LiveReload protocol 7 here, on the
// app's port and on its extra listener (the channel's own route: test/shutdown.test.ts).
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import t from 'tap'
import liveReload from '../lib/index.js'
import { rawRequest } from './helpers/raw-http.js'

const UPGRADE = (port: number) => `GET /livereload HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`

t.test('/livereload upgrades that arrive while the app closes end, on both ports, and close resolves', { timeout: 15_000 }, async t => {
  const lines: Array<{ msg: string }> = []
  const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } } })
  let openGate = (): void => {}
  const gate = new Promise<void>(resolve => { openGate = resolve })
  let onReached = (): void => {}
  const reached = new Promise<void>(resolve => { onReached = resolve })
  app.register(liveReload, { livereload: { port: 0 } }).after(() => {
    app.addHook('preClose', async () => { onReached(); await gate }) // the host's own slow shutdown work
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const appPort = (app.server.address() as AddressInfo).port
  const extraPort = Number(/:(\d+)\//.exec(lines.find(line => line.msg.startsWith('LiveReload protocol 7 on'))!.msg)![1])

  const closing = app.close()
  await reached
  const arrived = once(app.server, 'upgrade')
  const upgrades = [rawRequest(appPort, UPGRADE(appPort)), rawRequest(extraPort, UPGRADE(extraPort))]
  await arrived // answered 503 on a socket that nobody else would end
  openGate()
  await closing
  for (const [name, res] of [['the app\'s port', await upgrades[0]], ['the extra listener', await upgrades[1]]] as const) {
    t.notOk(res.timedOut, `${name}: never hangs (${res.status === 0 ? 'connection ended' : res.status})`)
    t.ok([0, 101, 503].includes(res.status), `${name}: ${res.status}`)
  }
})
