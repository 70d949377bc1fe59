import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, Server } from 'node:http'
import { isIP } from 'node:net'
import type { Duplex } from 'node:stream'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { LiveReloadStats } from '../../types/index.js'
import { builtFile } from '../built.js'
import type { Hub } from './hub.js'
import type { ResolvedOptions } from '../options.js'
import { ssePeer } from './peers.js'

export interface ChannelRoutesOptions {
  options: ResolvedOptions
  hub: Hub
  stats: () => LiveReloadStats
}

const CLIENT_URL = builtFile('client.js')

/**
 * The channel under `path`: the WebSocket, its Server-Sent Events fallback, the client script
 * and the stats, behind a guard that runs before any upgrade. Registered encapsulated, so the
 * guard stays on these routes.
 */
export const channelRoutes: FastifyPluginAsync<ChannelRoutesOptions> = async (fastify, { options, hub, stats }) => {
  // Read when first asked for, not at start: a start has no page to serve it to yet.
  let client: Promise<{ script: Buffer, etag: string }> | undefined
  const readClient = (): Promise<{ script: Buffer, etag: string }> => (client ??= readFile(CLIENT_URL).then(
    script => ({ script, etag: etagOf(script) }),
    cause => {
      client = undefined
      throw new Error(`fastify-livereload: the browser client is missing at ${CLIENT_URL.pathname}; build the package (npm run build)`, { cause })
    }))
  const { path } = options
  guardRoutes(fastify, request => refuse(request, options), hub)

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

  fastify.get(`${path}/client.js`, async (request, reply) => {
    reply.header('cross-origin-resource-policy', 'same-origin')
    const { script, etag } = await readClient()
    return await sendScript(request, reply, script, etag)
  })

  fastify.get(`${path}/status`, async (_request, reply) => {
    return await reply.header('cache-control', 'no-store').send(stats())
  })
}

export interface Refusal { status: number, reason: string }

/**
 * The hooks every channel route sits behind: the guard, then, before any upgrade completes,
 * the client limit (the hooks run before @fastify/websocket's handler).
 */
export function guardRoutes (fastify: FastifyInstance, refuseRequest: (request: FastifyRequest) => Refusal | null, hub: Pick<Hub, 'isFull'>): void {
  fastify.addHook('onRequest', async (request, reply) => {
    const refusal = refuseRequest(request)
    if (refusal === null) return
    request.log.debug({ reason: refusal.reason, url: request.url }, 'live reload channel request refused')
    return await reply.code(refusal.status).type('text/plain; charset=utf-8').send(refusal.reason)
  })
  fastify.addHook('preValidation', async (request, reply) => {
    if (request.ws && hub.isFull()) return await reply.code(503).send('too many live reload clients')
  })
}

export function etagOf (script: Buffer): string {
  return `"${createHash('sha1').update(script).digest('base64url')}"`
}

/** A script that changes only with the package: revalidated on every load, 304 while unchanged. */
export async function sendScript (request: FastifyRequest, reply: FastifyReply, script: Buffer, etag: string): Promise<FastifyReply> {
  reply.header('cache-control', 'no-cache').header('etag', etag).header('x-content-type-options', 'nosniff')
  if (request.headers['if-none-match'] === etag) return await reply.code(304).send()
  return await reply.type('text/javascript; charset=utf-8').send(script)
}

/** The Host header, or HTTP/2's `:authority`, which stands for it. */
export function hostOf (headers: FastifyRequest['headers']): string | undefined {
  return headers.host ?? headers[':authority'] as string | undefined
}

/** Why a request to the channel is refused, or null. See docs/security.md. */
export function refuse (request: Pick<FastifyRequest, 'headers' | 'url'>, options: Pick<ResolvedOptions, 'allowedHosts' | 'allowedOrigins' | 'path'>): Refusal | null {
  const host = hostOf(request.headers)
  const hostname = host === undefined ? null : hostnameOf(host)
  if (hostname === null) return { status: 400, reason: 'missing or malformed Host header' }
  if (!isAllowedHost(hostname, options.allowedHosts)) return { status: 403, reason: `host "${hostname}" is not allowed (see the allowedHosts option)` }

  const origin = request.headers.origin
  if (origin !== undefined && !isAllowedOrigin(origin, host as string, options.allowedOrigins)) {
    return { status: 403, reason: 'cross-origin requests are not allowed (see the allowedOrigins option)' }
  }
  // A cross-site <script src> of the client (webpack-dev-server CVE-2025-30359).
  if (request.headers['sec-fetch-site'] === 'cross-site' && request.headers['sec-fetch-mode'] === 'no-cors') {
    return { status: 403, reason: 'cross-site script loads are not allowed' }
  }
  return null
}

/** The host name of a Host header value, lower-cased, without port or trailing dot; null if malformed. */
function hostnameOf (host: string): string | null {
  try {
    const url = new URL(`http://${host}`)
    if (url.host !== host.toLowerCase() && `${url.hostname}:80` !== host.toLowerCase()) return null
    return url.hostname.replace(/\.$/, '')
  } catch {
    return null
  }
}

function isAllowedHost (hostname: string, allowed: ResolvedOptions['allowedHosts']): boolean {
  if (allowed === true) return true
  // DNS rebinding needs a name that resolves to us: IP literals and localhost cannot be rebound.
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true
  if (isIP(hostname.replace(/^\[|\]$/g, '')) !== 0) return true
  return allowed.some(entry => entry.startsWith('.')
    ? hostname === entry.slice(1) || hostname.endsWith(entry)
    : hostname === entry)
}

function isAllowedOrigin (origin: string, host: string, allowed: ResolvedOptions['allowedOrigins']): boolean {
  if (allowed === true) return true
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false
  }
  if (url.origin === 'null' || (url.protocol !== 'http:' && url.protocol !== 'https:')) return false
  return url.host === host.toLowerCase() || allowed.has(url.origin)
}

/**
 * Upgrade requests to the channel that arrive while the server closes are answered 503 by
 * Fastify on a socket nobody ends, and an open socket holds server.close() forever: a browser
 * reconnecting at the wrong moment would hang app.close(). So every channel upgrade socket is
 * tracked until it closes, and `destroyAll()` (after the clients are closed) ends the rest and
 * every later one.
 */
export function trackUpgrades (server: Server, path: string): { destroyAll (): void, close (): void } {
  const sockets = new Set<Duplex>()
  let isClosing = false
  const onUpgrade = (request: IncomingMessage, socket: Duplex): void => {
    if (!(request.url ?? '').startsWith(path)) return
    if (isClosing) {
      socket.destroy()
      return
    }
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  }
  server.prependListener('upgrade', onUpgrade)
  return {
    destroyAll () {
      isClosing = true
      for (const socket of sockets) socket.destroy()
    },
    close: () => { server.removeListener('upgrade', onUpgrade) }
  }
}
