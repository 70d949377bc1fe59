// Another server behind the plugin: the command's --proxy mode (cli/) and the dev server's
// generations (dev/) both forward everything but the channel through @fastify/http-proxy, and
// the plugin injects the HTML that comes back like any other response.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { LR7_PATH } from './channel/lr7-protocol.js'
import { DEFAULT_PATH } from './options.js'
import { isUnder } from './paths.js'
import { isLooped, requestHeaders, responseHeaders } from './proxy-headers.js'

/** The channel's paths at the default `path`, and LiveReload 7's when it is on: never forwarded. */
export function channelPaths (hasLiveReload7: boolean): string[] {
  return [DEFAULT_PATH, ...(hasLiveReload7 ? [LR7_PATH] : [])]
}

/**
 * Forwards every request and WebSocket upgrade of `app` but the channel's (`channel`) to
 * `upstream()`, looked up once per request (the dev server's current generation changes; a
 * request keeps the one it was given). While it is null, a request waits for `waitFor` (when
 * given), then `unavailable` answers it if it is null still. Mounted
 * at the root, the proxy hears every upgrade on the server, the channel's too, and would answer
 * them a second time: its listener is given only the others.
 */
export async function proxyTo (app: FastifyInstance, upstream: () => URL | null, channel: readonly string[], { unavailable, waitFor, isLocalFile, keepsHost = false, hold, isInsecure = false }: {
  unavailable?: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>
  /** Settles once an upstream that is missing may be back (the dev server's app starting again). */
  waitFor?: () => Promise<void>
  /** The upstream sees the browser's Host, as if reached directly (the dev server's app); else its own, as a server behind a proxy expects. */
  keepsHost?: boolean
  /** Where the plugin serves a directory too (`root`): whether a request's URL is a file there, which it serves instead. */
  isLocalFile?: (url: string) => boolean
  /** Told of each request forwarded to `upstream`; what it returns is called once the response is over. */
  hold?: (upstream: URL) => () => void
  /** An https:// upstream's certificate is not verified (reply-from's default is not to verify; ours is to). */
  isInsecure?: boolean
} = {}): Promise<void> {
  const isChannel = isUnder(channel)
  /** The upstream each request was given (an upgrade, which runs no hooks, takes the one of the moment). */
  const given = new WeakMap<object, URL>()
  const targetOf = (request: object | undefined): URL | null => (request === undefined ? undefined : given.get(request)) ?? upstream()
  const before = new Set(app.server.listeners('upgrade'))
  const httpProxy = (await import('@fastify/http-proxy')).default
  const via = `fastify-livereload-${randomUUID().slice(0, 8)}`
  await app.register(async function forwarded (proxied) {
    // A proxy whose upstream is itself (its own port) would forward each request to itself for ever.
    proxied.addHook('onRequest', async (request, reply) => {
      if (isLooped(request.headers, via)) return await reply.code(508).type('text/plain').send('Loop detected: the proxy\'s upstream is this server itself')
    })
    // Only where the upstream can change or be missing (the dev server): a fixed one needs no hook.
    if (unavailable !== undefined || hold !== undefined) {
      proxied.addHook('onRequest', async (request, reply) => {
        let target = upstream()
        if (target === null && waitFor !== undefined) {
          await waitFor()
          target = upstream()
        }
        if (target === null) return await unavailable?.(request, reply)
        given.set(request, target)
        if (hold !== undefined) reply.raw.once('close', hold(target))
      })
    }
    // Both would claim `/*`: a route constraint sends a URL that is a file of the directory to
    // @fastify/static (unconstrained), everything else, WebSocket upgrades included, here.
    if (isLocalFile !== undefined) app.addConstraintStrategy(localFileStrategy(isLocalFile))
    // Bodies go upstream as streams, of any size and type the upstream takes: Fastify's own
    // text/plain parser would read one whole, up to its 1 MiB bodyLimit (413). http-proxy's
    // parser for every other type passes the stream on.
    proxied.removeContentTypeParser('text/plain')
    await proxied.register(httpProxy, {
      upstream: '',
      websocket: true,
      // Ours (responseHeaders) folds a repeated Location first; http-proxy's own rewrite, a no-op at
      // prefix '', would call replace() on such an array and throw inside reply-from's callback.
      internalRewriteLocationHeader: false,
      wsClientOptions: { headers: { via: `1.1 ${via}` }, rejectUnauthorized: !isInsecure },
      // reply-from sets tls.rejectUnauthorized to false unless it is given true; undici's Client
      // takes `tls` (spread into its connect options) though its types do not declare it.
      undici: { tls: { rejectUnauthorized: !isInsecure } } as never,
      // A side that stops reading would have the other's messages buffered for it without end:
      // past MAX_UNREAD_BYTES the pair is closed, as the channel drops a client that stops reading.
      wsHooks: {
        onOutgoingMessage: (_context, browser) => { if (browser.bufferedAmount > MAX_UNREAD_BYTES) browser.terminate() },
        onIncomingMessage: (_context, _browser, app) => { if (app.bufferedAmount > MAX_UNREAD_BYTES) app.terminate() }
      },
      ...(isLocalFile === undefined ? {} : { constraints: { [LOCAL_FILE]: 'upstream' } }),
      replyOptions: {
        getUpstream: request => targetOf(request)?.origin ?? 'http://127.0.0.1:1',
        rewriteRequestHeaders: (request, headers) => requestHeaders(request, headers, keepsHost, via),
        rewriteHeaders: (headers, request) => responseHeaders(headers, targetOf(request))
      }
    })
  })
  for (const listener of app.server.listeners('upgrade')) {
    if (before.has(listener)) continue
    app.server.removeListener('upgrade', listener as never)
    app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (isChannel(request.url ?? '')) return
      if (isLooped(request.headers, via)) socket.end('HTTP/1.1 508 Loop Detected\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      else (listener as (...args: unknown[]) => void)(request, socket, head)
    })
  }
}

/** What one side of a proxied WebSocket may leave unread (bytes): an app's frames can be large. */
const MAX_UNREAD_BYTES = 16 * 1024 * 1024

const LOCAL_FILE = 'livereloadTarget'

/** A request is `upstream` unless its URL is a local file: unconstrained routes (the files) answer those. */
function localFileStrategy (isLocalFile: (url: string) => boolean): Parameters<FastifyInstance['addConstraintStrategy']>[0] {
  return {
    name: LOCAL_FILE,
    storage () {
      const handlers = new Map<string, unknown>()
      return { get: (value: string) => handlers.get(value) ?? null, set: (value: string, handler: unknown) => { handlers.set(value, handler) } }
    },
    deriveConstraint: (request: { url?: string }) => isLocalFile(request.url ?? '/') ? 'local' : 'upstream',
    mustMatchWhenDerived: false
  } as never
}
