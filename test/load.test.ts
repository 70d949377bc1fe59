import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, type AddressInfo, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import { createHub } from '../lib/channel/hub.js'
import { connectLiveReload } from '../lib/testing.js'
import type { BuildReport, ServerMessage } from '../types/index.js'
import { eventually } from './helpers/eventually.js'
import { fixture } from './helpers/fixture.js'
import { harness } from './helpers/harness.js'
import { collectingLogger } from './helpers/log.js'
import { rawUpgrade, rawWebSocket, upgradeRequest } from './helpers/raw-http.js'

/** An app with the plugin, listening on a loopback port. */
const CLIENTS = 1000

/** Opens `count` real ws clients, 100 at a time (the listen backlog is finite), each counting what it receives. */
async function connectMany (port: number, count: number): Promise<Array<{ ws: WebSocket, types: string[] }>> {
  const clients: Array<{ ws: WebSocket, types: string[] }> = []
  for (let start = 0; start < count; start += 100) {
    const batch = Array.from({ length: Math.min(100, count - start) }, async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/__livereload`, { perMessageDeflate: false })
      const client = { ws, types: [] as string[] }
      ws.on('message', data => client.types.push((JSON.parse(String(data)) as ServerMessage).type))
      ws.on('error', () => {})
      await once(ws, 'open')
      clients.push(client)
    })
    await Promise.all(batch)
  }
  return clients
}

for (const watched of [false, true]) {
  t.test(`${CLIENTS} clients and 20 builds a second${watched ? ', writing into the watched root' : ''}: at most one message per completed build per client`, async t => {
    await buildStorm(t, watched)
  })
}

async function buildStorm (t: Test, watched: boolean): Promise<void> {
  const dir = fixture(t, { out: { 'index.html': '<p>0</p>' } })
  const reports: BuildReport[] = []
  let n = 0
  const { app, port } = await harness(t, {
    options: {
      root: watched ? join(dir, 'out') : false,
      buildOnStart: false,
      maxClients: CLIENTS,
      // Writing into the watched root: the build's own output events must not become a second message.
      builder: watched
        ? async () => { await writeFile(join(dir, 'out', 'index.html'), `<p>${++n}</p>`) }
        : () => ({ reload: 'page' as const }),
      onBuildEnd: report => { reports.push(report) }
    }
  })
  const clients = await connectMany(port, CLIENTS)
  t.equal(app.liveReload.clients, CLIENTS)

  const builds: Array<Promise<BuildReport>> = []
  await new Promise<void>(resolve => {
    const timer = setInterval(() => {
      builds.push(app.liveReload.build())
      if (builds.length === 20) {
        clearInterval(timer)
        resolve()
      }
    }, 50)
  })
  await Promise.all(builds)
  const sent = app.liveReload.stats().messages
  await eventually(() => clients.every(c => c.types.length === sent + 1), 20_000, 'every client received every broadcast')

  const completed = reports.length
  const ends = reports.filter(r => r.sent !== 'none').length
  t.ok(completed >= 1 && completed <= 20, `${completed} builds completed for 20 requests (requests during a build merge)`)
  for (const [i, { types }] of clients.entries()) {
    const building = types.filter(type => type === 'building').length
    const results = types.filter(type => type !== 'building' && type !== 'hello').length
    if (building !== completed || results > completed || results !== ends) {
      t.fail(`client ${i}: ${building} building and ${results} end messages for ${completed} builds`)
      break
    }
  }
  t.equal(sent, completed + ends, 'one building and at most one end message per build, nothing else broadcast')
  t.pass(`${CLIENTS} clients each got ${sent} messages for ${completed} builds`)
  await Promise.all(clients.map(async ({ ws }) => { ws.close(); await once(ws, 'close') }))
}

t.test('a client that stops reading is terminated once its buffered bytes pass the bound; the others are not', async t => {
  const { app, port } = await harness(t)
  const reader = await connectLiveReload(app)
  const stalled = await rawWebSocket(port)
  stalled.socket.pause() // a real socket that stops reading: the kernel buffers fill, then ws's
  await eventually(() => app.liveReload.clients === 2)
  const big = { type: 'error' as const, errors: [{ message: 'x'.repeat(256 * 1024) }] }
  let sends = 0
  for (; sends < 400 && app.liveReload.clients === 2; sends++) {
    const received = reader.next('error')
    app.liveReload.send(big)
    await received // the reader keeps up; only the stalled one falls behind
  }
  t.equal(app.liveReload.clients, 1, `terminated after ${sends} messages of 256 KiB`)
  t.ok(sends < 400, 'well before the loop bound')
  const still = reader.next('reload')
  app.liveReload.reload()
  await still
  t.pass('the reading client stays, and still receives')
  stalled.socket.destroy()
  await reader.close()
})

t.test('a half-open client (handshake done, then silence) is found by the heartbeat and removed', async t => {
  const { log, lines } = collectingLogger()
  // Long enough for the healthy client, in this same busy process, to answer every ping in time.
  const hub = createHub({ maxClients: 10 }, log, { heartbeatMs: 500 })
  t.teardown(() => hub.closeAll())
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  t.teardown(() => new Promise(resolve => wss.close(resolve)))
  wss.on('connection', socket => hub.add(socket))
  await once(wss, 'listening')
  const port = (wss.address() as AddressInfo).port
  const healthy = new WebSocket(`ws://127.0.0.1:${port}`)
  await once(healthy, 'message')
  const { socket: silent } = await rawWebSocket(port, '/')
  silent.pause() // never reads, never answers a ping: as a peer whose network vanished
  await eventually(() => hub.size === 2)
  await eventually(() => hub.size === 1, 5000, 'the silent client removed')
  t.ok(lines.some(line => line.msg === 'client missed a heartbeat: terminated'))
  t.equal(healthy.readyState, WebSocket.OPEN, 'a client that answers pings stays')
  healthy.close()
  silent.destroy()
})

t.test('maxClients refuses the excess with 503 before any 101, and admits again once one leaves', async t => {
  const { app, port } = await harness(t, { options: { maxClients: 3 } })
  const clients = await Promise.all([1, 2, 3].map(() => connectLiveReload(app)))
  for (let i = 0; i < 5; i++) {
    const res = await rawUpgrade(port)
    t.equal(res.status, 503, `excess ${i + 1}: 503`)
    t.notMatch(res.raw, /HTTP\/1\.1 101/, 'no 101 on the socket')
  }
  t.equal(app.liveReload.clients, 3)
  await clients[0].close()
  await eventually(() => app.liveReload.clients === 2)
  const again = await rawUpgrade(port)
  t.equal(again.status, 101, 'a place freed is a place taken')
  await Promise.all(clients.slice(1).map(c => c.close()))
})

t.test('simultaneous upgrades never admit more than maxClients', async t => {
  const { app, port } = await harness(t, { options: { maxClients: 3 } })
  const sockets: Socket[] = []
  t.teardown(() => { for (const socket of sockets) socket.destroy() })
  // All 30 written at once; the admitted ones stay open until every answer is in.
  const results = await Promise.all(Array.from({ length: 30 }, async () => {
    const socket = connect(port, '127.0.0.1')
    sockets.push(socket)
    socket.on('error', () => {})
    await once(socket, 'connect')
    socket.write(upgradeRequest(port))
    const [head] = await once(socket, 'data') as [Buffer]
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(head.toString('latin1'))?.[1])
  }))
  t.equal(results.filter(status => status === 101).length, 3, 'three admitted')
  t.equal(results.filter(status => status === 503).length, 27, 'the rest refused')
  t.equal(app.liveReload.clients, 3)
})
