// A browser's WebSocket through the proxy (proxy.ts): the upstream's upgrade first, the browser's
// only once the upstream has answered 101, then frames both ways. @fastify/http-proxy answers the
// browser 101 before it opens its own connection, so a browser whose upstream refused, answered
// garbage or never answered held an open socket that closed only when ws gave up (30 s and more
// for a hang), and never learnt the upstream's status.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyBaseLogger, FastifyReply, FastifyRequest, RawServerBase, RouteGenericInterface } from 'fastify'
import WebSocket, { WebSocketServer } from 'ws'
import { requestHeaders, responseHeaders } from './proxy-headers.js'
import { decideAfter, realWorld } from './world.js'

/** What one side of a proxied WebSocket may leave unread (bytes): an app's frames can be large. */
export const MAX_UNREAD_BYTES = 16 * 1024 * 1024

/** How long the sockets of a pair get to answer the close frame when the server closes (ms), as the channel's clients. */
const CLOSE_GRACE_MS = 200

/** The socket and first bytes of an upgrade request, as the server's 'upgrade' event gave them. */
export interface Upgrade {
  readonly socket: Duplex
  readonly head: Buffer
}

export interface WebSocketForwarder {
  /**
   * Answers the upgrade `request` (routed through Fastify, so every hook ran) from `target`: the
   * browser gets 101 once the upstream has, and the frames are then relayed; the upstream's
   * refusal as its status, headers and body; 502 for an upstream that cannot be reached or answers
   * no valid handshake, 504 for one that does not answer within `timeout`. Resolves once the reply
   * is sent, or taken over (hijacked) by the WebSocket.
   */
  forward (request: AnyRequest, reply: AnyReply, upgrade: Upgrade, target: URL): Promise<void>
  /** Closes every pair (1001, then terminated past a grace) and aborts every handshake under way. */
  close (): Promise<void>
}

type AnyRequest = FastifyRequest<RouteGenericInterface, RawServerBase>
type AnyReply = FastifyReply<RouteGenericInterface, RawServerBase>

type Outcome =
  | { kind: 'open' }
  | { kind: 'refused', request: { destroy: () => void }, response: IncomingMessage }
  | { kind: 'failed', message: string }
  | { kind: 'timeout' }
  | { kind: 'gone' }

export function createWebSocketForwarder ({ via, keepsHost, isInsecure, timeout, log }: {
  /** The proxy's Via token (proxy-headers.ts), sent upstream as a request's is. */
  via: string
  keepsHost: boolean
  isInsecure: boolean
  /** How long the upstream may take to answer the handshake (ms); 0 or undefined: for ever. */
  timeout: number | undefined
  log: FastifyBaseLogger
}): WebSocketForwarder {
  const chosen = new WeakMap<IncomingMessage, string>() // Sockets.chosen: the browsers' server reads it
  const sockets: Sockets = {
    chosen,
    // perMessageDeflate and maxPayload as before (ws's defaults, as @fastify/http-proxy left them):
    // each side negotiates its own extensions; frames are relayed, not bytes.
    browsers: new WebSocketServer({ noServer: true, autoPong: false, handleProtocols: (_offered, request) => chosen.get(request) ?? false }),
    pairs: new Set(),
    handshakes: new Set()
  }

  async function forward (request: AnyRequest, reply: AnyReply, upgrade: Upgrade, target: URL): Promise<void> {
    const raw = request.raw as IncomingMessage
    const problem = handshakeProblem(raw)
    if (problem !== null) return await sent(reply.code(400).type('text/plain; charset=utf-8').send(`Not a WebSocket handshake: ${problem}`))
    const url = `${target.protocol === 'https:' ? 'wss:' : 'ws:'}//${target.host}${raw.url}` // a path: handshakeProblem saw it begin with /
    let upstream: WebSocket
    try {
      // The browser's subprotocols are offered as they came; the upstream's choice is the browser's.
      upstream = new WebSocket(url, protocolsOf(raw.headers), { headers: upgradeHeaders(request, keepsHost, via), rejectUnauthorized: !isInsecure, autoPong: false })
    } catch (err) { // a subprotocol list ws refuses (duplicates, characters a token cannot have)
      return await sent(reply.code(400).type('text/plain; charset=utf-8').send(`Not a WebSocket handshake: ${(err as Error).message}`))
    }
    upstream.on('error', () => {}) // each failure is settled once, from the first event below
    sockets.handshakes.add(upstream)
    const outcome = await awaitHandshake(sockets, upstream, raw, reply, upgrade, timeout)
    const what = `${request.method} ${request.url} (WebSocket)`
    switch (outcome.kind) {
      case 'open':
        return
      case 'gone': // the browser left while the upstream was asked
        upstream.terminate()
        reply.hijack()
        return
      case 'refused':
        return await refused(reply, outcome, target, timeout)
      case 'timeout': {
        upstream.terminate()
        const message = `${target.origin} sent no answer to the WebSocket handshake within ${timeout} ms`
        log.warn(`${what} → 504: ${message}`)
        return await sent(reply.code(504).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(message))
      }
      case 'failed': {
        const message = `${target.origin} failed the WebSocket handshake: ${outcome.message}`
        log.warn(`${what} → 502: ${message}`)
        return await sent(reply.code(502).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(message))
      }
    }
  }

  return {
    forward,
    close: () => closeAll(sockets)
  }
}

/** The sockets a forwarder holds, shared by its parts. */
interface Sockets {
  /** The subprotocol the upstream chose, for the browser's handshake of the same request. */
  readonly chosen: WeakMap<IncomingMessage, string>
  readonly browsers: WebSocketServer
  readonly pairs: Set<readonly [WebSocket, WebSocket]>
  readonly handshakes: Set<WebSocket>
}

/**
 * How the upstream answered its handshake (`upstream`, just made), or that the browser left or
 * the upstream took longer than `timeout` (ms). Once it opens, the browser's upgrade (`raw`, on
 * `upgrade`'s socket) is answered and the two are paired.
 */
function awaitHandshake ({ chosen, browsers, pairs, handshakes }: Sockets, upstream: WebSocket, raw: IncomingMessage, reply: AnyReply, { socket, head }: Upgrade, timeout: number | undefined): Promise<Outcome> {
  return new Promise<Outcome>(resolve => {
    let isSettled = false
    const settle = (outcome: Outcome): void => {
      if (isSettled) return
      isSettled = true
      realWorld.clearTimer(timer)
      socket.off('close', onGone)
      handshakes.delete(upstream)
      resolve(outcome)
    }
    // An upstream that opened in time is read first, however long our event loop was held up (decideAfter).
    const timer = timeout === undefined || timeout === 0 ? undefined : decideAfter(realWorld, () => { settle({ kind: 'timeout' }) }, timeout)
    const onGone = (): void => settle({ kind: 'gone' })
    socket.once('close', onGone)
    upstream.once('open', () => {
      settle({ kind: 'open' })
      // At once, in this event: a frame the upstream sent with its 101 is emitted on the next
      // tick, before the promise's callbacks would run, and must find the relay listening.
      reply.hijack()
      chosen.set(raw, upstream.protocol)
      let isPaired = false
      socket.once('close', () => { if (!isPaired) upstream.terminate() }) // ws refused the browser's socket after all (no longer writable)
      browsers.handleUpgrade(raw, socket, head, browser => {
        isPaired = true
        pair(pairs, browser, upstream)
      })
    })
    upstream.once('unexpected-response', (request, response) => settle({ kind: 'refused', request, response }))
    upstream.once('error', err => settle({ kind: 'failed', message: err.message }))
  })
}

/** The upstream's refusal, passed on: its status, its headers but the connection's, its body (idle for `timeout` at most). */
async function refused (reply: AnyReply, { request, response }: Extract<Outcome, { kind: 'refused' }>, target: URL, timeout: number | undefined): Promise<void> {
  response.once('close', () => request.destroy()) // the upstream's connection served the handshake only
  if (timeout !== undefined && timeout > 0) response.setTimeout(timeout, () => response.destroy(new Error(`${target.origin} stalled in its refusal of a WebSocket`)))
  const headers: IncomingHttpHeaders = { ...response.headers }
  for (const name of HOP_BY_HOP) delete headers[name]
  await sent(reply.code(response.statusCode ?? 502).headers(responseHeaders(headers, target)).send(response))
}

/** Relays frames, pings and the close between the two, and ends both when either ends. */
function pair (pairs: Set<readonly [WebSocket, WebSocket]>, browser: WebSocket, upstream: WebSocket): void {
  const both = [browser, upstream] as const
  pairs.add(both)
  browser.once('close', () => pairs.delete(both))
  relay(browser, upstream)
  relay(upstream, browser)
}

/** Closes every pair (1001, then terminated past a grace) and aborts every handshake under way. */
async function closeAll ({ pairs, handshakes }: Sockets): Promise<void> {
  for (const upstream of handshakes) upstream.terminate() // its settle() answers or hijacks the browser's request
  const open = [...pairs].flat()
  if (open.length === 0) return
  const closed = Promise.all(open.map(async ws => await new Promise(resolve => ws.once('close', resolve))))
  for (const ws of open) ws.close(1001)
  let timer: NodeJS.Timeout | undefined
  await Promise.race([closed, new Promise(resolve => { timer = setTimeout(resolve, CLOSE_GRACE_MS) })])
  clearTimeout(timer)
  for (const ws of open) ws.terminate() // those that have not answered the close frame
}

/** `from`'s frames to `to`; past MAX_UNREAD_BYTES unread by `to`, both are cut off, as the channel drops a client that stops reading. */
function relay (from: WebSocket, to: WebSocket): void {
  from.on('message', (data, isBinary) => {
    if (to.readyState !== WebSocket.OPEN) return
    to.send(data, { binary: isBinary })
    if (to.bufferedAmount > MAX_UNREAD_BYTES) {
      to.terminate()
      from.terminate()
    }
  })
  from.on('ping', data => { if (to.readyState === WebSocket.OPEN) to.ping(data) })
  from.on('pong', data => { if (to.readyState === WebSocket.OPEN) to.pong(data) })
  from.on('error', () => to.terminate()) // ws closes `from` itself; its close follows
  from.on('close', (code, reason) => closeLike(to, code, reason))
}

/** Closes `ws` as its peer was: the same code and reason, none (1005) for none, cut off (1006) for a cut or a code that cannot be sent. */
function closeLike (ws: WebSocket, code: number, reason: Buffer): void {
  if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) return
  if (code === 1005) ws.close()
  else if (isSendableCode(code)) ws.close(code, reason)
  else ws.terminate()
}

/** ws's isValidStatusCode: the codes a close frame may carry. */
function isSendableCode (code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999)
}

/** Headers of the upstream's connection, not of its answer. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']

/**
 * The headers of the upstream's handshake: the browser's, as a request's go (requestHeaders:
 * X-Forwarded-*, Via; its Origin, so that the upstream's own check of cross-site sockets still
 * sees who opened it), but the handshake's own, which ws makes for its connection, and the
 * browser's connection's. `Host` is the upstream's (ws sets it from the URL) unless `keepsHost`.
 */
function upgradeHeaders (request: AnyRequest, keepsHost: boolean, via: string): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = { ...request.headers }
  const listed = String(headers.connection ?? '').split(',').map(name => name.trim().toLowerCase())
  for (const name of [...HANDSHAKE, ...HOP_BY_HOP, ...listed, 'host']) delete headers[name]
  return requestHeaders(request, headers, keepsHost, via)
}

/** A handshake's own headers, made anew for the upstream's connection (the subprotocols are passed to ws as such). */
const HANDSHAKE = ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol']

/** Why `request` is not a WebSocket handshake to forward (RFC 6455 §4.2.1, as ws checks it), or null. */
function handshakeProblem (request: IncomingMessage): string | null {
  if (request.method !== 'GET') return `method ${request.method ?? ''}`
  if (!(request.url ?? '').startsWith('/')) return 'the request target is not a path'
  if (!/\bwebsocket\b/i.test(request.headers.upgrade ?? '')) return 'Upgrade is not websocket'
  if (!/^[+/0-9A-Za-z]{22}==$/.test(request.headers['sec-websocket-key'] ?? '')) return 'missing or invalid Sec-WebSocket-Key'
  const version = request.headers['sec-websocket-version']
  if (version !== '13' && version !== '8') return 'Sec-WebSocket-Version is not 13'
  return null
}

function protocolsOf (headers: IncomingHttpHeaders): string[] {
  return (headers['sec-websocket-protocol'] ?? '').split(',').map(protocol => protocol.trim()).filter(protocol => protocol !== '')
}

/**
 * Resolves once `reply` is sent (or cut short: nothing more to do then): a hook that resolved
 * sooner would let Fastify run the route's handler too.
 */
async function sent (reply: AnyReply): Promise<void> {
  await reply.then(() => {}, () => {})
}
