// Another server behind the plugin: the command's --proxy mode (cli/) and the dev server's
// generations (dev/) both forward everything but the channel through @fastify/http-proxy, and
// the plugin injects the HTML that comes back like any other response.
import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RawServerBase, RouteGenericInterface } from 'fastify'
import { LR7_PATH } from './channel/lr7-protocol.js'
import { DEFAULT_PATH } from './channel/options.js'
import { ServerResponse, STATUS_CODES } from './node-http.js'
import { isUnder } from './paths.js'
import { isLooped, requestHeaders, responseHeaders } from './proxy-headers.js'
import { createWebSocketForwarder, type Upgrade, type WebSocketForwarder } from './proxy-websocket.js'
import { upstreamReturn, type UpstreamReturn } from './upstream-return.js'

/** The channel's paths at the default `path`, and LiveReload 7's when it is on: never forwarded. */
export function channelPaths (hasLiveReload7: boolean): string[] {
  return [DEFAULT_PATH, ...(hasLiveReload7 ? [LR7_PATH] : [])]
}

/** How proxyTo forwards: see each option. */
export interface ProxyOptions {
  unavailable?: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>
  /**
   * Settles once an upstream that is missing may be back (the dev server's app starting again);
   * `response` is the waiting request's, which emits 'close' once it is over, answered or not.
   */
  waitFor?: (response: { once: (event: 'close', listener: () => void) => unknown }) => Promise<void>
  /** The upstream sees the browser's Host, as if reached directly (the dev server's app); else its own, as a server behind a proxy expects. */
  keepsHost?: boolean
  /** Where the plugin serves a directory too (`root`): whether a request's URL is a file there, which it serves instead. */
  isLocalFile?: (url: string) => boolean
  /** Told of each request forwarded to `upstream`; what it returns is called once the response is over. */
  hold?: (upstream: URL) => () => void
  /** An https:// upstream's certificate is not verified (reply-from's default is not to verify; ours is to). */
  isInsecure?: boolean
  /**
   * How long the upstream may keep a request waiting for its response's headers, or a response
   * for its next bytes (ms; 0: for ever); past it, a 504, or a response begun is cut short.
   * Undefined: undici's own (300 s).
   */
  timeout?: number
  /**
   * The upstream answers again after a request it could not be reached for (refused, reset, no
   * such host): it is asked, paced, from that request on (upstream-return.ts). Unset: not asked.
   */
  onUpstreamBack?: (target: URL) => void
  /** An upstream of ours (a dev version): its reply's headers, what it tells us taken off (dev/route-errors.ts). */
  ownHeaders?: <Headers extends IncomingHttpHeaders>(request: object, headers: Headers) => Headers
}

/**
 * Forwards every request and WebSocket upgrade of `app` but the channel's (`channel`) to
 * `upstream()`, looked up once per request (the dev server's current generation changes; a
 * request keeps the one it was given). While it is null, a request waits for `waitFor` (when
 * given), then `unavailable` answers it if it is null still. Upgrades but the channel's are
 * routed through Fastify as requests are (its hooks run: the loop check, `unavailable`, `hold`),
 * then forwarded by proxy-websocket.ts, the upstream's handshake first.
 */
export async function proxyTo (app: FastifyInstance, upstream: () => URL | null, channel: readonly string[], { unavailable, waitFor, isLocalFile, keepsHost = false, hold, isInsecure = false, timeout, onUpstreamBack, ownHeaders }: ProxyOptions = {}): Promise<void> {
  const isChannel = isUnder(channel)
  /** The upstream each request was given by the hook below, where the upstream can change; else the one of the moment. */
  const given = new WeakMap<object, URL>()
  const targetOf = (request: object | undefined): URL | null => (request === undefined ? undefined : given.get(request)) ?? upstream()
  const httpProxy = (await import('@fastify/http-proxy')).default
  const via = `fastify-livereload-${randomUUID().slice(0, 8)}`
  const back = onUpstreamBack === undefined ? null : upstreamReturn(upstream, isInsecure, onUpstreamBack)
  if (back !== null) app.addHook('onClose', async () => { back.close() })
  const failures: Failures = { log: app.log, origin: request => targetOf(request)?.origin ?? 'the upstream', idleMs: timeout ?? UNDICI_IDLE_MS, back }
  const websockets = createWebSocketForwarder({ via, keepsHost, isInsecure, timeout, log: app.log })
  app.addHook('preClose', async () => { await websockets.close() }) // upgraded sockets would hold server.close() open
  /** The upgrade requests the server's 'upgrade' event gave, with their sockets. */
  const upgrades = new WeakMap<IncomingMessage, Upgrade>()
  await app.register(async function forwarded (proxied) {
    addForwardingHooks(proxied, { via, upstream, given, targetOf, unavailable, waitFor, hold, upgrades, websockets })
    // Both would claim `/*`: a route constraint sends a URL that is a file of the directory to
    // @fastify/static (unconstrained), everything else, WebSocket upgrades included, here.
    if (isLocalFile !== undefined) app.addConstraintStrategy(localFileStrategy(isLocalFile))
    // Bodies go upstream as streams, of any size and type the upstream takes: Fastify's own
    // text/plain parser would read one whole, up to its 1 MiB bodyLimit (413). http-proxy's
    // parser for every other type passes the stream on.
    proxied.removeContentTypeParser('text/plain')
    await proxied.register(httpProxy, {
      // reply-from logs each failure as "response errored" with its bare cause, through the
      // request's logger: failed() says which request, which upstream and what the browser got.
      logLevel: 'error',
      upstream: '',
      // Ours (responseHeaders) folds a repeated Location first; http-proxy's own rewrite, a no-op at
      // prefix '', would call replace() on such an array and throw inside reply-from's callback.
      internalRewriteLocationHeader: false,
      // reply-from asks again, up to 10 times, for a GET the upstream answered 503 (and for one
      // whose connection failed, where retriesCount is set): each time the app's route runs again.
      // A 503 is the upstream's answer to pass on; a dev version not up yet is waited for (waitFor).
      retryMethods: [],
      // reply-from sets tls.rejectUnauthorized to false unless it is given true; undici's Client
      // takes `tls` (spread into its connect options) though its types do not declare it.
      // Both timeouts are idle times, as nginx's proxy_read_timeout: a body that keeps coming is
      // never cut, and undici does not count the time a browser that stops reading holds it back.
      undici: { tls: { rejectUnauthorized: !isInsecure }, ...(timeout === undefined ? {} : { headersTimeout: timeout, bodyTimeout: timeout }) } as never,
      ...(isLocalFile === undefined ? {} : { constraints: { [LOCAL_FILE]: 'upstream' } }),
      replyOptions: {
        getUpstream: request => targetOf(request)?.origin ?? 'http://127.0.0.1:1',
        rewriteRequestHeaders: (request, headers) => requestHeaders(request, headers, keepsHost, via),
        rewriteHeaders: (headers, request) => responseHeaders(ownHeaders === undefined || request === undefined ? headers : ownHeaders(request, headers), targetOf(request)),
        onError: (reply, { error }) => failed(failures, reply, error),
        onResponse: (request, reply, res) => {
          res.stream.once('error', err => stalled(failures, request, reply, err))
          reply.send(res.stream)
        }
      }
    })
  })
  const onUpgrade = upgradeListener(app, isChannel, via, upgrades)
  app.server.on('upgrade', onUpgrade)
  app.addHook('onClose', async () => { app.server.removeListener('upgrade', onUpgrade) })
}

/** What failed() and stalled() tell of an upstream that let a request down, and whom. */
interface Failures {
  log: FastifyBaseLogger
  /** The upstream a request went to, as its origin. */
  origin: (request: AnyRequest) => string
  /** How long the upstream may stay silent (ms): the `timeout`, else undici's. */
  idleMs: number
  back: UpstreamReturn | null
}

/**
 * A request the upstream did not answer (it refused the connection, broke it, sent no headers
 * in time): one line, and the status reply-from chose for it (a timeout's is 504) with what
 * happened as text, which the plugin turns into a page with the client for a tab: it reloads on
 * the next change. No stack: the frames would be reply-from's and undici's.
 */
function failed ({ log, origin, idleMs, back }: Failures, reply: AnyReply, error: Error): void {
  const { request } = reply
  const cause = (error as { cause?: Error }).cause ?? error
  const code = (cause as { code?: string }).code ?? ''
  const isUnreachable = UNREACHABLE.has(code)
  const status = isUnreachable ? 502 : (error as { statusCode?: number }).statusCode ?? 502
  const what = code === 'UND_ERR_HEADERS_TIMEOUT' ? `sent no response within ${idleMs} ms` : `failed: ${cause.message}`
  const message = `${origin(request)} ${what}`
  log.warn(`${request.method} ${request.url} → ${status}: ${message}`)
  if (NOTHING_THERE.has(code)) back?.lost()
  reply.code(status).header('cache-control', 'no-store').send({ statusCode: status, error: STATUS_CODES[status], message })
}

/**
 * A response whose body stopped coming: once begun, it is cut short (Fastify destroys the
 * connection or the HTTP/2 stream, so the browser knows the page is incomplete rather than
 * taking what came for all of it); not begun yet (the plugin reads a small page whole to inject
 * it), it becomes a 504 like a response that never came.
 */
function stalled ({ log, origin, idleMs }: Failures, request: AnyRequest, reply: AnyReply, err: Error): void {
  if ((err as { code?: string }).code !== 'UND_ERR_BODY_TIMEOUT') return
  const message = `${origin(request)} sent nothing for ${idleMs} ms in the middle of its response`
  if (reply.raw.headersSent) {
    log.warn(`${request.method} ${request.url}: ${message}: response cut short`)
  } else {
    log.warn(`${request.method} ${request.url} → 504: ${message}`)
    // The error reply replaces the upstream's body: what described that body goes with it.
    for (const name of ['content-encoding', 'content-length', 'content-range', 'content-disposition', 'etag', 'last-modified']) reply.removeHeader(name)
    reply.header('cache-control', 'no-store')
    Object.assign(err, { statusCode: 504, message, stack: message })
  }
}

/** The hooks of the forwarded routes (`proxied`): the loop check, the upstream each request is given, the upgrades. */
function addForwardingHooks (proxied: FastifyInstance, { via, upstream, given, targetOf, unavailable, waitFor, hold, upgrades, websockets }: Pick<ProxyOptions, 'unavailable' | 'waitFor' | 'hold'> & {
  via: string
  upstream: () => URL | null
  given: WeakMap<object, URL>
  targetOf: (request: object | undefined) => URL | null
  upgrades: WeakMap<IncomingMessage, Upgrade>
  websockets: WebSocketForwarder
}): void {
  // A proxy whose upstream is itself (its own port) would forward each request to itself for ever.
  proxied.addHook('onRequest', async (request, reply) => {
    if (isLooped(request.headers, via)) return await reply.code(508).type('text/plain').send('Loop detected: the proxy\'s upstream is this server itself')
  })
  // Only where the upstream can change or be missing (the dev server): a fixed one needs no hook.
  if (unavailable !== undefined || hold !== undefined) {
    proxied.addHook('onRequest', async (request, reply) => {
      let target = upstream()
      if (target === null && waitFor !== undefined) {
        await waitFor(reply.raw)
        target = upstream()
      }
      if (target === null) return await unavailable?.(request, reply)
      given.set(request, target)
      if (hold !== undefined) reply.raw.once('close', hold(target))
    })
  }
  // Last of the hooks: an upgrade is answered here, and http-proxy's handler never runs for it. A
  // callback hook: every proxied request passes it, and all but upgrades leave at once.
  proxied.addHook('preHandler', (request, reply, done) => {
    const upgrade = upgrades.get(request.raw as IncomingMessage)
    const target = upgrade === undefined ? null : targetOf(request)
    if (upgrade === undefined || target === null) return done()
    websockets.forward(request, reply, upgrade, target).then(() => done(), done)
  })
}

/** The server's 'upgrade' listener: every upgrade but the channel's is routed through `app` (see proxyTo). */
function upgradeListener (app: FastifyInstance, isChannel: (url: string) => boolean, via: string, upgrades: WeakMap<IncomingMessage, Upgrade>): (request: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (request, socket, head) => {
    if (isChannel(request.url ?? '')) return
    socket.on('error', () => socket.destroy()) // Node takes its own listener off before 'upgrade': a reset must not throw
    if (isLooped(request.headers, via)) {
      socket.end('HTTP/1.1 508 Loop Detected\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    upgrades.set(request, { socket, head })
    // A response on the raw socket, for whatever answers instead of a 101 (a refusal, a hook's 503, a file).
    const response = new ServerResponse(request)
    response.shouldKeepAlive = false
    response.assignSocket(socket as Socket)
    response.once('finish', () => socket.end())
    app.routing(request, response)
  }
}

/**
 * Where nothing answered the connection at all (nothing listens there, no such host): the
 * upstream is down, and is asked until it is back. A 502, as is any other failure to reach it.
 */
const NOTHING_THERE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'])
/**
 * What undici says when a live upstream broke a connection (it closed a kept-alive one as it was
 * reused, a handler destroyed its socket, it closed on an upload): a 502, and nothing more, for
 * the upstream is there.
 */
const UNREACHABLE = new Set([...NOTHING_THERE, 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'])

/** undici's headersTimeout and bodyTimeout, which hold where proxyTo is given no `timeout` (ms). */
const UNDICI_IDLE_MS = 300_000

/** Requests and replies over HTTP/1 or HTTP/2 (reply-from's types for its callbacks). */
type AnyRequest = FastifyRequest<RouteGenericInterface, RawServerBase>
type AnyReply = FastifyReply<RouteGenericInterface, RawServerBase>

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
