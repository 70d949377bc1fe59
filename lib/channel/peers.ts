// The transports a browser can be reached over, each behind the hub's one small interface.
// No Fastify here: a peer wraps a `ws` socket or a raw `node:http` response.
import type { ServerResponse } from 'node:http'
import { WebSocket } from 'ws'
import type { ServerMessage } from '../../types/index.js'
import type { Transport } from '../metrics.js'

/**
 * How one message goes on the wire for one kind of peer: zero or more frames. The hub calls
 * it once per message for each kind of peer connected, never once per peer.
 */
export type Framing = (message: ServerMessage, json: string) => readonly string[]

/** One connected client, whatever carries its messages: all the hub knows of it. */
export interface Peer {
  readonly framing: Framing
  readonly transport: Transport
  /** Bytes accepted but not yet sent: past the hub's bound, the peer has stopped reading. */
  readonly buffered: number
  /** Whether frames written now can be sent. */
  readonly isOpen: boolean
  write (frame: string): void
  /** One heartbeat; false when the peer missed the previous one (the hub then terminates it). */
  beat (): boolean
  /** Ends politely: WebSocket close `code` (1001, going away, unless given), or the end of the event stream. */
  close (code?: number, reason?: string): void
  /** Ends at once, without waiting for the peer. */
  terminate (): void
  /** Runs once when the peer is gone, whatever ended it. */
  onClose (listener: () => void): void
  /**
   * Only on peers whose client must speak first (LiveReload 7): runs `listener` once the client
   * has. Until then the hub does not count the peer as a client, and drops it at a deadline.
   */
  onGreeted? (listener: () => void): void
}

/** Our own protocol over WebSocket: one JSON text frame per message. */
const jsonFrames: Framing = (_message, json) => [json]

/** Our own protocol as Server-Sent Events: the type as the event name, the JSON as its data. */
const sseFrames: Framing = (message, json) => [`event: ${message.type}\ndata: ${json}\n\n`]

/**
 * A `ws` socket as a peer. Frames the client sends are ignored, except that one larger than
 * `maxFrameBytes` closes it (1009); `onFrame`, if given, sees the other text frames, and
 * `onBinary` is told of a binary one.
 */
export function webSocketPeer (socket: WebSocket, options: { maxFrameBytes: number, framing?: Framing, transport?: Transport, onFrame?: (data: string) => void, onBinary?: () => void }): Peer {
  let isAlive = true
  socket.on('pong', () => { isAlive = true })
  limitFrames(socket, options.maxFrameBytes)
  socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    const bytes = data as Buffer // ws's default binaryType, 'nodebuffer', which nothing here changes
    /* c8 ignore next: limitFrames refuses these first; kept in case ws internals change */
    if (bytes.byteLength > options.maxFrameBytes) socket.close(1009, 'frame too large')
    else if (!isBinary) options.onFrame?.(bytes.toString())
    else options.onBinary?.()
  })
  return {
    framing: options.framing ?? jsonFrames,
    transport: options.transport ?? 'websocket',
    get buffered () { return socket.bufferedAmount },
    get isOpen () { return socket.readyState === WebSocket.OPEN },
    write: frame => socket.send(frame),
    beat () {
      if (!isAlive) return false
      isAlive = false
      socket.ping()
      return true
    },
    close: (code = 1001, reason = 'server shutting down') => socket.close(code, reason),
    terminate: () => socket.terminate(),
    onClose: listener => { socket.once('close', listener) }
  }
}

/**
 * ws has no per-socket maxPayload (a way to change it on an open socket was declined:
 * https://github.com/websockets/ws/pull/1473), and the server is shared with the host's own
 * WebSocket routes, so we bound this socket's receiver (ws 8 internals): a frame, or fragments,
 * whose total passes the limit is refused with 1009 from its header, before the payload is
 * buffered. The per-message check in webSocketPeer() stays as the fallback should the internals change.
 */
function limitFrames (socket: WebSocket, maxBytes: number): void {
  const receiver = (socket as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver
  if (typeof receiver?._maxPayload === 'number') receiver._maxPayload = maxBytes
}

/** Sent first on every event stream: how long EventSource waits before it reconnects (ms). */
const SSE_RETRY_MS = 1000

/**
 * An HTTP response, already hijacked from Fastify, as a Server-Sent Events peer. Heartbeats are
 * comments: they keep proxies from timing the stream out, and a dead peer shows up as a write
 * error or as a growing buffer (the stream has no pong to wait for).
 */
export function ssePeer (response: ServerResponse): Peer {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store, no-transform',
    'x-accel-buffering': 'no', // nginx: pass events through, do not buffer them
    'x-content-type-options': 'nosniff'
  })
  response.write(`retry: ${SSE_RETRY_MS}\n\n`)
  const write = (text: string): void => { if (!response.writableEnded) response.write(text) }
  return {
    framing: sseFrames,
    transport: 'sse',
    get buffered () { return response.writableLength },
    get isOpen () { return !response.writableEnded && !response.destroyed },
    write,
    beat () {
      write(': ping\n\n')
      return true
    },
    close: () => { response.end() },
    terminate: () => { response.destroy() },
    onClose: listener => { response.once('close', listener) }
  }
}
