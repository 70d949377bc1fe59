// One tool, started like a dev server in its own process: `node server.js <tool> <config json>`.
// It reports { type: 'ready', port } over IPC and then answers the bench's requests (trigger a
// broadcast, report memory and event-loop stalls, stop). The bench kills it if it goes silent.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createRequire } from 'node:module'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
const [tool, rawConfig] = process.argv.slice(2)
const config = JSON.parse(rawConfig ?? '{}')
const now = () => Number(process.hrtime.bigint()) / 1e6 // CLOCK_MONOTONIC: the same clock as the bench process

const send = message => process.send?.(message)
process.on('disconnect', () => process.exit(0)) // the bench went away: never linger
process.on('uncaughtException', err => { send({ type: 'fatal', message: String(err?.stack ?? err) }); process.exit(1) })

const stalls = monitorEventLoopDelay({ resolution: 1 })
let rssBefore = process.memoryUsage().rss
let trigger = () => { throw new Error(`${tool} has no trigger`) }
let stop = async () => {}

async function wsBroadcaster (server) {
  const { WebSocketServer } = await import('ws')
  const wss = new WebSocketServer({ server })
  return data => { for (const ws of wss.clients) if (ws.readyState === 1) ws.send(data) }
}

async function plainHttp () {
  const http = await import('node:http')
  const server = http.createServer((_req, res) => res.end('ok'))
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return server
}

const starters = {
  /** fastify-livereload; `plugin: false` gives the same app without it. */
  async ours () {
    const { default: Fastify } = await import('fastify')
    const app = Fastify({ forceCloseConnections: true })
    if (config.plugin !== false) {
      const { default: liveReload } = await import(config.ours ?? '../dist/index.js')
      const builder = config.builder === true ? buildToOutput() : undefined
      await app.register(liveReload, {
        root: config.static === true ? false : config.root ?? false,
        ...(builder === undefined ? {} : { watch: [config.src], builder, buildOnStart: false })
      })
      trigger = () => app.liveReload.reload()
    }
    if (config.static === true) {
      await app.register((await import('@fastify/static')).default, { root: config.root })
    }
    if (config.routes === true) addRoutes(app)
    await app.listen({ port: 0, host: '127.0.0.1' })
    stop = () => app.close()
    return app.server.address().port
  },
  /** The floor of a watcher-driven reload: @parcel/watcher straight to a ws broadcast. */
  async parcel () {
    const watcher = (await import('@parcel/watcher')).default
    const server = await plainHttp()
    const broadcast = await wsBroadcaster(server)
    const subscription = await watcher.subscribe(config.root, () => broadcast('reload'), { ignore: config.ignore ?? [] })
    stop = async () => { await subscription.unsubscribe(); server.close() }
    return server.address().port
  },
  /** Node's own fs.watch (recursive), straight to a ws broadcast. */
  async fswatch () {
    const { watch } = await import('node:fs')
    const server = await plainHttp()
    const broadcast = await wsBroadcaster(server)
    const watcher = watch(config.root, { recursive: true }, () => broadcast('reload'))
    stop = async () => { watcher.close(); server.close() }
    return server.address().port
  },
  /** The floor of fan-out: a ws server that broadcasts when told. */
  async rawws () {
    const server = await plainHttp()
    const broadcast = await wsBroadcaster(server)
    trigger = () => broadcast('{"type":"reload","paths":[]}')
    stop = async () => server.close()
    return server.address().port
  },
  /** What a user could wire by hand: Fastify + @fastify/websocket + @parcel/watcher. */
  async bare () {
    const { default: Fastify } = await import('fastify')
    const watcher = (await import('@parcel/watcher')).default
    const app = Fastify({ forceCloseConnections: true })
    await app.register((await import('@fastify/websocket')).default)
    app.get('/ws', { websocket: true }, () => {})
    await app.listen({ port: 0, host: '127.0.0.1' })
    const subscription = await watcher.subscribe(config.root, () => {
      for (const ws of app.websocketServer.clients) ws.send('reload')
    }, { ignore: ['.git', 'node_modules'] })
    stop = async () => { await subscription.unsubscribe(); await app.close() }
    return app.server.address().port
  },
  async livereload () {
    const livereload = require('livereload')
    const server = livereload.createServer({ port: config.port, delay: config.delay, exts: ['html', 'css', 'js', 'txt'] })
    server.watch(config.root)
    await new Promise(resolve => server.server.once('listening', resolve))
    trigger = () => server.refresh('/index.html')
    stop = async () => server.close()
    return config.port
  },
  async browsersync () {
    const bs = require('browser-sync').create()
    await new Promise((resolve, reject) => bs.init({
      server: config.root,
      files: [config.root],
      port: config.port,
      open: false,
      ui: false,
      notify: false,
      online: false,
      logLevel: 'silent',
      ...(config.minimum === true ? { reloadDebounce: 0, reloadDelay: 0 } : {})
    }, err => err ? reject(err) : resolve()))
    stop = async () => bs.exit()
    return config.port
  },
  async fiveserver () {
    const FiveServer = require('five-server').default
    const five = new FiveServer()
    await five.start({ root: config.root, port: config.port, host: '127.0.0.1', open: false, logLevel: 0, ...(config.minimum === true ? { wait: 0 } : {}) })
    stop = () => five.shutdown()
    return config.port
  },
  async liveserver () {
    const liveServer = require('live-server')
    const server = liveServer.start({ root: config.root, port: config.port, host: '127.0.0.1', open: false, logLevel: 0, ...(config.minimum === true ? { wait: 0 } : {}) })
    await new Promise(resolve => server.once('listening', resolve))
    stop = async () => liveServer.shutdown()
    return config.port
  }
}

/** Scenario 2's builder: writes one output file per build and reports when its promise resolves. */
function buildToOutput () {
  let n = 0
  return {
    name: 'bench',
    async build () {
      const out = join(config.root, 'index.html')
      await writeFile(out, `<html><head></head><body>build ${++n}</body></html>`)
      const resolvedAt = now()
      queueMicrotask(() => send({ type: 'built', at: resolvedAt }))
      return { outputs: [out] }
    }
  }
}

/**
 * Scenario 5's routes: an HTML string, a streamed page and a 100 MB page. And two more string
 * pages of the same size for bench/string-route.js: rendered again per request (a template from
 * the same data) and different every time (a counter in it).
 */
function addRoutes (app) {
  const paragraph = '<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n'
  const html = `<!doctype html><html><head><title>bench</title></head><body>${paragraph.repeat(320)}</body></html>`
  const render = footer => {
    let body = ''
    for (let i = 0; i < 320; i++) body += paragraph
    return `<!doctype html><html><head><title>bench</title></head><body>${body}<p>${footer}</p></body></html>`
  }
  let count = 0
  app.get('/route', (_req, reply) => reply.type('text/html').send(html))
  app.get('/rendered', (_req, reply) => reply.type('text/html').send(render('same')))
  app.get('/counter', (_req, reply) => reply.type('text/html').send(render(count++)))
  app.get('/stream', async (_req, reply) => {
    const { Readable } = await import('node:stream')
    const body = new Readable({ read () {} })
    body.push('<!doctype html><html><head><title>streamed</title></head><body><p>first</p>')
    setTimeout(() => { body.push('<p>rest</p></body></html>'); body.push(null) }, 20)
    return reply.type('text/html').send(body)
  })
  app.get('/huge', async (_req, reply) => {
    const { Readable } = await import('node:stream')
    const chunk = Buffer.from('<p>' + 'x'.repeat(65530 - 7) + '</p>\n')
    let left = Math.ceil(100 * 1024 * 1024 / chunk.length)
    let peak = process.memoryUsage().rss
    const body = new Readable({
      read () {
        peak = Math.max(peak, process.memoryUsage().rss)
        this.push(left-- > 0 ? chunk : null)
      }
    })
    body.push('<!doctype html><html><head><title>huge</title>')
    body.on('end', () => send({ type: 'peak', rss: peak }))
    return reply.type('text/html').send(body)
  })
}

// Modules load before the baseline, so that RSS growth is what starting (watching) costs.
const preload = {
  ours: ['fastify', '@fastify/static', config.ours ?? '../dist/index.js'],
  parcel: ['@parcel/watcher', 'ws'],
  fswatch: ['ws'],
  rawws: ['ws'],
  bare: ['fastify', '@fastify/websocket', '@parcel/watcher'],
  livereload: ['livereload'],
  browsersync: ['browser-sync'],
  fiveserver: ['five-server'],
  liveserver: ['live-server']
}

try {
  for (const name of preload[tool] ?? []) await import(name)
  const started = now()
  rssBefore = process.memoryUsage().rss
  stalls.enable()
  const port = await starters[tool]()
  const readyAt = now()
  stalls.disable()
  send({ type: 'ready', port, started, readyAt, rssBefore, rssAfter: process.memoryUsage().rss, stallMs: stalls.max / 1e6 })
} catch (err) {
  send({ type: 'fatal', message: String(err?.stack ?? err) })
  process.exit(1)
}

process.on('message', async message => {
  if (message.type === 'trigger') {
    const at = now()
    trigger()
    send({ type: 'triggered', at })
  } else if (message.type === 'usage') {
    send({ type: 'usage', cpu: process.cpuUsage(), rss: process.memoryUsage().rss, resources: process.getActiveResourcesInfo() })
  } else if (message.type === 'monitor') {
    stalls.reset()
    stalls.enable()
    send({ type: 'monitoring' })
  } else if (message.type === 'stalls') {
    stalls.disable()
    send({ type: 'stalls', maxMs: stalls.max / 1e6, rss: process.memoryUsage().rss })
  } else if (message.type === 'stop') {
    const timer = setTimeout(() => process.exit(0), 2000)
    await stop().catch(() => {})
    clearTimeout(timer)
    process.exit(0)
  }
})
