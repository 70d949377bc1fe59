import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import WebSocket from 'ws'
import type { ServerMessage } from '../../types/index.js'

export interface ChannelClient {
  ws: WebSocket
  /** Every message received so far, `hello` included. */
  messages: ServerMessage[]
  /** Resolves with the next message of that type (received from now on). */
  next<T extends ServerMessage['type']> (type: T): Promise<Extract<ServerMessage, { type: T }>>
  close (): Promise<void>
}

/** Listens on a loopback port if needed and connects a real WebSocket client to the channel. */
export async function connectChannel (app: FastifyInstance, path = '/__livereload'): Promise<ChannelClient> {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`)
  const messages: ServerMessage[] = []
  const waiters: Array<{ type: string, resolve: (m: ServerMessage) => void }> = []
  ws.on('message', data => {
    const message = JSON.parse(String(data)) as ServerMessage
    messages.push(message)
    for (const waiter of waiters.filter(w => w.type === message.type)) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(message)
    }
  })
  const hello = new Promise<ServerMessage>(resolve => waiters.push({ type: 'hello', resolve }))
  await once(ws, 'open')
  await hello
  return {
    ws,
    messages,
    next: type => new Promise(resolve => waiters.push({ type, resolve: resolve as (m: ServerMessage) => void })),
    async close () {
      if (ws.readyState === WebSocket.CLOSED) return
      const closed = once(ws, 'close')
      ws.close()
      await closed
    }
  }
}
