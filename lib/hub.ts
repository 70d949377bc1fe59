// STUB: replaced by the hub implementation. Connected clients, broadcast, heartbeat, limits.
import type { FastifyBaseLogger } from 'fastify'
import type { WebSocket } from 'ws'
import type { BroadcastMessage } from '../types/index.js'
import type { ResolvedOptions } from './options.js'

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

export function createHub (_options: Pick<ResolvedOptions, 'maxClients'>, _log: FastifyBaseLogger): Hub {
  throw new Error('not implemented')
}
