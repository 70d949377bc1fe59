import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, WebSocket } from 'ws'
import t, { type Test } from 'tap'
import { createHub } from '../lib/channel/hub.js'
import { eventually } from './helpers/eventually.js'
import { fakeWorld } from './helpers/fake-world.js'
import { collectingLogger } from './helpers/log.js'
import { stall } from './helpers/loop.js'
import { closeCode, rawWebSocket } from './helpers/raw-http.js'

/**
 * A real ws server on a loopback port whose connections go to the hub under test; `terminated`
 * lists the server sides the hub terminated (ws's own 30 s close timeout destroys without it).
 */
async function serve (t: Test, hub: ReturnType<typeof createHub>) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  t.teardown(() => new Promise(resolve => wss.close(resolve)))
  const accepted: WebSocket[] = []
  const terminated: WebSocket[] = []
  wss.on('connection', socket => {
    const terminate = socket.terminate.bind(socket)
    socket.terminate = () => { terminated.push(socket); terminate() }
    accepted.push(socket)
    hub.add(socket)
  })
  await once(wss, 'listening')
  const { port } = wss.address() as AddressInfo
  return { url: `ws://127.0.0.1:${port}`, port, accepted, terminated }
}

t.test('on the world\'s clock: the heartbeat runs while there are clients, and terminates the one that missed a ping', async t => {
  const fake = fakeWorld()
  const { log, lines } = collectingLogger()
  const hub = createHub({ maxClients: 10 }, log, {}, null, fake.world)
  t.teardown(() => hub.closeAll())
  const { url, accepted } = await serve(t, hub)
  t.equal(fake.nextTimerAt(), Infinity, 'no client, no timer')
  const deaf = new WebSocket(url, { autoPong: false })
  await once(deaf, 'message')
  const polite = new WebSocket(url)
  await once(polite, 'message')
  t.equal(fake.nextTimerAt() - fake.now, 30_000, 'one heartbeat for both, 30 s on')
  const answered = once(accepted[1], 'pong') // the server's side of the polite one
  fake.advance(30_000) // a ping to each
  await answered
  t.equal(hub.size, 2, 'a ping unanswered so far terminates nobody')
  const deafClosed = once(deaf, 'close')
  fake.advance(30_000) // the deaf one missed it
  t.equal((await deafClosed)[0], 1006, 'terminated, not closed politely')
  t.ok(lines.some(line => /missed a heartbeat/.test(line.msg)))
  await eventually(() => hub.size === 1, 5000, 'the deaf client removed')
  t.equal(fake.nextTimerAt() - fake.now, 30_000, 'the heartbeat goes on for the polite one')
  polite.close()
  await eventually(() => hub.size === 0, 5000, 'the polite client gone')
  t.equal(fake.nextTimerAt(), Infinity, 'the last client gone, the heartbeat stops: idle costs nothing')
})

t.test('a pong sent in time counts though the server\'s event loop is held up past the next beat', async t => {
  const hub = createHub({ maxClients: 10 }, collectingLogger().log, { heartbeatMs: 50 })
  t.teardown(() => hub.closeAll())
  const { url, terminated } = await serve(t, hub)
  const client = new WebSocket(url)
  t.teardown(() => client.terminate())
  await once(client, 'message')
  await once(client, 'ping') // ws has written its pong by now
  const outcome = Promise.race([
    once(client, 'ping').then(() => 'pinged again'),
    once(client, 'close').then(([code]) => `closed (${String(code)})`)
  ])
  stall(100) // the loop runs its timers before it reads its sockets: the next beat's first
  t.equal(await outcome, 'pinged again', 'the beat read the pong first')
  t.same(terminated, [])
})

t.test('a client that stops reading is terminated once its buffer passes the bound', async t => {
  const hub = createHub({ maxClients: 10 }, collectingLogger().log, { maxBufferedBytes: 64 * 1024 })
  t.teardown(() => hub.closeAll())
  const { url } = await serve(t, hub)
  const slow = new WebSocket(url)
  await once(slow, 'message')
  ;(slow as unknown as { _socket: { pause (): void } })._socket.pause()
  const closed = once(slow, 'close')
  const big = { type: 'error' as const, errors: [{ message: 'x'.repeat(256 * 1024) }] }
  for (let i = 0; i < 200 && hub.size > 0; i++) {
    hub.broadcast(big)
    await new Promise(resolve => setImmediate(resolve))
  }
  ;(slow as unknown as { _socket: { resume (): void } })._socket.resume()
  await closed
  t.equal(hub.size, 0)
})

t.test('closeAll closes clients with 1001, terminates one that never answers, and is idempotent', async t => {
  const hub = createHub({ maxClients: 10 }, collectingLogger().log)
  const { url, port, accepted, terminated } = await serve(t, hub)
  const polite = new WebSocket(url)
  await once(polite, 'message')
  const deaf = await rawWebSocket(port, '/') // reads the close frame, never answers it
  await eventually(() => hub.size === 2)
  const politeClosed = once(polite, 'close')
  const deafEnded = once(deaf.socket, 'close')
  await Promise.all([hub.closeAll(), hub.closeAll()])
  t.equal(hub.size, 0, 'every client gone once closeAll resolves')
  t.equal((await politeClosed)[0], 1001)
  await deafEnded
  t.equal(closeCode(deaf.received), 1001, 'the silent client was asked to close too')
  t.ok(terminated.includes(accepted[1]), 'then terminated by the hub, not left to ws\'s 30 s close timeout')
  const after = new WebSocket(url)
  after.on('error', () => {})
  const [code] = await once(after, 'close')
  t.equal(code, 1006, 'new sockets after closeAll are terminated')
  await hub.closeAll()
})

t.test('adopt() puts another instance in every later hello; restore() sets the standing error new clients get, sending nothing', async t => {
  const hub = createHub({ maxClients: 10 }, collectingLogger().log)
  t.teardown(() => hub.closeAll())
  const { url } = await serve(t, hub)
  const early = new WebSocket(url)
  const [first] = await once(early, 'message')
  t.not(JSON.parse(String(first)).instance, 'the-cluster')

  hub.adopt('the-cluster')
  const error = { type: 'error' as const, errors: [{ message: 'broken' }] }
  hub.restore(error)
  t.equal(hub.messages, 0, 'nothing broadcast')
  const late = new WebSocket(url)
  const frames: unknown[] = []
  late.on('message', data => frames.push(JSON.parse(String(data))))
  await eventually(() => frames.length === 2, 5000, 'hello and the standing error')
  t.same(frames, [{ type: 'hello', protocol: 1, instance: 'the-cluster' }, error])
  t.equal(hub.instance, 'the-cluster')

  hub.restore(null)
  const cleared = new WebSocket(url)
  const types: string[] = []
  cleared.on('message', data => types.push(JSON.parse(String(data)).type))
  await once(cleared, 'open')
  cleared.ping()
  await once(cleared, 'pong') // answered after the hub wrote what it had for this client
  t.same(types, ['hello'], 'no standing error once restored to none')
  early.close()
  late.close()
  cleared.close()
})
