import { once } from 'node:events'
import { join } from 'node:path'
import t from 'tap'
import WebSocket from 'ws'
import liveReload, { commandBuilder, isolatedBuilder } from '../lib/index.js'
import { connectLiveReload } from '../lib/testing.js'
import type { BuildReport } from '../types/index.js'
import { listen, testApp } from './helpers/app.js'
import { eventually } from './helpers/eventually.js'
import { fixture } from './helpers/fixture.js'
import { harness } from './helpers/harness.js'
import { groupPids, isAlive, sleepingGroup } from './helpers/process.js'
import { closeCode, rawGet, rawUpgrade, rawWebSocket } from './helpers/raw-http.js'

t.test('app.close() with 1,000 clients resolves, each client closed with 1001', { timeout: 30_000 }, async t => {
  const { app, port } = await harness(t, { options: { maxClients: 1000 } })
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
  const { app, port } = await harness(t)
  const { socket, received } = await rawWebSocket(port)
  await eventually(() => app.liveReload.clients === 1)
  // The socket reads (so it sees the close frame) but never writes one back.
  const ended = once(socket, 'close')
  await app.close()
  await ended
  t.equal(closeCode(received), 1001, 'the close frame was sent first')
})

t.test('a running build is cancelled on close and its whole process group killed', { timeout: 15_000 }, async t => {
  const dir = fixture(t)
  const pidFile = join(dir, 'pids')
  const { app } = await harness(t, { options: { buildOnStart: false, builder: commandBuilder(sleepingGroup(pidFile), { cwd: dir }) }, listen: false })
  await app.ready()
  const build = app.liveReload.build()
  const [shell, grandchild] = await groupPids(pidFile)
  t.ok(isAlive(shell) && isAlive(grandchild), 'shell and grandchild run')
  await app.close()
  const report: BuildReport = await build
  t.equal(report.ok, false, 'the build did not complete')
  await eventually(() => !isAlive(shell) && !isAlive(grandchild), 60_000, 'the process group is gone')
  t.pass(`shell ${shell} and grandchild ${grandchild} are gone`)
})

t.test('requests and upgrades that arrive while the app closes get 503 or an ended connection, never a hang', { timeout: 15_000 }, async t => {
  for (const hostHookFirst of [true, false]) {
    const app = testApp(t)
    const dir = fixture(t, { 'index.html': '<p>hi</p>' })
    let openGate = (): void => {}
    const gate = new Promise<void>(resolve => { openGate = resolve })
    const reached = new Promise<void>(resolve => {
      // The host's own slow shutdown work, before or after ours.
      const hook = async (): Promise<void> => { resolve(); await gate }
      if (hostHookFirst) app.addHook('preClose', hook)
      app.register(liveReload, { root: dir }).after(() => { if (!hostHookFirst) app.addHook('preClose', hook) })
    })
    const port = await listen(app)
    const client = await connectLiveReload(app, { transport: 'socket' })
    const closing = app.close()
    await reached
    const upgrading = rawUpgrade(port)
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
    t.same(await client.closed, { code: 1001, reason: 'server shutting down' }, `${order}: the client was closed`)
  }
})

t.test('close leaves no handle, timer or socket behind', { timeout: 15_000 }, async t => {
  const app = testApp(t)
  const dir = fixture(t, { out: { 'index.html': '<p>x</p>' }, src: { 'a.txt': 'a' } })
  const before = resources()
  await app.register(liveReload, { root: join(dir, 'out'), watch: join(dir, 'src'), builder: () => ({ reload: 'page' as const }) })
  const port = await listen(app)
  const clients = await Promise.all([connectLiveReload(app, { transport: 'socket' }), connectLiveReload(app, { transport: 'socket' })])
  t.ok(resources().length > before.length, 'the running app holds resources')
  const { socket } = await rawWebSocket(port)
  await app.close()
  socket.destroy()
  await Promise.all(clients.map(client => client.closed))
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
  const dir = fixture(t)
  const { app } = await harness(t, {
    options: {
      buildOnStart: false,
      builder: isolatedBuilder(new URL('./fixtures/builders/ok.js', import.meta.url).pathname)
    }
  })
  await app.liveReload.build()
  t.same(count(), before, 'none added by register, listen or a build')
  const { app: other } = await harness(t, { options: { buildOnStart: false, builder: commandBuilder('true', { cwd: dir }) }, listen: false })
  await other.ready()
  await other.liveReload.build()
  await Promise.all([app.close(), other.close()])
  t.same(count(), before, 'none left after close')
})
