import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { WebSocket } from 'ws'
import type { BroadcastMessage, ServerMessage } from '../../types/index.js'
import type { Metrics } from '../metrics.js'
import type { ResolvedOptions } from '../options.js'
import { webSocketPeer, type Framing, type Peer } from './peers.js'
import { createSyncRelay, SYNC_MAX_FRAME_BYTES } from './sync-relay.js'

export interface HubTiming {
  /** Heartbeat interval: a WebSocket that missed the previous ping is terminated, an event stream gets a comment (ms). */
  heartbeatMs: number
  /** A client with more than this many bytes waiting is terminated: it stopped reading. */
  maxBufferedBytes: number
  /** A frame larger than this closes the client (1009): 1 KiB, or 16 KiB with `sync` (a tab's typed text). */
  maxFrameBytes: number
  /** closeAll() terminates clients that have not answered the close frame after this (ms). */
  closeGraceMs: number
  /** A peer that must speak first (LiveReload 7) and has not after this is terminated (ms). */
  handshakeMs: number
}

/** How long a peer that must speak first (LiveReload 7) may stay silent (ms); docs/ say it in seconds. */
export const HANDSHAKE_DEADLINE_MS = 5000

const DEFAULT_TIMING: HubTiming = Object.freeze({
  heartbeatMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
  maxFrameBytes: 1024,
  closeGraceMs: 200,
  // livereload-js and the extensions say hello as soon as the socket opens: seconds are plenty.
  handshakeMs: HANDSHAKE_DEADLINE_MS
})

export interface Hub {
  /** Id of this server start, sent in `hello` (a cluster's, shared by its processes, once adopted). */
  readonly instance: string
  /** Connected clients (a peer that must speak first counts once it has). */
  readonly size: number
  /** Messages broadcast so far (`hello` excluded). */
  readonly messages: number
  /** True when `maxClients` are connected: the channel routes refuse more with 503. */
  isFull (): boolean
  /**
   * Takes a connected client (a bare WebSocket speaks our own protocol): sends `hello` (and the
   * standing `error`, if any), tracks it until it closes. A peer with `onGreeted` becomes a
   * client only once greeted; it is terminated if it has not been within `handshakeMs`, and
   * when `maxClients` such peers wait, the oldest gives way.
   */
  add (client: WebSocket | Peer): void
  /** Serialises once, frames once per kind of client, and sends to every open client. */
  broadcast (message: BroadcastMessage): void
  /** Closes every client (1001, or the end of its stream); resolves once all are gone (stragglers are terminated). */
  closeAll (): Promise<void>
  /** Says `instance` in every `hello` from now on (the cluster's, read from Redis). */
  adopt (instance: string): void
  /** Replaces the standing `error` new clients get (the cluster's, read from Redis), sending nothing. */
  restore (standing: BroadcastMessage | null): void
  /** Calls `listener` with every message broadcast from now on, before it is sent. */
  onBroadcast (listener: (message: BroadcastMessage) => void): void
}

/**
 * What `message` does to the standing error new clients are sent: an `error` sets it, `building`
 * keeps it, anything else ends it. The hub's own copy, and the cluster's in Redis, follow it.
 */
export function standingAfter (message: BroadcastMessage): 'set' | 'keep' | 'del' {
  if (message.type === 'error') return 'set'
  return message.type === 'building' ? 'keep' : 'del'
}

/**
 * The connected browsers, and everything sent to them. No Fastify here beyond the logger.
 * `metrics`, when on, counts clients by transport and messages by type.
 */
export function createHub (
  options: Pick<ResolvedOptions, 'maxClients'> & Partial<Pick<ResolvedOptions, 'sync'>>,
  log: FastifyBaseLogger,
  tuning: Partial<HubTiming> = {},
  metrics: Metrics | null = null
): Hub {
  const sync = options.sync ?? null
  const timing: HubTiming = { ...DEFAULT_TIMING, ...(sync === null ? {} : { maxFrameBytes: SYNC_MAX_FRAME_BYTES }), ...tuning }
  let instance = randomBytes(9).toString('base64url')
  const peers = new Set<Peer>()
  /** Connected, not yet greeted: not clients, so a socket that never speaks cannot hold a place. */
  const pending = new Set<Peer>()
  let heartbeat: NodeJS.Timeout | undefined
  let messages = 0
  let standingError: ServerMessage | null = null
  let closing: Promise<void> | undefined
  const listeners: Array<(message: BroadcastMessage) => void> = []
  // With `sync`, what a tab sends goes to the tabs on its page; without, frames are ignored.
  const relay = sync === null
    ? null
    : createSyncRelay(sync, (peer, json) => send(peer, [json]), (peer, reason) => {
      log.debug({ reason }, 'client closed')
      peer.close(1008, reason)
    })

  function send (peer: Peer, frames: readonly string[]): void {
    if (!peer.isOpen) return
    if (peer.buffered > timing.maxBufferedBytes) {
      log.debug({ buffered: peer.buffered }, 'client stopped reading: terminated')
      peer.terminate()
      return
    }
    for (const frame of frames) peer.write(frame)
  }

  // One timer for all clients, running only while there are clients: idle costs nothing.
  function beat (): void {
    for (const peer of peers) {
      if (peer.buffered > timing.maxBufferedBytes || !peer.beat()) {
        log.debug('client missed a heartbeat: terminated')
        peer.terminate()
      }
    }
  }

  function remove (peer: Peer): void {
    peers.delete(peer)
    metrics?.clientRemoved(peer.transport)
    log.debug({ clients: peers.size }, 'client disconnected')
    if (peers.size === 0) {
      clearInterval(heartbeat)
      heartbeat = undefined
    }
  }

  // Until it is greeted, a peer waits here; the deadline and the bound keep a page that opens
  // sockets and stays silent (any page on this host name may) from piling them up.
  function awaitGreeting (peer: Peer, onGreeted: NonNullable<Peer['onGreeted']>): void {
    if (pending.size >= options.maxClients) {
      const [oldest] = pending
      log.debug('too many clients waiting for their handshake: the oldest terminated')
      pending.delete(oldest)
      oldest.terminate()
    }
    pending.add(peer)
    const deadline = setTimeout(() => {
      log.debug({ ms: timing.handshakeMs }, 'client sent no handshake in time: terminated')
      peer.terminate()
    }, timing.handshakeMs).unref()
    const settle = (): void => {
      clearTimeout(deadline)
      pending.delete(peer)
    }
    peer.onClose(settle)
    onGreeted(() => {
      settle()
      // The upgrade was let through while this peer was no client: the places may be taken since.
      if (peers.size < options.maxClients) return admit(peer)
      log.debug({ clients: peers.size }, 'client refused after its handshake: maxClients reached')
      peer.terminate()
    })
  }

  function admit (peer: Peer): void {
    if (closing !== undefined) return peer.terminate()
    peers.add(peer)
    metrics?.clientAdded(peer.transport)
    peer.onClose(() => remove(peer))
    heartbeat ??= setInterval(beat, timing.heartbeatMs).unref()
    const hello: ServerMessage = sync === null ? { type: 'hello', protocol: 1, instance } : { type: 'hello', protocol: 1, instance, sync }
    send(peer, peer.framing(hello, JSON.stringify(hello)))
    if (standingError !== null) send(peer, peer.framing(standingError, JSON.stringify(standingError)))
    log.debug({ clients: peers.size }, 'client connected')
  }

  return {
    get instance () { return instance },
    get size () { return peers.size },
    get messages () { return messages },
    isFull: () => peers.size >= options.maxClients,
    add (client) {
      if (client instanceof WebSocket) client.on('error', err => log.debug({ err }, 'client socket error'))
      const peer: Peer = client instanceof WebSocket
        ? webSocketPeer(client, { ...timing, onFrame: relay === null ? undefined : data => relay.receive(peer, data) })
        : client
      if (peer.onGreeted !== undefined && closing === undefined) awaitGreeting(peer, peer.onGreeted)
      else admit(peer)
    },
    broadcast (message) {
      const json = JSON.stringify(message) // once, not per client: every tab gets the same bytes
      const framed = new Map<Framing, readonly string[]>()
      messages++
      metrics?.sent(message.type)
      for (const listener of listeners) listener(message)
      const standing = standingAfter(message)
      if (standing !== 'keep') standingError = standing === 'set' ? message : null
      for (const peer of peers) {
        let frames = framed.get(peer.framing)
        if (frames === undefined) framed.set(peer.framing, frames = peer.framing(message, json))
        send(peer, frames)
      }
    },
    closeAll () {
      closing ??= new Promise<void>(resolve => {
        clearInterval(heartbeat)
        for (const peer of pending) peer.terminate() // not clients: nothing to say goodbye to
        if (peers.size === 0) return resolve()
        const grace = setTimeout(() => { for (const peer of peers) peer.terminate() }, timing.closeGraceMs).unref()
        let open = peers.size
        for (const peer of peers) {
          peer.onClose(() => {
            if (--open === 0) {
              clearTimeout(grace)
              resolve()
            }
          })
          peer.close()
        }
      })
      return closing
    },
    adopt (id) { instance = id },
    restore (standing) { standingError = standing?.type === 'error' ? standing : null },
    onBroadcast (listener) { listeners.push(listener) }
  }
}
