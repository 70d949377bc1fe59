// A body that is already compressed (@fastify/static's preCompressed files, or an onSend hook
// that compressed before ours): decoded whole, injected, encoded again. What cannot be decoded
// (empty, corrupt, cut short) goes out as it came, with a debug line, never as a 500.
import { Readable } from 'node:stream'
import zlib, { constants } from 'node:zlib'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { readWhole } from './read-whole.js'
import { withTag } from './whole.js'

type Codec = (bytes: Buffer, callback: (err: Error | null, result: Buffer) => void) => void

/** The encodings injected; any other passes untouched. */
export const CODECS: Record<string, { decode: Codec, encode: Codec }> = {
  gzip: { decode: zlib.gunzip, encode: zlib.gzip },
  'x-gzip': { decode: zlib.gunzip, encode: zlib.gzip },
  deflate: { decode: zlib.inflate, encode: zlib.deflate },
  // Quality 5, not brotli's default 11: every response of a dev server is encoded again, and 11
  // costs tens of milliseconds on a large page for a few percent of bytes on a loopback link.
  br: { decode: zlib.brotliDecompress, encode: (bytes, callback) => zlib.brotliCompress(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }, callback) }
}

/** Compressed bodies larger than this are passed through: they are read whole before injection. */
export const MAX_ENCODED_BYTES = 1024 * 1024

/**
 * Calls back with the payload to send for an HTML body in `encoding` (a key of CODECS): the page
 * with the tag, encoded again, as a stream without Content-Length; or the original bytes, with
 * a debug line saying why. HEAD of a file carries no body (@fastify/send), so it gets the headers
 * of the usual GET: the re-encoded page's, without Content-Length.
 */
export function injectEncoded (request: FastifyRequest, reply: FastifyReply, payload: unknown, encoding: string,
  tag: Buffer, clientSrc: string, done: (err: Error | null, payload?: unknown) => void): void {
  const codec = CODECS[encoding]!
  const declared = Number(reply.getHeader('content-length') ?? -1)
  const untouched = (raw: Buffer, why: string, err?: Error): void => {
    request.log.debug({ encoding, err }, `live reload: ${why}, client not injected`)
    if (reply.hasHeader('content-length')) reply.header('content-length', raw.length)
    done(null, raw)
  }
  const recode = (raw: Buffer): void => {
    if (request.method === 'HEAD' && raw.length === 0 && declared > 0) {
      reply.removeHeader('content-length')
      return done(null, Readable.from([], { objectMode: false })) // a stream: Fastify would give a Buffer a Content-Length
    }
    if (raw.length === 0) return untouched(raw, 'empty encoded body')
    codec.decode(raw, (err, page) => {
      if (err !== null) return untouched(raw, 'body cannot be decoded', err)
      const injected = withTag(page, tag, clientSrc)
      if (injected === page) return untouched(raw, 'page holds the tag already or is UTF-16')
      codec.encode(injected, (err, encoded) => {
        if (err !== null) return done(err)
        reply.removeHeader('content-length') // a stream: the same headers as HEAD, which cannot know the length
        done(null, Readable.from([encoded], { objectMode: false }))
      })
    })
  }
  if (Buffer.isBuffer(payload)) return recode(payload)
  if (typeof payload === 'string') return recode(Buffer.from(payload))
  readWhole(payload as Readable, MAX_ENCODED_BYTES, (err, raw, rest) => {
    if (err !== null) return done(err)
    if (raw !== null) return recode(raw)
    request.log.debug({ encoding, limit: MAX_ENCODED_BYTES }, 'live reload: encoded body too large to decode whole, client not injected')
    done(null, rest)
  })
}
