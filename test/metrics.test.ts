// The `metrics` option: the plugin's series in the app's prom-client registry, read the way
// Prometheus reads them, from the app's own /metrics route, with real clients of every transport,
// the real watcher and real builds.
import { once } from 'node:events'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { Counter, register, Registry } from 'prom-client'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import liveReload from '../lib/index.js'
import { createMetrics } from '../lib/metrics.js'
import { connectLiveReload } from '../lib/testing.js'
import type { BroadcastMessage, LiveReloadOptions } from '../types/index.js'
import { listen, testApp } from './helpers/app.js'
import { eventually } from './helpers/eventually.js'
import { nextEvent, openEvents } from './helpers/events.js'
import { fixture } from './helpers/fixture.js'
import { harness } from './helpers/harness.js'
import { runWithout } from './helpers/without-package.js'

type Labels = Record<string, string>

/** The app's own /metrics, as fastify-metrics or a hand-written route serves it. */
function serveMetrics (app: FastifyInstance, registry: Registry | typeof register): void {
  app.get('/metrics', async (_request, reply) => await reply.type(registry.contentType).send(await registry.metrics()))
}

/** Every sample of the exposition text: name, labels, value. */
async function scrape (app: FastifyInstance): Promise<Array<{ name: string, labels: Labels, value: number }>> {
  const res = await app.inject('/metrics')
  const samples = []
  for (const line of res.body.split('\n')) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (match === null) continue
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]))
    samples.push({ name: match[1], labels, value: Number(match[3]) })
  }
  return samples
}

/** The value of the one sample named so with these labels (and maybe others); undefined when there is none. */
async function valueOf (app: FastifyInstance, name: string, labels: Labels): Promise<number | undefined> {
  const found = (await scrape(app)).filter(sample => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`)
  return found[0]?.value
}

async function appWith (t: Test, registry: Registry | typeof register, options: LiveReloadOptions = {}): Promise<FastifyInstance> {
  const { app } = await harness(t, { options: { metrics: registry === register ? true : registry, ...options }, listen: false })
  serveMetrics(app, registry)
  return app
}

const site = '/__livereload'

// First: nothing before it has put the plugin's metrics in prom-client's default registry.
t.test('without the option, nothing is added to the default registry', async t => {
  const { app } = await harness(t, { options: { root: false }, listen: false })
  await app.ready()
  app.liveReload.send({ type: 'reload', paths: [] })
  // No series: a test that ran before in this process (examples/metrics) may have left the metrics
  // themselves registered, empty, as an instance's close leaves them for the next.
  t.same((await register.getMetricsAsJSON()).filter(metric => metric.name.startsWith('fastify_livereload_') && metric.values.length > 0), [])
})

t.test('without the option, prom-client is never imported: an app without it runs', async t => {
  const index = new URL('../dist/index.js', import.meta.url).href // as an app runs it: built
  const ran = await runWithout(['prom-client'], `
    const { default: Fastify } = await import('fastify')
    const { default: liveReload } = await import(${JSON.stringify(index)})
    const app = Fastify()
    await app.register(liveReload, { root: false })
    app.liveReload.send({ type: 'reload', paths: [] })
    console.log('clients', app.liveReload.clients)
    await app.close()`)
  t.equal(ran.code, 0, ran.stderr)
  t.equal(ran.stdout.trim(), 'clients 0')
})

t.test('prom-client missing: FST_LIVERELOAD_MISSING_DEPENDENCY naming it, at register time', async t => {
  const index = new URL('../dist/index.js', import.meta.url).href
  const ran = await runWithout(['prom-client'], `
    const { default: Fastify } = await import('fastify')
    const { default: liveReload } = await import(${JSON.stringify(index)})
    const app = Fastify()
    app.register(liveReload, { root: false, metrics: true })
    await app.ready().catch(err => { console.log(err.code, err.message); process.exit(3) })`)
  t.equal(ran.code, 3, ran.stderr)
  t.match(ran.stdout, /^FST_LIVERELOAD_MISSING_DEPENDENCY .*"prom-client" is needed for the metrics option/)
})

t.test('a value that is neither a boolean nor a registry: FST_LIVERELOAD_INVALID_OPTION', async t => {
  for (const [name, value] of Object.entries({ 'a string': 'yes', 'a number': 1, null: null, 'an empty object': {}, 'an object with metrics() only': { metrics: () => '' }, 'an array holding the registry': [register] })) {
    await t.rejects(harness(t, { options: { root: false, metrics: value as unknown as boolean }, listen: false }), { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /option "metrics" must be a boolean or a prom-client Registry/ }, name)
  }
})

t.test('a registry holding another metric of one of our names: FST_LIVERELOAD_INVALID_OPTION', async t => {
  const registry = new Registry()
  registry.registerMetric(new Counter({ name: 'fastify_livereload_clients', help: 'not ours', registers: [] }))
  await t.rejects(harness(t, { options: { root: false, metrics: registry }, listen: false }), { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /already holds a metric named fastify_livereload_clients/ })
})

t.test('clients by transport go up as browsers connect and down as they leave', async t => {
  const registry = new Registry()
  const app = await appWith(t, registry, { root: false, livereload: true })
  const port = await listen(app)
  const clients = async (transport: string): Promise<number | undefined> => await valueOf(app, 'fastify_livereload_clients', { site, transport })
  t.same([await clients('websocket'), await clients('sse'), await clients('livereload')], [0, 0, 0], 'every transport at 0 from the start')

  const sockets = await Promise.all([1, 2].map(async () => await connectLiveReload(app, { transport: 'socket' })))
  const stream = await openEvents(`http://127.0.0.1:${port}${site}/events`)
  t.teardown(() => stream.close())
  await nextEvent(stream, 'hello')
  const lr7 = new WebSocket(`ws://127.0.0.1:${port}/livereload`)
  t.teardown(() => lr7.terminate())
  await once(lr7, 'open')
  const lr7Hello = once(lr7, 'message')
  lr7.send(JSON.stringify({ command: 'hello', protocols: ['http://livereload.com/protocols/official-7'] }))
  await lr7Hello
  await eventually(() => app.liveReload.clients === 4, 10_000, 'the LiveReload client admitted')
  t.same([await clients('websocket'), await clients('sse'), await clients('livereload')], [2, 1, 1])

  await sockets[0].close()
  stream.close()
  lr7.close()
  await eventually(() => app.liveReload.clients === 1, 10_000, 'three clients gone on the server side')
  t.same([await clients('websocket'), await clients('sse'), await clients('livereload')], [1, 0, 0])
})

t.test('messages are counted by type, once per broadcast whatever the number of clients', async t => {
  const registry = new Registry()
  const app = await appWith(t, registry, { root: false })
  await listen(app)
  await Promise.all([1, 2, 3].map(async () => await connectLiveReload(app, { transport: 'socket' })))
  const sent: BroadcastMessage[] = [
    { type: 'building', changes: [] }, { type: 'error', errors: [{ message: 'x' }] }, { type: 'clear' },
    { type: 'css', paths: ['/a.css'] }, { type: 'css', paths: ['/b.css'] }, { type: 'img', paths: ['/a.png'] }
  ]
  for (const message of sent) app.liveReload.send(message)
  app.liveReload.reload()
  const messages = async (type: string): Promise<number | undefined> => await valueOf(app, 'fastify_livereload_messages_total', { site, type })
  t.same(
    { building: await messages('building'), error: await messages('error'), clear: await messages('clear'), css: await messages('css'), img: await messages('img'), reload: await messages('reload') },
    { building: 1, error: 1, clear: 1, css: 2, img: 1, reload: 1 })
  t.equal(await messages('hello'), undefined, 'hello is no broadcast')
})

/** A site with a source and a builder that copies it into dist/index.html after `workMs`, failing on "fail". */
async function buildingSite (t: Test, registry: Registry) {
  const dir = fixture(t, { src: { 'page.txt': 'one' }, dist: {} })
  const workMs = 60
  const app = await appWith(t, registry, {
    root: join(dir, 'dist'),
    watch: [join(dir, 'src')],
    builder: {
      async build ({ changes, full }) {
        // Work that takes time, so that the durations have a floor to check: at least workMs by
        // the clock the build is timed with. A timer alone may end sooner by that clock: Node
        // counts its delay from the event loop's time, read when the turn began (a run of the
        // whole suite timed a failed build under 60 ms).
        const began = performance.now()
        for (let left = workMs; left > 0; left = began + workMs - performance.now()) await new Promise(resolve => setTimeout(resolve, left))
        const text = full ? 'one' : String(changes.length)
        if (changes.some(change => change.path.endsWith('fail.txt'))) throw new Error('the build broke')
        await writeFile(join(dir, 'dist', 'index.html'), `<p>${text} ${Date.now()}</p>`)
      }
    }
  })
  await listen(app)
  const client = await connectLiveReload(app, { transport: 'socket' })
  return { app, dir, client, workMs }
}

t.test('builds are counted by result, with their durations', async t => {
  const registry = new Registry()
  const { app, dir, client, workMs } = await buildingSite(t, registry)
  const builds = async (result: string): Promise<number | undefined> => await valueOf(app, 'fastify_livereload_builds_total', { site, result })
  const seconds = async (what: 'count' | 'sum', result: string): Promise<number | undefined> => await valueOf(app, `fastify_livereload_build_duration_seconds_${what}`, { site, result })
  t.same([await builds('ok'), await builds('failed'), await builds('aborted')], [1, 0, 0], 'the start-up build')

  const failed = await client.change(join(dir, 'src', 'fail.txt'), 'x', { timeout: 30_000 })
  t.equal(failed.at(-1)?.type, 'error')
  const fixed = await client.change(join(dir, 'src', 'page.txt'), 'two', { timeout: 30_000 })
  t.equal(fixed.at(-1)?.type, 'reload')

  t.same([await builds('ok'), await builds('failed'), await builds('aborted')], [2, 1, 0])
  t.same([await seconds('count', 'ok'), await seconds('count', 'failed')], [2, 1], 'one duration per build')
  t.ok((await seconds('sum', 'ok') ?? 0) >= 2 * workMs / 1000, 'the ok builds took their work time, in seconds')
  t.ok((await seconds('sum', 'failed') ?? 0) >= workMs / 1000, 'so did the failed one')
  t.ok((await seconds('sum', 'ok') ?? Infinity) < 60, 'seconds, not milliseconds')
  t.equal(await valueOf(app, 'fastify_livereload_build_duration_seconds_bucket', { site, result: 'ok', le: '+Inf' }), 2)
})

t.test('a build overtaken by newer changes is counted as aborted', async t => {
  const registry = new Registry()
  const dir = fixture(t, { src: { 'page.txt': 'one' }, dist: {} })
  let started!: () => void
  let isFirst = true
  const isStarted = new Promise<void>(resolve => { started = resolve })
  const app = await appWith(t, registry, {
    root: join(dir, 'dist'),
    watch: [join(dir, 'src')],
    buildOnStart: false,
    supersede: true,
    builder: {
      async build ({ changes, signal }) {
        if (isFirst) { // the first build waits until it is overtaken; its changes come again in the next
          isFirst = false
          started()
          await new Promise(resolve => signal.addEventListener('abort', resolve, { once: true }))
          return
        }
        await writeFile(join(dir, 'dist', 'index.html'), `<p>${Date.now()}</p>`)
      }
    }
  })
  await listen(app)
  const client = await connectLiveReload(app, { transport: 'socket' })
  // Saved by rename, as editors do: one event each, so no late copy can overtake a build again.
  await writeFile(join(dir, 'slow.txt'), 'x')
  await rename(join(dir, 'slow.txt'), join(dir, 'src', 'slow.txt'))
  await isStarted
  const messages = await client.change(join(dir, 'src', 'page.txt'), 'two', { timeout: 30_000 })
  t.equal(messages.at(-1)?.type, 'reload')
  const builds = async (result: string): Promise<number | undefined> => await valueOf(app, 'fastify_livereload_builds_total', { site, result })
  t.same([await builds('ok'), await builds('failed'), await builds('aborted')], [1, 0, 1])
  t.equal(await valueOf(app, 'fastify_livereload_build_duration_seconds_count', { site, result: 'aborted' }), 1)
})

t.test('change → message latency is observed from the watcher\'s report to the broadcast', async t => {
  const registry = new Registry()
  const { app, dir, client, workMs } = await buildingSite(t, registry)
  const latency = async (what: 'count' | 'sum', type: string): Promise<number | undefined> => await valueOf(app, `fastify_livereload_change_to_message_seconds_${what}`, { site, type })
  t.equal(await latency('count', 'reload'), undefined, 'the start-up build answered no change')

  const messages = await client.change(join(dir, 'src', 'page.txt'), 'two', { timeout: 30_000 })
  t.same(messages.map(message => message.type), ['building', 'reload'])
  t.same([await latency('count', 'building'), await latency('count', 'reload')], [1, 1])
  const toBuilding = await latency('sum', 'building') ?? NaN
  const toReload = await latency('sum', 'reload') ?? NaN
  t.ok(toReload >= toBuilding + workMs / 1000, `the reload came after the build's work: ${toBuilding} s to building, ${toReload} s to reload`)
  t.ok(toReload < 30, 'in seconds')

  const failed = await client.change(join(dir, 'src', 'fail.txt'), 'x', { timeout: 30_000 })
  t.equal(failed.at(-1)?.type, 'error')
  t.equal(await latency('count', 'error'), 1, 'a failed build\'s error answers its change too')
})

t.test('an output change alone (no builder) is observed as well', async t => {
  const registry = new Registry()
  const dir = fixture(t, { dist: { 'index.html': '<p>one</p>', 'site.css': 'a {}' } })
  const app = await appWith(t, registry, { root: join(dir, 'dist') })
  await listen(app)
  const client = await connectLiveReload(app, { transport: 'socket' })
  const messages = await client.change(join(dir, 'dist', 'site.css'), 'a { color: red }', { timeout: 30_000 })
  t.same(messages.map(message => message.type), ['css'])
  t.equal(await valueOf(app, 'fastify_livereload_change_to_message_seconds_count', { site, type: 'css' }), 1)
  t.ok((await valueOf(app, 'fastify_livereload_change_to_message_seconds_sum', { site, type: 'css' }) ?? NaN) > 0)
})

t.test('two sites in one app keep their own series, labelled by their channel path', async t => {
  const registry = new Registry()
  const app = testApp(t)
  for (const prefix of ['/a', '/b']) {
    await app.register(async site => { await site.register(liveReload, { root: false, metrics: registry }) }, { prefix })
  }
  serveMetrics(app, registry)
  const port = await listen(app)
  const socket = new WebSocket(`ws://127.0.0.1:${port}/a/__livereload`) // the decorator is the sites' own: a raw client
  t.teardown(() => socket.terminate())
  await once(socket, 'message') // hello: admitted
  const clients = async (site: string): Promise<number | undefined> => await valueOf(app, 'fastify_livereload_clients', { site, transport: 'websocket' })
  t.same([await clients('/a/__livereload'), await clients('/b/__livereload')], [1, 0])
})

t.test('two apps on one registry: the second is told apart, and a close removes only its own series', async t => {
  const registry = new Registry()
  const first = await appWith(t, registry, { root: false })
  const second = await appWith(t, registry, { root: false })
  await Promise.all([first.ready(), second.ready()])
  first.liveReload.reload()
  second.liveReload.reload()
  second.liveReload.reload()
  const reloads = async (site: string): Promise<number | undefined> => await valueOf(second, 'fastify_livereload_messages_total', { site, type: 'reload' })
  t.same([await reloads(site), await reloads(`${site}#2`)], [1, 2])

  await listen(second)
  await connectLiveReload(second, { transport: 'socket' })
  await first.close()
  t.same([await reloads(site), await reloads(`${site}#2`)], [undefined, 2], 'the closed app left no stale series')
  t.equal(await valueOf(second, 'fastify_livereload_clients', { site: `${site}#2`, transport: 'websocket' }), 1)

  const third = await appWith(t, registry, { root: false })
  await third.ready()
  third.liveReload.reload()
  t.same([await reloads(site), await reloads(`${site}#2`)], [1, 2], 'a later app takes the freed label and starts from 0')
})

t.test('metrics: true goes into prom-client\'s default registry, and a close takes its series out', async t => {
  const app = await appWith(t, register, { root: false })
  await app.ready()
  app.liveReload.reload()
  t.equal(await valueOf(app, 'fastify_livereload_messages_total', { site, type: 'reload' }), 1)
  await app.close()
  t.same((await register.getMetricsAsJSON()).filter(metric => metric.name.startsWith('fastify_livereload_')).flatMap(metric => metric.values), [], 'no sample left behind')
})

t.test('leaderChanged() and busError() count, for the cluster to call; nothing is counted after close', async t => {
  const registry = new Registry()
  const metrics = await createMetrics(registry, '/__livereload')
  const value = async (name: string): Promise<number | undefined> => (await registry.getSingleMetric(name)?.get())?.values.find(sample => sample.labels.site === '/__livereload')?.value
  t.same([await value('fastify_livereload_leader_changes_total'), await value('fastify_livereload_bus_errors_total')], [0, 0])
  metrics.leaderChanged()
  metrics.busError()
  metrics.busError()
  t.same([await value('fastify_livereload_leader_changes_total'), await value('fastify_livereload_bus_errors_total')], [1, 2])
  metrics.close()
  metrics.busError()
  t.same([await value('fastify_livereload_leader_changes_total'), await value('fastify_livereload_bus_errors_total')], [undefined, undefined], 'removed, and not made again')
})
