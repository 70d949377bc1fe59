import { readFile } from 'node:fs/promises'
import type { FastifyPluginAsync } from 'fastify'
import type { LiveReloadStats } from '../../types/index.js'
import { builtFile } from '../built.js'
import type { ResolvedOptions } from '../options.js'
import { channelPolicy, guardRoutes } from './guard.js'
import type { Hub } from './hub.js'
import { ssePeer } from './peers.js'
import { serveScript } from './script-route.js'
import { trackUpgrades } from './upgrades.js'

export interface ChannelRoutesOptions {
  options: ResolvedOptions
  /** `options.path` as requests name it: under the prefix of the context the plugin is registered in. */
  mountedPath: string
  hub: Hub
  stats: () => LiveReloadStats
}

/**
 * The channel under `path`: the WebSocket, its Server-Sent Events fallback, the client script
 * and the stats, behind a guard that runs before any upgrade. Registered encapsulated, so the
 * guard stays on these routes.
 */
export const channelRoutes: FastifyPluginAsync<ChannelRoutesOptions> = async (fastify, { options, mountedPath, hub, stats }) => {
  const { path } = options
  guardRoutes(fastify, channelPolicy(options), hub)
  trackUpgrades(fastify, mountedPath, hub)

  fastify.get(path, { websocket: true }, socket => hub.add(socket))

  // Hijacked: no onSend hook (our injector, @fastify/compress) sees the stream, and nothing
  // buffers it or sets a Content-Length. Ended in preClose by hub.closeAll(), like the sockets.
  // No HEAD route: a HEAD would hold a bodiless response open as a client.
  fastify.get(`${path}/events`, { exposeHeadRoute: false }, async (request, reply) => {
    if (hub.isFull()) return await reply.code(503).send('too many live reload clients')
    reply.hijack()
    reply.raw.on('error', err => request.log.debug({ err }, 'event stream error'))
    hub.add(ssePeer(reply.raw))
  })

  // The client with what is on (synchronized browsing, patching): pages carry none of the rest.
  const client = `client${options.sync === null ? '' : '-sync'}${options.patch ? '-patch' : ''}.js`
  serveScript(fastify, `${path}/client.js`, async () => await readBuilt(client), { 'cross-origin-resource-policy': 'same-origin' })

  fastify.get(`${path}/status`, async (_request, reply) => {
    return await reply.header('cache-control', 'no-store').send(stats())
  })
}

/** A browser script of dist/. */
async function readBuilt (name: string): Promise<Buffer> {
  const url = builtFile(name)
  return await readFile(url).catch(cause => {
    throw new Error(`fastify-livereload: the browser client is missing at ${url.pathname}; build the package (npm run build)`, { cause })
  })
}
