import { createHash } from 'node:crypto'
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream'
import zlib from 'node:zlib'
import type { FastifyReply, FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify'
import { findInsertion, HtmlScanner } from './html-scan.js'
import type { InjectPredicate } from '../../types/index.js'
import type { ResolvedOptions } from '../options.js'

export interface InjectHooks {
  onRequest: onRequestHookHandler
  onSend: onSendHookHandler
}

const DECODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress()
}
const ENCODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGzip(),
  'x-gzip': () => zlib.createGzip(),
  deflate: () => zlib.createDeflate(),
  br: () => zlib.createBrotliCompress()
}

/**
 * The hooks that put the client tag into every HTML response of the app, whatever its payload:
 * string, Buffer or stream, compressed or not. The bytes stay right: Content-Length follows the
 * tag, streams stay streams, and nothing but `text/html` is touched.
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

  function injected (request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
    if (reply.statusCode === 304) {
      if (revalidated.has(request)) suffixEtag(reply, suffix)
      return payload
    }
    if (!isEligible(request, reply, payload) || !inject(request, reply)) return payload

    const encoding = String(reply.getHeader('content-encoding') ?? 'identity').toLowerCase()
    if (encoding !== 'identity' && DECODERS[encoding] === undefined) {
      request.log.debug({ encoding }, 'live reload: body encoding unknown, client not injected')
      return payload
    }
    const nonce = options.nonce?.(request, reply) ?? nonceOf(reply.getHeader('content-security-policy'))
    const tag = nonce === undefined ? plainTag : Buffer.from(`<script src="${escapeAttribute(clientSrc)}" nonce="${escapeAttribute(nonce)}" defer></script>`)
    setCacheHeaders(reply, nonce === undefined ? suffix : null)

    if (encoding !== 'identity') {
      reply.removeHeader('content-length') // unknown until re-encoded
      return pipeline(toStream(payload), DECODERS[encoding](), new InjectStream(tag, clientSrc), ENCODERS[encoding](), () => {})
    }
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) return injectWhole(reply, payload, tag, clientSrc)
    if (reply.hasHeader('content-length')) {
      reply.header('content-length', Number(reply.getHeader('content-length')) + tag.length)
    }
    return passThrough(payload as NodeJS.ReadableStream, new InjectStream(tag, clientSrc))
  }

  return {
    onRequest (request, _reply, done) {
      const header = request.headers['if-none-match']
      if (header !== undefined && header.includes(suffix)) {
        request.headers['if-none-match'] = header.replaceAll(`${suffix}"`, '"')
        revalidated.add(request)
      }
      done()
    },
    onSend (request, reply, payload, done) {
      done(null, injected(request, reply, payload)) // a throw here reaches Fastify's error handling
    }
  }
}

/**
 * `source.pipe(transform)` with errors and early closes carried both ways. stream.pipeline()
 * does the same but allocates an AbortController per call and aborts it (building a
 * DOMException, stack trace and all) when the stream ends: measurable on every static page.
 */
function passThrough (source: NodeJS.ReadableStream, transform: Transform): Transform {
  const readable = source as Readable
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
  return request.routeOptions.config?.liveReload !== false // a getter that builds an object: HTML only
}

/**
 * String and Buffer payloads: injected whole, as a Buffer, with Content-Length set to its length.
 *
 * A string comes out as a Buffer of its UTF-8 bytes with the tag in place. Node writes a
 * string body by flattening it with the headers and encoding it to UTF-8 a character at a time
 * (`writev`); a Buffer it hands to the socket as it is. An ASCII page (its UTF-8 length is its
 * length) is copied into the Buffer as Latin-1, which is a plain memory copy, so injecting costs
 * less than the encoding it saves: no string is rebuilt, flattened or encoded per response.
 */
function injectWhole (reply: FastifyReply, payload: string | Buffer, tag: Buffer, clientSrc: string): string | Buffer {
  const isString = typeof payload === 'string'
  const at = findInsertion(isString ? payload : payload.toString('latin1'), clientSrc)
  if (at === -1) return payload
  const result = isString ? encodeWithTag(payload, at, tag) : Buffer.concat([payload.subarray(0, at), tag, payload.subarray(at)])
  // Fastify recomputes it for GET, not for HEAD: set it for both.
  if (reply.hasHeader('content-length')) reply.header('content-length', result.length)
  return result
}

/** The UTF-8 bytes of `html` with `tag` before the character at `at` (never inside a surrogate pair: it is a '<' or the end). */
function encodeWithTag (html: string, at: number, tag: Buffer): Buffer {
  const bytes = Buffer.byteLength(html)
  const out = Buffer.allocUnsafe(bytes + tag.length)
  if (bytes === html.length) { // ASCII: Latin-1 bytes are the UTF-8 bytes, and offsets agree
    out.write(html, 0, at, 'latin1')
    tag.copy(out, at)
    out.write(html.slice(at), at + tag.length, 'latin1')
    return out
  }
  const head = out.write(html.slice(0, at), 0)
  tag.copy(out, head)
  out.write(html.slice(at), head + tag.length)
  return out
}

/** Bytes of a stream chunk turned into a string and scanned at a time. */
const SCAN_WINDOW = 4096

/**
 * Passes a stream through, putting the tag in once: before </head> or after <body…> when they
 * come (found across chunk boundaries; only a few bytes are ever held back), otherwise at the
 * end. Memory stays constant and the first byte is not delayed. A Content-Length was already
 * raised by the tag's length, so a page found to hold the tag already gets as many spaces.
 */
class InjectStream extends Transform {
  private readonly scanner: HtmlScanner
  private pending: Buffer = Buffer.alloc(0)
  private base = 0
  private isDone = false

  constructor (private readonly tag: Buffer, clientSrc: string) {
    super()
    this.scanner = new HtmlScanner(clientSrc)
  }

  override _transform (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.isDone) return callback(null, chunk)
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk
    const start = this.base
    // A window at a time: </head> is usually in the first, and the rest of a large chunk is
    // then never turned into a string.
    let from = 0
    let settled = start
    while (from < data.length) {
      const to = Math.min(data.length, from + SCAN_WINDOW)
      settled = this.scanner.scan(data.toString('latin1', from, to), start + from, false)
      if (this.scanner.found >= 0) {
        const at = this.scanner.found - start
        this.push(data.subarray(0, at))
        this.push(this.insertion())
        this.isDone = true
        this.pending = Buffer.alloc(0)
        return callback(null, data.subarray(at))
      }
      if (to === data.length || settled - start <= from) break
      from = settled - start
    }
    this.pending = data.subarray(settled - start)
    this.base = settled
    callback(null, data.subarray(0, data.length - this.pending.length))
  }

  override _flush (callback: TransformCallback): void {
    if (!this.isDone) {
      // The held-back end of the page may still hold </head> or <body>: scan it as the last piece.
      this.scanner.scan(this.pending.toString('latin1'), this.base, true)
      const at = this.scanner.found >= 0 ? this.scanner.found - this.base : this.pending.length
      this.push(this.pending.subarray(0, at))
      this.push(this.insertion())
      this.push(this.pending.subarray(at))
    }
    callback()
  }

  private insertion (): Buffer {
    return this.scanner.hasTag ? Buffer.alloc(this.tag.length, ' ') : this.tag
  }
}

function toStream (payload: unknown): NodeJS.ReadableStream {
  return typeof payload === 'string' || Buffer.isBuffer(payload) ? Readable.from([Buffer.from(payload)]) : payload as NodeJS.ReadableStream
}

function setCacheHeaders (reply: FastifyReply, suffix: string | null): void {
  const cacheControl = String(reply.getHeader('cache-control') ?? '')
  if (!/no-store/i.test(cacheControl)) reply.header('cache-control', 'no-cache')
  // Only when there: a removal deletes a key of the reply's header object, which V8 then keeps
  // in its slow dictionary mode for the rest of the response.
  if (reply.hasHeader('last-modified')) reply.removeHeader('last-modified')
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
