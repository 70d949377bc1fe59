import { createHash } from 'node:crypto'
import { Readable, type Transform } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import type { FastifyReply, FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify'
import { CODECS, injectEncoded } from './encoded.js'
import { InjectStream } from './inject-stream.js'
import { isNavigation } from './navigation.js'
import { createPageCache, type PageCache } from './page-cache.js'
import { readWhole } from './read-whole.js'
import { withTag } from './whole.js'
import type { InjectPredicate } from '../../types/index.js'
import type { ResolvedOptions } from '../options.js'

/**
 * A stream whose Content-Length is at most this is read whole and injected as a Buffer (static
 * files): the same result as a string page, the tag counted exactly. Longer or unsized streams
 * (streamed rendering) go through InjectStream and lose their Content-Length.
 */
export const MAX_WHOLE_STREAM = 1024 * 1024

/**
 * A fetch Response, told as Fastify tells it (lib/reply.js): by its tag, never by `instanceof
 * Response`, whose first read of the global loads Node's fetch (undici), 34–60 ms of CPU on the
 * first page a process serves (Node 20 and 24, 2026-11-28).
 */
const isResponse = (payload: unknown): boolean => typeof payload === 'object' && Object.prototype.toString.call(payload) === '[object Response]'

/** A web ReadableStream, by its reader as Fastify tells it: the global loads Node's web streams (~4 ms) on its first read. */
const isWebStream = (payload: unknown): payload is WebReadableStream => typeof (payload as { getReader?: unknown } | null)?.getReader === 'function'

export interface InjectHooks {
  onRequest: onRequestHookHandler
  onSend: onSendHookHandler
}

/**
 * The hooks that put the client tag into every HTML response of the app, whatever its payload:
 * string, Buffer, Node or web stream, compressed or not, in the same place for each. The bytes
 * stay right: Content-Length follows the tag, sized streams (static files) are read whole and
 * unsized ones (streamed rendering) stay streams, and nothing but `text/html` is touched.
 *
 * Both hooks run on every request of the app, so they are plain functions that call `done`
 * rather than async ones: an async hook costs a promise and a trip through the microtask queue
 * per request (two empty async hooks cost 13 µs per request more than two empty callback
 * hooks; docs/benchmarks.md).
 *
 * Caching: an injected page carries `Cache-Control: no-cache`, no `Last-Modified` (a file's
 * date says nothing about the tag), and its ETag gets a suffix derived from the tag. The
 * onRequest hook takes that suffix off `If-None-Match`, so @fastify/static can still answer
 * 304 while the tag is unchanged, and puts it back on the 304. When the tag changes (another
 * `path`, another version of the plugin), the old ETag no longer matches: a fresh page.
 */
export function createInjectHooks (options: Pick<ResolvedOptions, 'path' | 'nonce'> & { inject: InjectPredicate }): InjectHooks {
  const clientSrc = `${options.path}/client.js`
  const suffix = `-lr${createHash('sha1').update(`${clientSrc} 1`).digest('hex').slice(0, 8)}`
  const revalidated = new WeakSet<FastifyRequest>()
  const { inject } = options
  const plainTag = Buffer.from(`<script src="${escapeAttribute(clientSrc)}" defer></script>`) // no nonce: the common case, built once
  const pages = createPageCache() // string pages with the plain tag: a nonce makes each page new

  /** Calls `done` with the payload to send: at once for strings and Buffers, once read for sized streams and encoded bodies. */
  function injected (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload?: unknown) => void): void {
    if (reply.statusCode === 304) {
      if (revalidated.has(request)) suffixEtag(reply, suffix)
      return done(null, payload)
    }
    if (!isEligible(request, reply, payload) || !inject(request, reply)) return done(null, payload)
    if (isResponse(payload)) { // its own status and headers apply after the hooks
      request.log.debug('live reload: a Response object, client not injected')
      return done(null, payload)
    }

    const encoding = String(reply.getHeader('content-encoding') ?? 'identity').toLowerCase()
    if (encoding !== 'identity' && CODECS[encoding] === undefined) {
      request.log.debug({ encoding }, 'live reload: body encoding unknown, client not injected')
      return done(null, payload)
    }
    const nonce = options.nonce?.(request, reply) ?? nonceOf(reply.getHeader('content-security-policy'))
    const tag = nonce === undefined ? plainTag : Buffer.from(`<script src="${escapeAttribute(clientSrc)}" nonce="${escapeAttribute(nonce)}" defer></script>`)
    setCacheHeaders(reply, nonce === undefined ? suffix : null)

    if (isWebStream(payload)) payload = Readable.fromWeb(payload)
    if (encoding !== 'identity') return injectEncoded(request, reply, payload, encoding, tag, clientSrc, done)
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) return done(null, injectWhole(reply, payload, tag, clientSrc, nonce === undefined ? pages : null))
    const declared = reply.hasHeader('content-length') ? Number(reply.getHeader('content-length')) : -1
    if (declared < 0 || declared > MAX_WHOLE_STREAM) {
      if (declared >= 0) reply.removeHeader('content-length') // unknown until the page has gone through
      return done(null, passThrough(payload as Readable, new InjectStream(tag, clientSrc)))
    }
    readWhole(payload as Readable, MAX_WHOLE_STREAM, (err, page, rest) => {
      if (err !== null) return done(err)
      if (page === null) { // longer than it said
        reply.removeHeader('content-length')
        return done(null, passThrough(rest!, new InjectStream(tag, clientSrc)))
      }
      if (request.method === 'HEAD' && page.length === 0 && declared > 0) {
        // HEAD of a file carries no body (@fastify/send): say what GET says of the usual page. As
        // a stream, as GET's was: a hook after ours (@fastify/compress's, on the route) encodes
        // an empty Buffer and counts its 1–20 bytes as the Content-Length, where GET has none.
        reply.header('content-length', declared + tag.length)
        return done(null, Readable.from([], { objectMode: false }))
      }
      done(null, injectWhole(reply, page, tag, clientSrc))
    })
  }

  return {
    onRequest (request, _reply, done) {
      const { headers } = request
      const header = headers['if-none-match']
      if (header !== undefined && header.includes(suffix)) {
        headers['if-none-match'] = header.replaceAll(`${suffix}"`, '"')
        revalidated.add(request)
      } else if ((header !== undefined || headers['if-modified-since'] !== undefined) && isPagePath(request.url) && isNavigation(request.method, headers)) {
        // A tab revalidating a page it holds without our tag (cached before the plugin was on, or
        // from another server on this port): a 304 would keep it so, without the client.
        delete headers['if-none-match']
        delete headers['if-modified-since']
      }
      done()
    },
    onSend (request, reply, payload, done) {
      injected(request, reply, payload, done) // a throw here reaches Fastify's error handling
    }
  }
}

/**
 * `source.pipe(transform)` with errors and early closes carried both ways. stream.pipeline()
 * does the same but allocates an AbortController per call and aborts it (building a
 * DOMException, stack trace and all) when the stream ends: measurable on every static page.
 */
function passThrough (readable: Readable, transform: Transform): Transform {
  readable.on('error', err => transform.destroy(err))
  transform.on('close', () => { if (!readable.readableEnded) readable.destroy() })
  return readable.pipe(transform)
}

function isEligible (request: FastifyRequest, reply: FastifyReply, payload: unknown): boolean {
  const status = reply.statusCode
  if (status < 200 || status === 204 || status === 206 || (status >= 300 && status < 400)) return false
  if (payload === null || payload === undefined) return false
  const type = String(reply.getHeader('content-type') ?? '')
  // Only ASCII-compatible HTML: a UTF-16 page would need its own scanner.
  if (!/^\s*text\/html\s*(;|$)/i.test(type) || /charset\s*=\s*"?utf-?(16|32)/i.test(type)) return false
  // A download is a file to keep as it is, not a page to run.
  if (/^\s*attachment\s*(;|$)/i.test(String(reply.getHeader('content-disposition') ?? ''))) return false
  return request.routeOptions.config?.liveReload !== false // a getter that builds an object: HTML only
}

/**
 * String and Buffer payloads, and sized streams read whole: the page with the tag (whole.ts),
 * Content-Length set to its length. A string page sent before comes from `pages`.
 */
function injectWhole (reply: FastifyReply, payload: string | Buffer, tag: Buffer, clientSrc: string, pages: PageCache | null = null): string | Buffer {
  let result: string | Buffer | undefined = typeof payload === 'string' ? pages?.get(payload) : undefined
  if (result === undefined) {
    result = withTag(payload, tag, clientSrc)
    if (typeof payload === 'string' && result !== payload) pages?.set(payload, result as Buffer)
  }
  // Fastify recomputes it for GET, not for HEAD: set it for both.
  if (result !== payload && reply.hasHeader('content-length')) reply.header('content-length', (result as Buffer).length)
  return result
}

/**
 * Whether a URL may be answered with a page: an .html, .htm or .shtml, a directory's index, or a
 * name without an extension (an app's route, @fastify/static's `extensions`). A navigation to one
 * that revalidates without our suffix gets it whole.
 */
function isPagePath (url: string): boolean {
  const path = url.split('?', 1)[0]!
  const name = path.slice(path.lastIndexOf('/') + 1)
  return !name.includes('.') || /\.s?html?$/i.test(name)
}

/**
 * An onRequest hook for the plugin's own files (@fastify/static's routes under `root`): a range of
 * a page would be a range of the file, not of the page with the tag, so a page comes whole.
 * Another route's ranges (an app's video, a download) are its own business.
 */
export const wholePages: onRequestHookHandler = (request, _reply, done) => {
  const { headers } = request
  if (headers.range !== undefined && isPagePath(request.url)) {
    delete headers.range
    delete headers['if-range']
  }
  done()
}

function setCacheHeaders (reply: FastifyReply, suffix: string | null): void {
  const cacheControl = String(reply.getHeader('cache-control') ?? '')
  if (!/no-store/i.test(cacheControl)) reply.header('cache-control', 'no-cache')
  // Only when there: a removal deletes a key of the reply's header object, which V8 then keeps
  // in its slow dictionary mode for the rest of the response.
  if (reply.hasHeader('last-modified')) reply.removeHeader('last-modified')
  if (reply.hasHeader('accept-ranges')) reply.removeHeader('accept-ranges') // its ranges would be the file's (onRequest drops them)
  if (suffix !== null) suffixEtag(reply, suffix)
  else if (reply.hasHeader('etag')) reply.removeHeader('etag') // a cached page with an old nonce would break under the new policy
}

function suffixEtag (reply: FastifyReply, suffix: string): void {
  const etag = reply.getHeader('etag')
  if (typeof etag === 'string' && etag.endsWith('"') && !etag.endsWith(`${suffix}"`)) {
    reply.header('etag', `${etag.slice(0, -1)}${suffix}"`)
  }
}

/** The script nonce of a Content-Security-Policy: script-src-elem, else script-src, else default-src. */
export function nonceOf (header: unknown): string | undefined {
  if (header === undefined) return undefined // no policy: the common case, nothing to parse
  const policy = Array.isArray(header) ? header.join(',') : typeof header === 'string' ? header : ''
  const directives = new Map<string, string>()
  for (const directive of policy.split(/[;,]/)) {
    const [name, ...values] = directive.trim().split(/\s+/)
    if (name !== undefined && name !== '' && !directives.has(name.toLowerCase())) directives.set(name.toLowerCase(), values.join(' '))
  }
  for (const name of ['script-src-elem', 'script-src', 'default-src']) {
    const sources = directives.get(name)
    if (sources === undefined) continue
    return /'nonce-([^']+)'/.exec(sources)?.[1]
  }
  return undefined
}

function escapeAttribute (value: string): string {
  return value.replace(/[&"<>]/g, c => `&#${c.charCodeAt(0)};`)
}
