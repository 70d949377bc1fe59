import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { WebSocket } from 'ws'
import type { BroadcastMessage, ServerMessage } from '../../types/index.js'
import type { Metrics } from '../metrics.js'
import type { ResolvedOptions } from '../options.js'
import { decideAfter, realWorld, type World } from '../world.js'
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
 * The world's clock and timers: the hub's waits (heartbeat, handshake, close grace) and the sync
 * relay's rates run on them. A deadline is decided a turn after its timer (`defer`): an event
 * loop held up past it runs its timers before it reads its sockets, and the hello or pong that
 * came in time would be read only after the socket was dropped for the lack of it.
 */
export type Timers = Pick<World, 'now' | 'setTimer' | 'clearTimer' | 'defer'>

/**
 * The connected browsers, and everything sent to them. No Fastify here beyond the logger.
 * `metrics`, when on, counts clients by transport and messages by type; `timers` are the
 * world's (the plugin's, or a test's fake clock).
 */
export function createHub (
  options: Pick<ResolvedOptions, 'maxClients'> & Partial<Pick<ResolvedOptions, 'sync'>>,
  log: FastifyBaseLogger,
  tuning: Partial<HubTiming> = {},
  metrics: Metrics | null = null,
  timers: Timers = realWorld
): Hub {
  const sync = options.sync ?? null
  const state: HubState = {
    maxClients: options.maxClients,
    sync,
    timing: { ...DEFAULT_TIMING, ...(sync === null ? {} : { maxFrameBytes: SYNC_MAX_FRAME_BYTES }), ...tuning },
    log,
    metrics,
    timers,
    instance: randomBytes(9).toString('base64url'),
    peers: new Set(),
    pending: new Set(),
    heartbeat: undefined,
    messages: 0,
    standingError: null,
    closing: undefined,
    listeners: []
  }
  // With `sync`, what a tab sends goes to the tabs on its page; without, frames are ignored.
  const relay = sync === null
    ? null
    : createSyncRelay(sync, (peer, json) => send(state, peer, [json]), (peer, reason) => {
      log.debug({ reason }, 'client closed')
      peer.close(1008, reason)
    }, timers.now)

  return {
    get instance () { return state.instance },
    get size () { return state.peers.size },
    get messages () { return state.messages },
    isFull: () => state.peers.size >= options.maxClients,
    add (client) {
      if (client instanceof WebSocket) client.on('error', err => log.debug({ err }, 'client socket error'))
      const peer: Peer = client instanceof WebSocket
        ? webSocketPeer(client, { ...state.timing, onFrame: relay === null ? undefined : data => relay.receive(peer, data) })
        : client
      if (peer.onGreeted !== undefined && state.closing === undefined) awaitGreeting(state, peer, peer.onGreeted)
      else admit(state, peer)
    },
    broadcast: message => broadcast(state, message),
    closeAll: () => closeAll(state),
    adopt (id) { state.instance = id },
    restore (standing) { state.standingError = standing?.type === 'error' ? standing : null },
    onBroadcast (listener) { state.listeners.push(listener) }
  }
}

/** What the hub's parts share: its settings, its clients, and the state they change. */
interface HubState {
  readonly maxClients: number
  readonly sync: ResolvedOptions['sync'] | null
  readonly timing: HubTiming
  readonly log: FastifyBaseLogger
  readonly metrics: Metrics | null
  readonly timers: Timers
  instance: string
  readonly peers: Set<Peer>
  /** Connected, not yet greeted: not clients, so a socket that never speaks cannot hold a place. */
  readonly pending: Set<Peer>
  /** The heartbeat's timer while there are clients; undefined: none runs. */
  heartbeat: unknown
  messages: number
  standingError: ServerMessage | null
  closing: Promise<void> | undefined
  readonly listeners: Array<(message: BroadcastMessage) => void>
}

function send ({ timing, log }: HubState, peer: Peer, frames: readonly string[]): void {
  if (!peer.isOpen) return
  if (peer.buffered > timing.maxBufferedBytes) {
    log.debug({ buffered: peer.buffered }, 'client stopped reading: terminated')
    peer.terminate()
    return
  }
  for (const frame of frames) peer.write(frame)
}

// One timer for all clients, running only while there are clients: idle costs nothing.
function startHeartbeat (state: HubState): void {
  if (state.heartbeat !== undefined) return
  const schedule = (): void => {
    const timer: unknown = decideAfter(state.timers, () => {
      if (state.heartbeat !== timer) return // stopped (the last client gone, or close) meanwhile
      for (const peer of state.peers) {
        if (peer.buffered > state.timing.maxBufferedBytes || !peer.beat()) {
          state.log.debug('client missed a heartbeat: terminated')
          peer.terminate()
        }
      }
      if (state.heartbeat === timer) schedule() // not stopped by what was terminated
    }, state.timing.heartbeatMs)
    state.heartbeat = timer
  }
  schedule()
}

function stopHeartbeat (state: HubState): void {
  if (state.heartbeat !== undefined) state.timers.clearTimer(state.heartbeat)
  state.heartbeat = undefined
}

function remove (state: HubState, peer: Peer): void {
  state.peers.delete(peer)
  state.metrics?.clientRemoved(peer.transport)
  state.log.debug({ clients: state.peers.size }, 'client disconnected')
  if (state.peers.size === 0) stopHeartbeat(state)
}

// Until it is greeted, a peer waits here; the deadline and the bound keep a page that opens
// sockets and stays silent (any page on this host name may) from piling them up.
function awaitGreeting (state: HubState, peer: Peer, onGreeted: NonNullable<Peer['onGreeted']>): void {
  const { pending, peers, maxClients, timing, log, timers } = state
  if (pending.size >= maxClients) {
    const [oldest] = pending
    log.debug('too many clients waiting for their handshake: the oldest terminated')
    pending.delete(oldest)
    oldest.terminate()
  }
  pending.add(peer)
  const deadline = decideAfter(timers, () => {
    if (!pending.has(peer)) return // its hello was read in this turn, after the timer
    log.debug({ ms: timing.handshakeMs }, 'client sent no handshake in time: terminated')
    peer.terminate()
  }, timing.handshakeMs)
  const settle = (): void => {
    timers.clearTimer(deadline)
    pending.delete(peer)
  }
  peer.onClose(settle)
  onGreeted(() => {
    settle()
    // The upgrade was let through while this peer was no client: the places may be taken since.
    if (peers.size < maxClients) return admit(state, peer)
    log.debug({ clients: peers.size }, 'client refused after its handshake: maxClients reached')
    peer.terminate()
  })
}

function admit (state: HubState, peer: Peer): void {
  if (state.closing !== undefined) return peer.terminate()
  state.peers.add(peer)
  state.metrics?.clientAdded(peer.transport)
  peer.onClose(() => remove(state, peer))
  startHeartbeat(state)
  const hello: ServerMessage = state.sync === null ? { type: 'hello', protocol: 1, instance: state.instance } : { type: 'hello', protocol: 1, instance: state.instance, sync: state.sync }
  send(state, peer, peer.framing(hello, JSON.stringify(hello)))
  if (state.standingError !== null) send(state, peer, peer.framing(state.standingError, JSON.stringify(state.standingError)))
  state.log.debug({ clients: state.peers.size }, 'client connected')
}

function broadcast (state: HubState, message: BroadcastMessage): void {
  const json = JSON.stringify(message) // once, not per client: every tab gets the same bytes
  const framed = new Map<Framing, readonly string[]>()
  state.messages++
  state.metrics?.sent(message.type)
  for (const listener of state.listeners) listener(message)
  const standing = standingAfter(message)
  if (standing !== 'keep') state.standingError = standing === 'set' ? message : null
  for (const peer of state.peers) {
    let frames = framed.get(peer.framing)
    if (frames === undefined) framed.set(peer.framing, frames = peer.framing(message, json))
    send(state, peer, frames)
  }
}

function closeAll (state: HubState): Promise<void> {
  const { peers, pending, timing, timers } = state
  state.closing ??= new Promise<void>(resolve => {
    stopHeartbeat(state)
    for (const peer of pending) peer.terminate() // not clients: nothing to say goodbye to
    if (peers.size === 0) return resolve()
    const grace = timers.setTimer(() => { for (const peer of peers) peer.terminate() }, timing.closeGraceMs)
    let open = peers.size
    for (const peer of peers) {
      peer.onClose(() => {
        if (--open === 0) {
          timers.clearTimer(grace)
          resolve()
        }
      })
      peer.close()
    }
  })
  return state.closing
}
