import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { Hub } from './hub.js'

/** The upgrade listeners of trackUpgrades: they only watch, answer no upgrade, and so count for no one listening. */
const passive = new WeakSet<object>()
export const isPassiveUpgradeListener = (listener: object): boolean => passive.has(listener)

/**
 * Ends the upgrade sockets of a channel route when `fastify` closes, so that they cannot hold
 * `server.close()` open. An upgrade request that arrives while Fastify closes is answered 503
 * before any hook runs, and @fastify/websocket ends an upgrade socket only in its onResponse
 * hook, which that answer skips
 * (https://github.com/fastify/fastify-websocket/blob/e1ad31b11d632bf59548eb0acda5ab087e138ca2/index.js#L143-L148):
 * the socket stays open, and a browser reconnecting at the wrong moment would hang app.close().
 * So every upgrade socket under `path` is tracked until it closes; at preClose the clients are
 * closed first (politely, 1001: their sockets are among these), then the rest are destroyed, and
 * so is every later one.
 */
export function trackUpgrades (fastify: FastifyInstance, path: string, hub: Pick<Hub, 'closeAll'>): void {
  const { server } = fastify
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
  passive.add(onUpgrade)
  server.prependListener('upgrade', onUpgrade)
  fastify.addHook('preClose', async () => {
    await hub.closeAll() // idempotent: whichever channel plugin comes first closes every client
    isClosing = true
    for (const socket of sockets) socket.destroy()
  })
  fastify.addHook('onClose', async () => { server.removeListener('upgrade', onUpgrade) })
}
