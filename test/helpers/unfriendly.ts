// serveSite `setup`s for the fallback tests: what stands between a page and its WebSocket in the
// wild, each as an onRequest hook put on before the plugin, so the channel routes inherit it and
// it runs ahead of the upgrade. Each counts the upgrade requests that reached the server.
import { once } from 'node:events'
import type { FastifyInstance } from 'fastify'

type Setup = (app: FastifyInstance) => void

/** A proxy that does not pass Upgrade: WebSocket upgrades refused with 502 while `gate.isBlocked`. */
export function refuseUpgrades (gate: { isBlocked: boolean, refused: number }): Setup {
  return app => app.addHook('onRequest', async (request, reply) => {
    if (gate.isBlocked && request.headers.upgrade !== undefined) {
      gate.refused++
      return await reply.code(502).send('no upgrades through this proxy')
    }
  })
}

/** A proxy or firewall that holds an upgrade open without a word (no `error`, no `close`), until the page gives up. */
export function holdUpgrades (upgrades: { held: number }): Setup {
  return app => app.addHook('onRequest', async (request, reply) => {
    if (request.headers.upgrade === undefined) return
    upgrades.held++
    await once(request.raw.socket, 'close')
    reply.hijack()
  })
}

/**
 * Every response under a Content-Security-Policy whose connect-src allows the page's http origin
 * and not ws: ('self' would allow ws: to the same host too, in CSP 3). Firefox then throws from
 * `new WebSocket()`; Chromium fires `error`, within milliseconds, and no `close`. Neither sends
 * the upgrade request.
 */
export function forbidWebSockets (upgrades: { seen: number }): Setup {
  return app => app.addHook('onRequest', async (request, reply) => {
    if (request.headers.upgrade !== undefined) upgrades.seen++
    reply.header('content-security-policy', `connect-src http://${request.headers.host}`)
  })
}
