// LiveReload protocol 7 for livereload-js and the LiveReload browser extensions: the
// WebSocket route `/livereload` on the app's own port and, with `livereload.port`, on a
// listener of its own. Messages come from the same hub as our own channel's.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import fastifyWebsocket from '@fastify/websocket'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify'
import type { WebSocket } from 'ws'
import { FST_LIVERELOAD_LISTEN_FAILED } from '../errors.js'
import { lazyCompilers } from '../lazy-compilers.js'
import type { ResolvedOptions } from '../options.js'
import { guardRoutes, liveReloadPolicy } from './guard.js'
import type { Hub } from './hub.js'
import { isLr7Hello, LR7_HELLO, LR7_PATH, LR7_SCRIPT_PATH, lr7Frames } from './lr7-protocol.js'
import { webSocketPeer, type Peer } from './peers.js'
import { serveScript } from './script-route.js'
import { trackUpgrades } from './upgrades.js'

/** LiveReload clients may send `info` with the page URL and their plugins: more room than our 1 KiB. */
const LR7_MAX_FRAME_BYTES = 16 * 1024

interface Lr7Options { options: Pick<ResolvedOptions, 'allowedHosts' | 'allowedOrigins'>, hub: Hub, script: Buffer | null }

/**
 * Serves protocol 7 at `/livereload` on the app, and on `livereload.port` when one is given.
 * Everything it opens is closed with the app; a port it cannot listen on fails the register.
 */
export async function serveLiveReload (fastify: FastifyInstance, options: ResolvedOptions, hub: Hub, log: FastifyBaseLogger): Promise<void> {
  const settings = options.livereload
  if (settings === null) return
  const script = await readLiveReloadScript()
  await fastify.register(lr7Routes, { options, hub, script })
  if (settings.port === null) return

  const server = Fastify({ loggerInstance: log, ...quietRequests(), forceCloseConnections: true, schemaController: { compilersFactory: lazyCompilers() } }) // its routes declare no schema
  await server.register(fastifyWebsocket)
  await server.register(lr7Routes, { options, hub, script })
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
  fastify.addHook('onClose', async () => { await server.close() })
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

/** The `/livereload` WebSocket route and `/livereload.js`, behind the LiveReload policy of the guard. */
const lr7Routes: FastifyPluginAsync<Lr7Options> = async (fastify, { options, hub, script }) => {
  guardRoutes(fastify, liveReloadPolicy(options), hub)
  trackUpgrades(fastify, LR7_PATH, hub)
  fastify.get(LR7_PATH, { websocket: true }, (socket, request) => {
    socket.on('error', err => request.log.debug({ err }, 'LiveReload socket error'))
    hub.add(lr7Peer(socket))
  })
  if (script !== null) {
    serveScript(fastify, LR7_SCRIPT_PATH, async () => script)
  } else {
    fastify.get(LR7_SCRIPT_PATH, async (_request, reply) => {
      return await reply.code(404).type('text/plain; charset=utf-8')
        .send('livereload.js is served when the livereload-js package is installed (npm install --save-dev livereload-js)')
    })
  }
}

/**
 * A protocol 7 client. It speaks first (`hello`), and is no client of the hub until it has (the
 * hub drops it if it stays silent). Until the server has answered, it must receive nothing
 * else, so frames are held back (dropped) until then: that includes our own `hello` and the
 * standing error, which the hub sends as it admits the peer, and which an `alert()` on every
 * page load would make a nuisance. A first frame that is not a protocol 7 `hello` (a binary
 * one, whatever its bytes) closes the socket (1002).
 */
function lr7Peer (socket: WebSocket): Peer {
  let isGreeted = false
  let greeted = (): void => {}
  const peer = webSocketPeer(socket, {
    maxFrameBytes: LR7_MAX_FRAME_BYTES,
    framing: lr7Frames,
    transport: 'livereload',
    onFrame (data) {
      if (isGreeted) return // `info` and the like: nothing to act on
      if (!isLr7Hello(data)) return socket.close(1002, 'expected a protocol 7 hello')
      socket.send(LR7_HELLO)
      greeted() // admitted while isOpen is still false: what the hub sends on admission is dropped
      isGreeted = true
    },
    onBinary () {
      if (!isGreeted) socket.close(1002, 'expected a protocol 7 hello') // a hello is text
    }
  })
  return {
    framing: peer.framing,
    transport: peer.transport,
    get buffered () { return peer.buffered },
    get isOpen () { return isGreeted && peer.isOpen },
    write: peer.write,
    beat: peer.beat,
    close: peer.close,
    terminate: peer.terminate,
    onClose: peer.onClose,
    onGreeted: listener => { greeted = listener }
  }
}

/**
 * The LiveReload server logs no request lines. Fastify 5.12 moved that switch into a
 * `LogController` and deprecated the top-level option; earlier 5.x know only the option.
 */
function quietRequests (): FastifyServerOptions {
  const { LogController } = Fastify as { LogController?: typeof Fastify.LogController }
  /* c8 ignore next -- the fastify this package is tested with has it */
  if (LogController === undefined) return { disableRequestLogging: true }
  return { logController: new LogController({ disableRequestLogging: true }) }
}
