// LiveReload protocol 7 for livereload-js and the LiveReload browser extensions: the
// WebSocket route `/livereload` on the app's own port and, with `livereload.port`, on a
// listener of its own. Messages come from the same hub as our own channel's.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import fastifyWebsocket from '@fastify/websocket'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { FST_LIVERELOAD_LISTEN_FAILED } from '../errors.js'
import type { Hub } from './hub.js'
import { isLr7Hello, LR7_HELLO, lr7Frames } from './lr7-protocol.js'
import type { ResolvedOptions } from '../options.js'
import { webSocketPeer, type Peer } from './peers.js'
import { etagOf, guardRoutes, hostOf, refuse, sendScript, trackUpgrades, type Refusal } from './routes.js'

export const LR7_PATH = '/livereload'
/** LiveReload clients may send `info` with the page URL and their plugins: more room than our 1 KiB. */
const LR7_MAX_FRAME_BYTES = 16 * 1024

type GuardOptions = Pick<ResolvedOptions, 'allowedHosts' | 'allowedOrigins' | 'path'>
interface Lr7Options { options: GuardOptions, hub: Hub, script: Buffer | null }

/**
 * Serves protocol 7 at `/livereload` on the app, and on `livereload.port` when one is given.
 * Everything it opens is closed with the app; a port it cannot listen on fails the register.
 */
export async function serveLiveReload (fastify: FastifyInstance, options: ResolvedOptions, hub: Hub, log: FastifyBaseLogger): Promise<void> {
  const settings = options.livereload
  if (settings === null) return
  const upgrades = trackUpgrades(fastify.server, LR7_PATH)
  fastify.addHook('preClose', async () => { upgrades.destroyAll() }) // after hub.closeAll(), registered first
  fastify.addHook('onClose', async () => { upgrades.close() })
  const script = await readLiveReloadScript()
  await fastify.register(lr7Routes, { options, hub, script })
  if (settings.port === null) return

  const server = Fastify({ loggerInstance: log, disableRequestLogging: true, forceCloseConnections: true })
  await server.register(fastifyWebsocket)
  await server.register(lr7Routes, { options, hub, script })
  const extraUpgrades = trackUpgrades(server.server, LR7_PATH)
  try {
    // Fastify logs the address it listens on (per address, at info): say what it is for.
    await server.listen({ port: settings.port, host: settings.host, listenTextResolver: address => `LiveReload protocol 7 on ${address.replace(/^http/, 'ws')}${LR7_PATH}` })
  } catch (err) {
    await server.close()
    const reason = (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
      ? 'the port is in use (another LiveReload server?); choose another livereload.port or stop that server'
      : String((err as Error).message)
    throw new FST_LIVERELOAD_LISTEN_FAILED(`${settings.host}:${settings.port}`, reason, { cause: err })
  }
  fastify.addHook('preClose', async () => { extraUpgrades.destroyAll() })
  fastify.addHook('onClose', async () => {
    extraUpgrades.close()
    await server.close()
  })
}

/**
 * livereload-js's own script, for pages that load it from the server (`<script
 * src="http://localhost:35729/livereload.js">`), when the optional peer dependency
 * `livereload-js` is installed; null otherwise.
 */
async function readLiveReloadScript (): Promise<Buffer | null> {
  try {
    return await readFile(createRequire(import.meta.url).resolve('livereload-js/dist/livereload.min.js'))
  } catch {
    return null
  }
}

/** The `/livereload` WebSocket route and `/livereload.js`, behind their own guard. */
const lr7Routes: FastifyPluginAsync<Lr7Options> = async (fastify, { options, hub, script }) => {
  guardRoutes(fastify, request => refuseLiveReload(request, options), hub)
  fastify.get(LR7_PATH, { websocket: true }, (socket, request) => {
    socket.on('error', err => request.log.debug({ err }, 'LiveReload socket error'))
    hub.add(lr7Peer(socket))
  })
  const etag = script === null ? '' : etagOf(script)
  fastify.get('/livereload.js', async (request, reply) => {
    if (script === null) {
      return await reply.code(404).type('text/plain; charset=utf-8')
        .send('livereload.js is served when the livereload-js package is installed (npm install --save-dev livereload-js)')
    }
    return await sendScript(request, reply, script, etag)
  })
}

/**
 * A protocol 7 client. It speaks first (`hello`); until the server has answered, it must
 * receive nothing else, so frames are held back (dropped) until then: that includes our own
 * `hello` and the standing error, which an `alert()` on every page load would make a nuisance.
 * A first frame that is not a protocol 7 `hello` closes the socket (1002).
 */
export function lr7Peer (socket: WebSocket): Peer {
  let isGreeted = false
  const peer = webSocketPeer(socket, {
    maxFrameBytes: LR7_MAX_FRAME_BYTES,
    framing: lr7Frames,
    onFrame (data) {
      if (isGreeted) return // `info` and the like: nothing to act on
      if (!isLr7Hello(data)) return socket.close(1002, 'expected a protocol 7 hello')
      isGreeted = true
      socket.send(LR7_HELLO)
    }
  })
  return {
    framing: peer.framing,
    get buffered () { return peer.buffered },
    get isOpen () { return isGreeted && peer.isOpen },
    write: peer.write,
    beat: peer.beat,
    close: peer.close,
    terminate: peer.terminate,
    onClose: peer.onClose
  }
}

/**
 * The channel's Host guard, with an Origin rule for LiveReload clients: the extensions connect
 * from an extension origin, or from the page, whose origin is the app's, on another port than
 * the listener's. So besides `allowedOrigins`, any origin on the same host name as the
 * request's Host, any port, and extension origins pass. Cross-site loads of livereload.js are
 * not refused: it is the published livereload-js, and `localhost:35729` is cross-site to a
 * page on `127.0.0.1`.
 */
export function refuseLiveReload (request: Pick<FastifyRequest, 'headers' | 'url'>, options: GuardOptions): Refusal | null {
  const { origin, 'sec-fetch-site': _site, ...headers } = request.headers
  const refusal = refuse({ headers, url: request.url }, options)
  if (refusal !== null || origin === undefined || isAllowedOrigin(origin, hostOf(headers) as string, options.allowedOrigins)) return refusal
  return { status: 403, reason: 'cross-origin LiveReload clients are not allowed (see the allowedOrigins option)' }
}

const EXTENSION_SCHEMES = new Set(['chrome-extension:', 'moz-extension:', 'safari-web-extension:'])

function isAllowedOrigin (origin: string, host: string, allowed: GuardOptions['allowedOrigins']): boolean {
  if (allowed === true) return true
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false
  }
  if (EXTENSION_SCHEMES.has(url.protocol)) return true
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false
  return url.hostname === new URL(`http://${host}`).hostname || allowed.has(url.origin)
}
