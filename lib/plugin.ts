// The plugin: the parts wired (the hub, the pipeline, the watchers, the channel, the injection,
// the static files), on the world it is given (index.ts gives it the real one).
import { mkdir } from 'node:fs/promises'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { BroadcastMessage, BuildReport, LiveReloadController, LiveReloadOptions, LiveReloadStats } from '../types/index.js'
import { FST_LIVERELOAD_ALREADY_REGISTERED, FST_LIVERELOAD_INVALID_MESSAGE } from './errors.js'
import { createHub, type Hub } from './channel/hub.js'
import { createInjectHooks, wholePages } from './inject/hooks.js'
import { createMetrics, type Metrics } from './metrics.js'
import { createNavigationPageHooks } from './inject/navigation-page.js'
import { BROADCAST_TYPES } from './message-types.js'
import { resolveOptions, type ResolvedOptions } from './options.js'
import { observerOf } from './pipeline/latency.js'
import { createPipeline, type Pipeline } from './pipeline/pipeline.js'
import { later, realWorld, type World } from './world.js'
import { channelRoutes } from './channel/routes.js'
import { channelWebsocket } from './channel/websocket.js'
import { createEditorAccess, type EditorAccess } from './editor/access.js'
import { editorRoutes } from './editor/routes.js'
import { LR7_PATH, LR7_SCRIPT_PATH } from './channel/lr7-protocol.js'
import { staticDefaults } from './static-policy.js'
import { displayPath, isUnder } from './paths.js'
import { createWatchContext, watchDirectory, watchSource, type Watcher } from './watch/watch.js'
import { warnIfWorker } from './cluster/worker-warning.js'

/**
 * The plugin, on `world`: the clocks, timers and files its pipeline (and a leader's, with
 * `cluster`) waits on and reads. `liveReload` below is it on the real world; a test can give it a
 * fake clock, and drive a real app's watcher batches to its browsers' messages.
 */
export function liveReloadOn (world: World) {
  return fp(async function liveReload (fastify: FastifyInstance, opts: LiveReloadOptions): Promise<void> {
    await register(fastify, opts, world)
  }, { name: 'fastify-livereload', fastify: '5.x' })
}

/**
 * The plugin on the real world: what the package exports (index.ts), and what the command and the
 * dev server register, without index.ts's builders (their modules, and Node's readline, are not
 * loaded at each start of the command).
 */
export const liveReload = liveReloadOn(realWorld)

async function register (fastify: FastifyInstance, opts: LiveReloadOptions, world: World): Promise<void> {
  const registering = world.now()
  if (fastify.hasDecorator('liveReload')) throw new FST_LIVERELOAD_ALREADY_REGISTERED()
  const options = resolveOptions(opts)                  // throws coded errors, before any I/O
  const log = fastify.log.child({ plugin: 'livereload' })
  if (!options.enabled) {
    const why = opts?.enabled === undefined ? 'NODE_ENV is "production"' : 'enabled: false'
    log.info(`live reload is off (${why}); only the static files are served`)
    fastify.decorate('liveReload', inertController())
    await serveRoot(fastify, options)
    return
  }

  // A builder writes root: made now, so that neither @fastify/static nor the watcher warns, on a
  // project's first start, of the directory the first build is about to write.
  if (options.builder !== null && options.root !== null) await mkdir(options.root, { recursive: true })
  // Registered in a context with a prefix, the plugin's routes are under it (Fastify adds it).
  const mount = fastify.prefix.replace(/\/+$/, '')
  const urls = mountedAt(options, mount)
  // Labelled with the channel's path as mounted: two sites in one registry keep their own series.
  const metrics = options.metrics === null ? null : await createMetrics(options.metrics, urls.path)
  if (metrics !== null) fastify.addHook('onClose', async () => { metrics.close() })
  const hub = createHub(options, log, {}, metrics, world)
  fastify.addHook('preClose', async () => { await hub.closeAll() }) // open sockets would block server.close()
  if (options.cluster !== null) return await registerCluster(fastify, options, { urls, mount, world }, hub, log, metrics)
  warnIfWorker(log)
  const pipeline = createPipeline(urls, hub, log, observerOf(metrics, world.now), world)
  // Watching starts first and runs while the routes are registered: the inotify probe (a worker
  // thread) and @parcel/watcher's crawl overlap that work instead of following it.
  const watching = watchAll(options, pipeline, log, world)
  watching.catch(() => {})                              // awaited below: not an unhandled rejection meanwhile
  const stopWatching = async (): Promise<void> => {
    const started = await watching.catch(() => [])      // a failed start fails the register instead
    await Promise.all(started.map(({ watcher }) => watcher.close()))
  }
  fastify.addHook('onClose', async () => {
    await stopWatching()
    await pipeline.close()                              // aborts a running build, closes the builder
  })
  const watched: string[] = []
  const stats = (): LiveReloadStats => ({ instance: hub.instance, clients: hub.size, messages: hub.messages, watched, ...pipeline.stats() })
  fastify.decorate('liveReload', createController(hub, pipeline, stats))

  try {
    await serve(fastify, options, { urls, mount }, hub, log, stats)
  } catch (err) {
    await stopWatching()                                // started alongside: they must not outlive a failed register
    throw err
  }
  watched.push(...(await watching).map(({ path }) => displayPath(path)))
  pipeline.startWatchingBuilder()
  if (options.builder !== null && options.buildOnStart) await firstBuild(pipeline.build({ full: true }), fastify.initialConfig.pluginTimeout ?? 0, { since: registering, world, log })
}

/** Of Fastify's pluginTimeout, what the first build may take of what is left: the rest is the app's, after us. */
const FIRST_BUILD_SHARE = 0.8

/**
 * Waits for the first build, but never past Fastify's `pluginTimeout` (10 s by default), which
 * would fail the app's start (AVV_ERR_PLUGIN_EXEC_TIMEOUT) for a site that takes long to build,
 * or a generator slow to start: past most of it the server starts on the output it has, and the
 * build's message reloads the pages opened meanwhile.
 */
async function firstBuild (build: Promise<BuildReport>, pluginTimeout: number, { since, world, log }: { since: number, world: World, log: FastifyBaseLogger }): Promise<void> {
  if (pluginTimeout === 0) {
    await build
    return
  }
  const left = since + pluginTimeout * FIRST_BUILD_SHARE - world.now()
  let cancel = (): void => {}
  const isDone = await Promise.race([build.then(() => true), new Promise<false>(resolve => { cancel = later(world, () => resolve(false), Math.max(0, left)) })])
  cancel()
  if (!isDone) log.warn({ ms: Math.round(world.now() - since) }, 'the first build is still running; the server starts meanwhile (before the app\'s pluginTimeout), and pages opened now reload when it ends')
}

/**
 * With `cluster`: the leader watches and builds (a term per lease), every process serves. `node`
 * reports leader changes (onLeaderChange) and Redis errors (onBusError), which metrics count.
 */
async function registerCluster (fastify: FastifyInstance, options: ResolvedOptions, { urls, mount, world }: { urls: ResolvedOptions, mount: string, world: World }, hub: Hub, log: FastifyBaseLogger, metrics: Metrics | null): Promise<void> {
  const { joinCluster } = await import('./cluster/node.js')
  const { startTerm } = await import('./cluster/term.js')
  const node = await joinCluster(options.cluster!, {
    hub,
    log,
    hasBuilder: options.builder !== null,
    buildOnStart: options.buildOnStart,
    world,
    startTerm: async broadcast => await startTerm(urls, broadcast, async pipeline => await watchAll(options, pipeline, log, world), log, metrics, world)
  })
  if (metrics !== null) {
    node.onLeaderChange(leader => { if (leader !== null) metrics.leaderChanged() }) // a leader seen, not one unknown
    node.onBusError(() => metrics.busError())
  }
  fastify.addHook('onClose', async () => {
    await node.close()                                  // aborts the leader's build, hands the lease over
    await options.builder?.close?.()
  })
  const stats = (): LiveReloadStats => ({ instance: hub.instance, clients: hub.size, messages: hub.messages, watched: [...node.watched()], ...node.buildStats(), cluster: node.stats() })
  fastify.decorate('liveReload', createController({ broadcast: node.broadcast, get size () { return hub.size } }, node, stats))
  try {
    await serve(fastify, options, { urls, mount }, hub, log, stats)
  } catch (err) {
    await node.close()                                  // it must not lead, nor hold Redis, for a failed register
    throw err
  }
}

/**
 * `options` with `path` and `prefix` as the browser sees them, under `mount`: the prefix of the
 * context the plugin is registered in (`app.register(plugin, { prefix: '/docs' })`), which
 * Fastify adds to the plugin's routes, declared with `options`.
 */
function mountedAt (options: ResolvedOptions, mount: string): ResolvedOptions {
  return mount === '' ? options : { ...options, path: mount + options.path, prefix: mount + options.prefix }
}

/**
 * Everything the browser talks to: the injection hooks, the channel, LiveReload 7, the static
 * files. `urls` is `options` as requests name it, under `mount` (see mountedAt).
 */
async function serve (fastify: FastifyInstance, options: ResolvedOptions, { urls, mount }: { urls: ResolvedOptions, mount: string }, hub: Hub, log: FastifyBaseLogger, stats: () => LiveReloadStats): Promise<void> {
  // The channel's routes, and LiveReload 7's when they are on the app's port, as requests name them.
  const isChannel = isUnder([urls.path, ...(options.livereload === null ? [] : [mount + LR7_PATH, mount + LR7_SCRIPT_PATH])])
  // Places in the errors shown (overlay, route error pages) open the editor: the files they name are noted.
  const editor: EditorAccess | null = options.openInEditor ? createEditorAccess(options) : null
  if (editor !== null) hub.onBroadcast(editor.noteMessage)
  // Hooks first: the static files and channel routes registered below inherit them.
  if (options.inject !== null) {
    const inject = createInjectHooks({ ...urls, inject: options.inject })
    fastify.addHook('onRequest', inject.onRequest)
    // Before the injection: the page it puts in place of a tab's JSON 404 or 500 gets the tag.
    const navigationPage = createNavigationPageHooks({ isChannel, inject: options.inject, nonce: options.nonce, editor: editor === null ? null : { access: editor, script: `${urls.path}/editor.js` } })
    fastify.addHook('onError', navigationPage.onError)
    fastify.addHook('onSend', navigationPage.onSend)
    fastify.addHook('onSend', inject.onSend)
  }
  const controller = fastify.liveReload
  // Encapsulated: @fastify/websocket, where the plugin brings its own, stays out of the app.
  await fastify.register(async function liveReloadChannel (channel) {
    await channelWebsocket(channel, fastify, controller, isChannel)
    await channel.register(channelRoutes, { options, mountedPath: urls.path, hub, stats })
    if (editor !== null) await channel.register(editorRoutes, { options, access: editor })
    if (options.livereload !== null) {                // LiveReload protocol 7, when asked for
      const { serveLiveReload } = await import('./channel/lr7-server.js')
      await serveLiveReload(channel, options, hub, log)
    }
  })
  await serveRoot(fastify, options)
}

/**
 * The output directory and every source, subscribed at once (they share one inotify probe, and
 * @parcel/watcher crawls them in parallel). Never rejects: a directory that cannot be watched
 * has been logged and is left out.
 */
async function watchAll (options: ResolvedOptions, pipeline: Pipeline, log: FastifyBaseLogger, world: World): Promise<Array<{ path: string, watcher: Watcher }>> {
  const ctx = createWatchContext(options, log, { timers: world })
  const starts: Array<Promise<{ path: string, watcher: Watcher | null }>> = []
  if (options.root !== null) {
    const root = options.root
    starts.push(watchDirectory(root, { onChanges: pipeline.pushOutput, onLost: () => pipeline.resync('output'), onGone: pipeline.outputGone, activity: pipeline.outputActivity() }, ctx).then(watcher => ({ path: root, watcher })))
  }
  for (const source of options.watch) {
    starts.push(watchSource(source, options.root, { onChanges: pipeline.pushSource, onLost: () => pipeline.resync('sources'), activity: pipeline.sourceActivity() }, ctx).then(watcher => ({ path: source, watcher })))
  }
  const started = await Promise.all(starts)
  return started.filter((start): start is { path: string, watcher: Watcher } => start.watcher !== null)
}

/** @fastify/static in an encapsulated child, so its routes and decorators stay out of the host's scope. */
async function serveRoot (fastify: FastifyInstance, options: ResolvedOptions): Promise<void> {
  const { root, prefix } = options
  if (root === null) return
  const { default: fastifyStatic } = await import('@fastify/static') // ~35 ms of a start: only with a root to serve
  await fastify.register(async function liveReloadStatic (child) {
    if (options.inject !== null) child.addHook('onRequest', wholePages)
    await child.register(fastifyStatic, { ...staticDefaults(root), ...options.static, root, prefix, decorateReply: false })
  })
}

const MESSAGE_TYPES = new Set<string>(BROADCAST_TYPES)

function createController (hub: Pick<Hub, 'broadcast' | 'size'>, pipeline: Pick<Pipeline, 'build'>, stats: () => LiveReloadStats): LiveReloadController {
  return {
    build: options => pipeline.build(options),
    reload (paths = []) {
      if (!Array.isArray(paths) || !paths.every(p => typeof p === 'string')) {
        throw new FST_LIVERELOAD_INVALID_MESSAGE('reload(paths) takes an array of URL paths')
      }
      hub.broadcast({ type: 'reload', paths })
    },
    send (message: BroadcastMessage) {
      if (message === null || typeof message !== 'object' || !MESSAGE_TYPES.has(message.type)) {
        throw new FST_LIVERELOAD_INVALID_MESSAGE(`send(message) takes a message whose type is one of ${[...MESSAGE_TYPES].join(', ')}`)
      }
      hub.broadcast(message)
    },
    get clients () { return hub.size },
    stats
  }
}

/** What `fastify.liveReload` is when the plugin is off: the same shape, doing nothing. */
function inertController (): LiveReloadController {
  return {
    reload () {},
    send () {},
    build: async ({ full = false } = {}) => ({ ok: true, full, changes: [], outputs: [], errors: [], duration: 0, sent: 'none' }),
    clients: 0,
    stats: () => ({
      instance: '', clients: 0, messages: 0, watched: [], builds: 0, failures: 0, building: false, paused: false, lastDuration: null, lastErrors: null
    })
  }
}
