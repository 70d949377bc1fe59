import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'

/**
 * GET `url`: a script that changes only with the package, so it is revalidated on every load
 * and answered 304 while unchanged. `headers` go on every answer.
 */
export function serveScript (fastify: FastifyInstance, url: string, script: Buffer, headers: Readonly<Record<string, string>> = {}): void {
  const etag = `"${createHash('sha1').update(script).digest('base64url')}"`
  fastify.get(url, async (request, reply) => {
    reply.headers({ ...headers, 'cache-control': 'no-cache', etag, 'x-content-type-options': 'nosniff' })
    if (request.headers['if-none-match'] === etag) return await reply.code(304).send()
    return await reply.type('text/javascript; charset=utf-8').send(script)
  })
}
