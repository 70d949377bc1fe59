import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'

/**
 * GET `url`: a script that changes only with the package, so it is revalidated on every load
 * and answered 304 while unchanged. `headers` go on every answer. `read` runs on the first
 * request, not at start (a start has no page to serve it to yet); a failed read is tried again
 * on the next request.
 */
export function serveScript (fastify: FastifyInstance, url: string, read: () => Promise<Buffer>, headers: Readonly<Record<string, string>> = {}): void {
  let loaded: Promise<{ script: Buffer, etag: string }> | undefined
  const load = (): Promise<{ script: Buffer, etag: string }> => (loaded ??= read().then(
    script => ({ script, etag: `"${createHash('sha1').update(script).digest('base64url')}"` }),
    err => {
      loaded = undefined
      throw err
    }))
  fastify.get(url, async (request, reply) => {
    const { script, etag } = await load()
    reply.headers({ ...headers, 'cache-control': 'no-cache', etag, 'x-content-type-options': 'nosniff' })
    if (request.headers['if-none-match'] === etag) return await reply.code(304).send()
    return await reply.type('text/javascript; charset=utf-8').send(script)
  })
}
