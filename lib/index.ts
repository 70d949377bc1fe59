import fastifyStatic from '@fastify/static'
import fastifyWebsocket from '@fastify/websocket'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { BroadcastMessage, LiveReloadController, LiveReloadOptions, LiveReloadStats } from '../types/index.js'
import { FST_LIVERELOAD_CHANNEL_CLOSED, FST_LIVERELOAD_CONNECT_FAILED, FST_LIVERELOAD_INVALID_MESSAGE, FST_LIVERELOAD_INVALID_OPTION, FST_LIVERELOAD_LISTEN_FAILED, FST_LIVERELOAD_TIMEOUT, FST_LIVERELOAD_WATCH_FAILED, FST_LIVERELOAD_WATCH_LIMIT } from './errors.js'
import { createHub, type Hub } from './channel/hub.js'
import { createInjectHooks } from './inject/hooks.js'
import { serveLiveReload } from './channel/lr7-server.js'
import { resolveOptions, type ResolvedOptions } from './options.js'
import { createPipeline, type Pipeline } from './pipeline/pipeline.js'
import { channelRoutes, trackUpgrades } from './channel/routes.js'
import { staticDefaults } from './static-policy.js'
import { createWatchContext, displayPath, watchDirectory, watchSource, type Watcher } from './watch/watch.js'

async function liveReload (fastify: FastifyInstance, opts: LiveReloadOptions): Promise<void> {
  const options = resolveOptions(opts)                  // throws coded errors, before any I/O
  const log = fastify.log.child({ plugin: 'livereload' })
  if (!options.enabled) {
    log.info('live reload is off (enabled: false); only the static files are served')
    fastify.decorate('liveReload', inertController())
    await serveRoot(fastify, options)
    return
  }

  const hub = createHub(options, log)
  const upgrades = trackUpgrades(fastify.server, options.path)
  fastify.addHook('preClose', async () => {             // open sockets would block server.close()
    await hub.closeAll()
    upgrades.destroyAll()
  })
  const pipeline = createPipeline(options, hub, log)
  const watchers: Watcher[] = []
  fastify.addHook('onClose', async () => {
    upgrades.close()
    await Promise.all(watchers.map(watcher => watcher.close()))
    await pipeline.close()                              // aborts a running build, closes the builder
  })
  const watched: string[] = []
  const stats = (): LiveReloadStats => ({ instance: hub.instance, clients: hub.size, messages: hub.messages, watched, ...pipeline.stats() })
  fastify.decorate('liveReload', createController(hub, pipeline, stats))

  // Hooks first: the static files and channel routes registered below inherit them.
  if (options.inject !== null) {
    const inject = createInjectHooks({ ...options, inject: options.inject })
    fastify.addHook('onRequest', inject.onRequest)
    fastify.addHook('onSend', inject.onSend)
  }
  if (!fastify.hasDecorator('websocketServer')) await fastify.register(fastifyWebsocket)
  await fastify.register(channelRoutes, { options, hub, stats })
  await serveLiveReload(fastify, options, hub, log)      // LiveReload protocol 7, when asked for
  await serveRoot(fastify, options)

  const track = (path: string, watcher: Watcher | null): void => {
    if (watcher === null) return
    watchers.push(watcher)
    watched.push(displayPath(path))
  }
  const watching = createWatchContext(options, log)
  if (options.root !== null) {
    track(options.root, await watchDirectory(options.root, { onChanges: pipeline.pushOutput, onLost: () => pipeline.resync('output') }, watching))
  }
  for (const source of options.watch) {
    track(source, await watchSource(source, options.root, { onChanges: pipeline.pushSource, onLost: () => pipeline.resync('sources') }, watching))
  }
  if (options.builder !== null && options.buildOnStart) await pipeline.build({ full: true })
}

/** @fastify/static in an encapsulated child, so its routes and decorators stay out of the host's scope. */
async function serveRoot (fastify: FastifyInstance, options: ResolvedOptions): Promise<void> {
  const { root, prefix } = options
  if (root === null) return
  await fastify.register(async function liveReloadStatic (child) {
    await child.register(fastifyStatic, { ...staticDefaults(root), ...options.static, root, prefix, decorateReply: false })
  })
}

const MESSAGE_TYPES = new Set<string>(['building', 'reload', 'css', 'img', 'error', 'clear'])

function createController (hub: Hub, pipeline: Pipeline, stats: () => LiveReloadStats): LiveReloadController {
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

export { commandBuilder } from './builders/command.js'
export { isolatedBuilder } from './builders/isolated.js'
export { shardedBuilder } from './builders/sharded/sharded.js'
export const errors = {
  FST_LIVERELOAD_INVALID_OPTION,
  FST_LIVERELOAD_WATCH_FAILED,
  FST_LIVERELOAD_WATCH_LIMIT,
  FST_LIVERELOAD_INVALID_MESSAGE,
  FST_LIVERELOAD_LISTEN_FAILED,
  FST_LIVERELOAD_CONNECT_FAILED,
  FST_LIVERELOAD_TIMEOUT,
  FST_LIVERELOAD_CHANNEL_CLOSED
}
const plugin = fp(liveReload, { name: 'fastify-livereload', fastify: '5.x' })
export { plugin as liveReload }
export default plugin
