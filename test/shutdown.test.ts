import { once } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import t from 'tap'
import WebSocket from 'ws'
import liveReload, { commandBuilder, isolatedBuilder } from '../lib/index.js'
import type { BuildReport } from '../types/index.js'
import { connectChannel } from './helpers/channel.js'
import { eventually } from './helpers/eventually.js'
import { rawGet, rawRequest, rawWebSocket } from './helpers/raw-http.js'

const UPGRADE = (port: number) => `GET /__livereload HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`

t.test('app.close() with 1,000 clients resolves, each client closed with 1001', { timeout: 30_000 }, async t => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(liveReload, { maxClients: 1000 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port
  const codes: number[] = []
  for (let start = 0; start < 1000; start += 100) {
    await Promise.all(Array.from({ length: 100 }, async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/__livereload`, { perMessageDeflate: false })
      ws.on('error', () => {})
      ws.on('close', code => codes.push(code))
      await once(ws, 'message')
    }))
  }
  t.equal(app.liveReload.clients, 1000)
  const started = performance.now()
  await app.close()
  const ms = performance.now() - started
  t.comment(`app.close() with 1,000 clients: ${ms.toFixed(0)} ms`) // measured, reported, never asserted
  await eventually(() => codes.length === 1000, 10_000, 'every client saw its close')
  t.ok(codes.every(code => code === 1001), 'all 1001 (going away)')
})

t.test('a client that never answers the close frame is terminated, not waited for (ws waits 30 s)', { timeout: 10_000 }, async t => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(liveReload)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { socket, received } = await rawWebSocket((app.server.address() as AddressInfo).port)
  await eventually(() => app.liveReload.clients === 1)
  // The socket reads (so it sees the close frame) but never writes one back.
  const ended = once(socket, 'close')
  await app.close()
  await ended
  const bytes = Buffer.concat(received)
  const close = bytes.indexOf(Buffer.from([0x88]))
  t.ok(close !== -1, 'the close frame was sent first')
  t.equal(bytes.readUInt16BE(close + 2), 1001)
})

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  // A zombie (killed, not yet reaped by whoever adopted it) is gone for our purposes.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}

t.test('a running build is cancelled on close and its whole process group killed', { timeout: 15_000 }, async t => {
  const dir = t.testdir({})
  const app = Fastify()
  t.teardown(() => app.close())
  const pidFile = join(dir, 'pids')
  await app.register(liveReload, {
    buildOnStart: false,
    builder: commandBuilder(`sleep 300 & echo "$$ $!" > ${JSON.stringify(pidFile)}; wait`, { cwd: dir })
  })
  await app.ready()
  const build = app.liveReload.build()
  await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 5000, 'the build started its grandchild')
  const [shell, grandchild] = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number)
  t.ok(isAlive(shell) && isAlive(grandchild), 'shell and grandchild run')
  await app.close()
  const report: BuildReport = await build
  t.equal(report.ok, false, 'the build did not complete')
  await eventually(() => !isAlive(shell) && !isAlive(grandchild), 5000, 'the process group is gone')
  t.pass(`shell ${shell} and grandchild ${grandchild} are gone`)
})

t.test('requests and upgrades that arrive while the app closes get 503 or an ended connection, never a hang', { timeout: 15_000 }, async t => {
  for (const hostHookFirst of [true, false]) {
    const dir = t.testdir({ 'index.html': '<p>hi</p>' })
    const app = Fastify()
    let openGate = (): void => {}
    const gate = new Promise<void>(resolve => { openGate = resolve })
    const reached = new Promise<void>(resolve => {
      // The host's own slow shutdown work, before or after ours.
      const hook = async (): Promise<void> => { resolve(); await gate }
      if (hostHookFirst) app.addHook('preClose', hook)
      app.register(liveReload, { root: dir }).after(() => { if (!hostHookFirst) app.addHook('preClose', hook) })
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const port = (app.server.address() as AddressInfo).port
    const client = await connectChannel(app)
    const closing = app.close()
    await reached
    const upgrading = rawRequest(port, UPGRADE(port), { endOn101: true })
    const [page, status] = await Promise.all([rawGet(port, '/index.html'), rawGet(port, '/__livereload/status')])
    openGate()
    const upgrade = await upgrading
    await closing
    const order = hostHookFirst ? 'host hook first' : 'our hook first'
    for (const [name, res] of [['a page', page], ['status', status], ['an upgrade', upgrade]] as const) {
      t.ok(res.status === 503 || res.status === 0, `${order}, ${name}: ${res.status === 0 ? 'connection ended' : '503'}`)
      t.notOk(res.timedOut, `${order}, ${name}: never hangs`)
      t.notMatch(res.raw, /HTTP\/1\.1 101/, `${order}, ${name}: no 101`)
    }
    t.equal(client.ws.readyState, WebSocket.CLOSED)
  }
})

t.test('close leaves no handle, timer or socket behind', { timeout: 15_000 }, async t => {
  const dir = t.testdir({ out: { 'index.html': '<p>x</p>' }, src: { 'a.txt': 'a' } })
  const before = resources()
  const app = Fastify()
  await app.register(liveReload, { root: join(dir, 'out'), watch: join(dir, 'src'), builder: () => ({ reload: 'page' as const }) })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const clients = await Promise.all([connectChannel(app), connectChannel(app)])
  t.ok(resources().length > before.length, 'the running app holds resources')
  const { socket } = await rawWebSocket((app.server.address() as AddressInfo).port)
  await app.close()
  socket.destroy()
  for (const client of clients) if (client.ws.readyState !== WebSocket.CLOSED) await once(client.ws, 'close')
  await eventually(() => resources().join() === before.join(), 5000, `resources back to ${before.join()} (now ${resources().join()})`)
  t.same(resources(), before)
})

/** What keeps the event loop (or could): handles and timers by type, sorted. */
function resources (): string[] {
  // FSReqCallback: one file system call in flight (tap's own, or t.testdir's), not a holder.
  return process.getActiveResourcesInfo().filter(type => !['TTYWrap', 'PipeWrap', 'FSReqCallback'].includes(type)).sort()
}

t.test('the plugin installs no process signal or exit handlers', async t => {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'exit', 'beforeExit', 'uncaughtException', 'unhandledRejection'] as const
  const count = (): number[] => events.map(event => process.listenerCount(event))
  const before = count()
  const dir = t.testdir({})
  const app = Fastify()
  await app.register(liveReload, {
    buildOnStart: false,
    builder: isolatedBuilder(new URL('./fixtures/builders/ok.js', import.meta.url).pathname)
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await app.liveReload.build()
  t.same(count(), before, 'none added by register, listen or a build')
  const other = Fastify()
  await other.register(liveReload, { buildOnStart: false, builder: commandBuilder('true', { cwd: dir }) })
  await other.ready()
  await other.liveReload.build()
  await Promise.all([app.close(), other.close()])
  t.same(count(), before, 'none left after close')
})
