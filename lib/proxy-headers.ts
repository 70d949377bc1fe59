// The headers the proxy (proxy.ts) passes each way. A request's go upstream with what the proxy
// knows of the real connection, never what the client claims of it; a response's are data from
// another server, and one bad header must spoil that response at most, never the process.
import type { IncomingHttpHeaders } from 'node:http'
import type { IncomingHttpHeaders as Http2IncomingHttpHeaders } from 'node:http2'
import type { FastifyRequest } from 'fastify'

/**
 * A request's headers as the upstream gets them: `X-Forwarded-For`, `-Proto` and `-Host` from
 * the connection the proxy took (a client's own are replaced: the proxy is the first it reached),
 * `Via` with this proxy's `via` token added (RFC 9110: how a proxy finds itself in a loop), and no
 * `Expect`, which Node already answered with 100 Continue (undici refuses to send it). With
 * `keepsHost`, the Host the browser sent (reply-from puts the upstream's; over HTTP/2 it is
 * `:authority`, which `request.host` reads too): the dev server's app is reached as if directly.
 */
export function requestHeaders<Headers extends IncomingHttpHeaders | Http2IncomingHttpHeaders> (request: Pick<FastifyRequest, 'host' | 'protocol' | 'ip'>, headers: Headers, keepsHost: boolean, via: string): Headers {
  const { expect: _expect, ...rest } = headers
  return {
    ...rest,
    ...(keepsHost ? { host: request.host } : {}),
    via: [headers.via, `1.1 ${via}`].filter(Boolean).join(', '),
    'x-forwarded-for': request.ip,
    'x-forwarded-proto': request.protocol,
    'x-forwarded-host': request.host
  } as unknown as Headers
}

/** Whether a request already came through the proxy of this `via` token: its upstream is the proxy itself. */
export function isLooped (headers: IncomingHttpHeaders | Http2IncomingHttpHeaders, via: string): boolean {
  return String(headers.via ?? '').split(',').some(hop => hop.trim() === `1.1 ${via}`)
}

/**
 * The headers HTTP/2 allows once: Node's `Http2ServerResponse.writeHead` throws
 * ERR_HTTP2_HEADER_SINGLE_VALUE for an array in any of them (kSingleValueHeaders in Node's
 * lib/internal/http2/util.js, checked on Node 20 and 24), and over HTTP/1.1 Node's own client
 * keeps the first of a repeated one. Hop-by-hop headers are dropped by reply-from for HTTP/2.
 */
const SINGLE_VALUE = new Set([
  'access-control-allow-credentials', 'access-control-max-age', 'access-control-request-method', 'age',
  'authorization', 'content-encoding', 'content-language', 'content-length', 'content-location',
  'content-md5', 'content-range', 'content-type', 'date', 'dnt', 'etag', 'expires', 'from', 'host',
  'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified',
  'location', 'max-forwards', 'proxy-authorization', 'range', 'referer', 'retry-after', 'tk',
  'upgrade-insecure-requests', 'user-agent', 'x-content-type-options'
])

/**
 * What a dev version tells the supervisor in a reply of its (dev/route-errors.ts): never passed
 * on to a browser, whatever upstream sends it and however (a reply, a refused upgrade).
 */
export const ROUTE_ERROR_HEADER = 'x-fastify-livereload-route-error'

/**
 * `headers` without ROUTE_ERROR_HEADER, with each header HTTP/2 allows once reduced to its first
 * value, and a `location` that points at the upstream itself made relative (the proxy serves the
 * same paths; the upstream's own address would take the browser past the proxy, out of live reload).
 */
export function responseHeaders<Headers extends IncomingHttpHeaders> (headers: Headers, upstream: URL | null): Headers {
  const { [ROUTE_ERROR_HEADER]: _ours, ...rest } = headers
  const folded: Record<string, unknown> = rest
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value) && SINGLE_VALUE.has(name.toLowerCase())) folded[name] = value[0]
  }
  const location = ownLocation(folded.location, upstream)
  if (location !== undefined) folded.location = location
  return folded as Headers
}

/**
 * `location` relative when it is an absolute URL on the upstream's origin; undefined otherwise
 * (not a URL that parses: passed on as it came, for that response alone). A path that begins
 * `//` (or `/\`, which the URL parser turns into `//`) would read as another host once the
 * origin is gone: `/.` ahead of it keeps it a path on this one.
 */
function ownLocation (location: unknown, upstream: URL | null): string | undefined {
  if (upstream === null || typeof location !== 'string' || !/^https?:\/\//i.test(location) || !URL.canParse(location)) return undefined
  const target = new URL(location)
  if (target.origin !== upstream.origin) return undefined
  const path = target.pathname.startsWith('//') ? `/.${target.pathname}` : target.pathname
  return path + target.search + target.hash
}
