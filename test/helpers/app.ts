import type { Http2Server } from 'node:http2'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyHttp2Options, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { Test } from 'tap'

/**
 * The one way a test makes a Fastify app: closed when the test ends. Its teardown goes on
 * before the test makes anything else, so the app closes (watchers, builders, sockets) while
 * the test's fixture directory still exists (see fixture.ts). Closing twice is harmless: a
 * test about app.close() may close it itself. (An HTTP/2 app is typed as an HTTP/1 one: the
 * tests use only what both have.) Its first build is waited for however long the machine takes:
 * past most of Fastify's pluginTimeout (10 s) register would return with the build still running
 * (index.ts firstBuild), which a loaded machine reached; a test of that sets its own pluginTimeout.
 */
export function testApp (t: Test, options: FastifyServerOptions | FastifyHttp2Options<Http2Server> = {}): FastifyInstance {
  const app = Fastify({ pluginTimeout: 0, ...options } as FastifyServerOptions)
  t.teardown(() => app.close())
  return app
}

/** Listens on 127.0.0.1 (port 0: any free one) and returns the port. */
export async function listen (app: FastifyInstance, port = 0): Promise<number> {
  await app.listen({ port, host: '127.0.0.1' })
  return (app.server.address() as AddressInfo).port
}
