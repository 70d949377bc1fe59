import { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import fastifyWebsocket from '@fastify/websocket'
import type { FastifyInstance } from 'fastify'
import { ServerResponse } from '../node-http.js'
import { isPassiveUpgradeListener } from './upgrades.js'

type InjectWS = FastifyInstance['injectWS']

/** The channel's own injectWS, for the test harness, by the controller of the app it serves. */
const injectors = new WeakMap<object, InjectWS>()

/** How the test harness reaches the channel of the app whose controller is `controller` without a socket. */
export function injectorOf (controller: object): InjectWS | undefined {
  return injectors.get(controller)
}

/**
 * @fastify/websocket for the channel's routes (`channel`, an encapsulated context of `app`),
 * kept out of the app, so that the app's own WebSocket setup is the same with the plugin and
 * without it: a `{ websocket: true }` route of the app is not served unless the app registers
 * @fastify/websocket itself, and the app may register it before the plugin or after.
 *
 * One router of upgrades per server: @fastify/websocket routes every upgrade it hears through
 * Fastify, so two of them would answer each one twice. Ours hears only what this listener hands
 * it, through an emitter of its own: the channel's upgrades, and none once the app has its own
 * (registered after us: before us, the channel simply uses it), which routes ours to the channel's
 * routes as it routes its own. An upgrade that is not the channel's, with no one else listening,
 * is answered as Node answers it without any listener: as a plain request.
 */
export async function channelWebsocket (channel: FastifyInstance, app: FastifyInstance, controller: object, isChannel: (url: string) => boolean): Promise<void> {
  if (!app.hasDecorator('websocketServer')) {
    const upgrades = new EventEmitter()
    await channel.register(fastifyWebsocket, { options: { server: upgrades as never } })
    const { server } = app
    const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
      if (app.hasDecorator('websocketServer')) return // the app's own, registered after us
      if (isChannel(request.url ?? '')) {
        upgrades.emit('upgrade', request, socket, head)
      } else if (server.listeners('upgrade').every(listener => listener === onUpgrade || isPassiveUpgradeListener(listener))) {
        asPlainRequest(server, request, socket)
      }
    }
    server.on('upgrade', onUpgrade)
    channel.addHook('onClose', async () => { server.removeListener('upgrade', onUpgrade) })
  }
  injectors.set(controller, channel.injectWS.bind(channel))
}

/** What Node does with an upgrade request when no one listens for upgrades: the app answers it as a request. */
function asPlainRequest (server: EventEmitter, request: IncomingMessage, socket: Duplex): void {
  const response = new ServerResponse(request)
  response.shouldKeepAlive = false
  response.assignSocket(socket as Socket)
  response.once('finish', () => socket.end())
  server.emit('request', request, response)
}
