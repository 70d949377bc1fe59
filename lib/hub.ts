import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { WebSocket } from 'ws'
import type { BroadcastMessage } from '../types/index.js'
import type { ResolvedOptions } from './options.js'

export interface HubTiming {
  /** Ping interval; a client that missed the previous ping is terminated (ms). */
  heartbeatMs: number
  /** A client with more than this many bytes waiting is terminated: it stopped reading. */
  maxBufferedBytes: number
  /** Clients send nothing that matters: a frame larger than this closes the client (1009). */
  maxFrameBytes: number
  /** closeAll() terminates clients that have not answered the close frame after this (ms). */
  closeGraceMs: number
}

export const DEFAULT_TIMING: HubTiming = Object.freeze({
  heartbeatMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
  maxFrameBytes: 1024,
  closeGraceMs: 200
})

export interface Hub {
  /** Id of this server start, sent in `hello`. */
  readonly instance: string
  /** Connected clients. */
  readonly size: number
  /** Messages broadcast so far (`hello` excluded). */
  readonly messages: number
  /** True when `maxClients` are connected: the channel route refuses more with 503. */
  isFull (): boolean
  /** Takes an open socket: sends `hello` (and the standing `error`, if any), tracks it until it closes. */
  add (socket: WebSocket): void
  /** Serialises once and sends to every open client. */
  broadcast (message: BroadcastMessage): void
  /** Closes every client with 1001; resolves once all are gone (stragglers are terminated). */
  closeAll (): Promise<void>
}

/** The connected browsers, and everything sent to them. No Fastify here beyond the logger. */
export function createHub (
  options: Pick<ResolvedOptions, 'maxClients'>,
  log: FastifyBaseLogger,
  timing: HubTiming = DEFAULT_TIMING
): Hub {
  const instance = randomBytes(9).toString('base64url')
  const clients = new Set<WebSocket>()
  const alive = new WeakSet<WebSocket>()
  let heartbeat: NodeJS.Timeout | undefined
  let messages = 0
  let standingError: string | null = null
  let closing: Promise<void> | undefined

  function send (socket: WebSocket, data: string): void {
    if (socket.readyState !== WebSocket.OPEN) return
    if (socket.bufferedAmount > timing.maxBufferedBytes) {
      log.debug({ buffered: socket.bufferedAmount }, 'client stopped reading: terminated')
      socket.terminate()
      return
    }
    socket.send(data)
  }

  // One timer for all clients, running only while there are clients: idle costs nothing.
  function beat (): void {
    for (const socket of clients) {
      if (!alive.has(socket)) {
        log.debug('client missed a heartbeat: terminated')
        socket.terminate()
        continue
      }
      alive.delete(socket)
      socket.ping()
    }
  }

  function remove (socket: WebSocket): void {
    clients.delete(socket)
    log.debug({ clients: clients.size }, 'client disconnected')
    if (clients.size === 0) {
      clearInterval(heartbeat)
      heartbeat = undefined
    }
  }

  return {
    instance,
    get size () { return clients.size },
    get messages () { return messages },
    isFull: () => clients.size >= options.maxClients,
    add (socket) {
      socket.on('error', err => log.debug({ err }, 'client socket error'))
      if (closing !== undefined) {
        socket.terminate()
        return
      }
      clients.add(socket)
      alive.add(socket)
      socket.on('pong', () => alive.add(socket))
      limitFrames(socket, timing.maxFrameBytes)
      socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => { /* c8 ignore next 2: limitFrames refuses these first; kept in case ws internals change */
        const size = Array.isArray(data) ? data.reduce((n, part) => n + part.length, 0) : data.byteLength
        if (size > timing.maxFrameBytes) socket.close(1009, 'frame too large')
      })
      socket.on('close', () => remove(socket))
      heartbeat ??= setInterval(beat, timing.heartbeatMs).unref()
      send(socket, JSON.stringify({ type: 'hello', protocol: 1, instance }))
      if (standingError !== null) send(socket, standingError)
      log.debug({ clients: clients.size }, 'client connected')
    },
    broadcast (message) {
      const data = JSON.stringify(message) // once, not per client: every tab gets the same bytes
      messages++
      if (message.type === 'error') standingError = data
      else if (message.type !== 'building') standingError = null
      for (const socket of clients) send(socket, data)
    },
    closeAll () {
      closing ??= new Promise<void>(resolve => {
        clearInterval(heartbeat)
        if (clients.size === 0) return resolve()
        const grace = setTimeout(() => { for (const socket of clients) socket.terminate() }, timing.closeGraceMs).unref()
        let open = clients.size
        for (const socket of clients) {
          socket.once('close', () => {
            if (--open === 0) {
              clearTimeout(grace)
              resolve()
            }
          })
          socket.close(1001, 'server shutting down')
        }
      })
      return closing
    }
  }
}

/**
 * ws has no per-socket maxPayload, and the server is shared with the host's own WebSocket
 * routes, so we bound this socket's receiver (ws 8 internals): a frame, or fragments, whose
 * total passes the limit is refused with 1009 from its header, before the payload is buffered.
 * The per-message check in add() stays as the fallback should the internals change.
 */
function limitFrames (socket: WebSocket, maxBytes: number): void {
  const receiver = (socket as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver
  if (typeof receiver?._maxPayload === 'number') receiver._maxPayload = maxBytes
}
