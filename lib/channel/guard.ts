// Who may reach the channel routes: the Host rule against DNS rebinding, the Origin rule against
// cross-site pages, and the Sec-Fetch rule against cross-site script includes (docs/security.md).
// One guard for every channel plugin; what differs between them is a policy, stated in full.
import type { IncomingHttpHeaders } from 'node:http'
import { isIP } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { ResolvedOptions } from '../options.js'
import { parseUrl } from '../validate.js'
import type { Hub } from './hub.js'

export interface GuardPolicy {
  /** Host names allowed besides `localhost`, `*.localhost` and IP literals (`.x.test`: the domain too); true: any. */
  readonly allowedHosts: readonly string[] | true
  /** Origins allowed besides the page's own; true: any Origin. */
  readonly allowedOrigins: ReadonlySet<string> | true
  /** An http(s) Origin on the Host's host name passes whatever its port (else host and port must match). */
  readonly allowAnyPortOfHost: boolean
  /** Browser extension origins (`chrome-extension:` and the like) pass. */
  readonly allowExtensionOrigins: boolean
  /** A cross-site no-cors load (another site's `<script src>`) passes (else 403, CVE-2025-30359). */
  readonly allowCrossSiteLoads: boolean
  /** What a refused Origin is told. */
  readonly originRefusal: string
}

/** A refused request: its status, a stable code (the editor route's JSON answers carry it) and the reason. */
export interface Refusal { status: number, code: string, reason: string }

type AllowList = Pick<ResolvedOptions, 'allowedHosts' | 'allowedOrigins'>

/** Our own channel: pages of this server only, and no cross-site include of client.js. */
export function channelPolicy ({ allowedHosts, allowedOrigins }: AllowList): GuardPolicy {
  return {
    allowedHosts,
    allowedOrigins,
    allowAnyPortOfHost: false,
    allowExtensionOrigins: false,
    allowCrossSiteLoads: false,
    originRefusal: 'cross-origin requests are not allowed (see the allowedOrigins option)'
  }
}

/**
 * LiveReload protocol 7: the extensions connect from an extension origin, or from the page,
 * whose origin is the app's, on another port than the listener's. livereload.js is the
 * published livereload-js script, and `localhost:35729` is cross-site to a page on `127.0.0.1`,
 * so cross-site loads of it pass.
 */
export function liveReloadPolicy ({ allowedHosts, allowedOrigins }: AllowList): GuardPolicy {
  return {
    allowedHosts,
    allowedOrigins,
    allowAnyPortOfHost: true,
    allowExtensionOrigins: true,
    allowCrossSiteLoads: true,
    originRefusal: 'cross-origin LiveReload clients are not allowed (see the allowedOrigins option)'
  }
}

/** Why a request with these headers is refused under `policy`, or null when it may pass. */
export function guard (headers: IncomingHttpHeaders, policy: GuardPolicy): Refusal | null {
  // The Host header, or HTTP/2's `:authority`, which stands for it.
  const host = headers.host ?? headers[':authority'] as string | undefined
  const hostUrl = host === undefined ? null : parseHost(host)
  if (host === undefined || hostUrl === null) return { status: 400, code: 'bad-host', reason: 'missing or malformed Host header' }
  const hostname = hostUrl.hostname.replace(/\.$/, '')
  if (!isAllowedHost(hostname, policy.allowedHosts)) return { status: 403, code: 'host-not-allowed', reason: `host "${hostname}" is not allowed (see the allowedHosts option)` }

  const origin = headers.origin
  if (origin !== undefined && !isAllowedOrigin(origin, host, hostUrl, policy)) return { status: 403, code: 'origin-not-allowed', reason: policy.originRefusal }
  if (!policy.allowCrossSiteLoads && headers['sec-fetch-site'] === 'cross-site' && headers['sec-fetch-mode'] === 'no-cors') {
    return { status: 403, code: 'cross-site-load', reason: 'cross-site script loads are not allowed' }
  }
  return null
}

/**
 * The hooks every channel route sits behind: the guard, then, before any upgrade completes,
 * the client limit (both run before @fastify/websocket's handler, so a refused socket never
 * enters the hub).
 */
export function guardRoutes (fastify: FastifyInstance, policy: GuardPolicy, hub: Pick<Hub, 'isFull'>): void {
  fastify.addHook('onRequest', async (request, reply) => {
    const refusal = guard(request.headers, policy)
    if (refusal === null) return
    request.log.debug({ reason: refusal.reason, url: request.url }, 'live reload channel request refused')
    return await reply.code(refusal.status).type('text/plain; charset=utf-8').send(refusal.reason)
  })
  fastify.addHook('preValidation', async (request, reply) => {
    if (request.ws && hub.isFull()) return await reply.code(503).send('too many live reload clients')
  })
}

/** A Host value as a URL (lower-cased, trailing dot kept); null unless it is canonical. */
function parseHost (host: string): URL | null {
  const url = parseUrl(`http://${host}`)
  const lower = host.toLowerCase()
  return url !== null && (url.host === lower || `${url.hostname}:80` === lower) ? url : null
}

function isAllowedHost (hostname: string, allowed: GuardPolicy['allowedHosts']): boolean {
  if (allowed === true) return true
  // DNS rebinding needs a name that resolves to us: IP literals and localhost cannot be rebound.
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true
  if (isIP(hostname.replace(/^\[|\]$/g, '')) !== 0) return true
  return allowed.some(entry => entry.startsWith('.')
    ? hostname === entry.slice(1) || hostname.endsWith(entry)
    : hostname === entry)
}

const EXTENSION_SCHEMES = new Set(['chrome-extension:', 'moz-extension:', 'safari-web-extension:'])

function isAllowedOrigin (origin: string, host: string, hostUrl: URL, policy: GuardPolicy): boolean {
  if (policy.allowedOrigins === true) return true
  const url = parseUrl(origin)
  if (url === null) return false
  if (policy.allowExtensionOrigins && EXTENSION_SCHEMES.has(url.protocol)) return true
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false
  const isPagesOwn = policy.allowAnyPortOfHost ? url.hostname === hostUrl.hostname : url.host === host.toLowerCase()
  return isPagesOwn || policy.allowedOrigins.has(url.origin)
}
