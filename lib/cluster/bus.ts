// Redis pub/sub between the processes of a cluster. Every protocol message goes through Redis,
// the publisher's own included (it hears its own subscription): Redis hands all subscribers one
// order, so every process's browsers get the same messages, once each, in the same order.
import type { BroadcastMessage, BuildReport } from '../../types/index.js'
import { normalizeErrors } from '../build-errors.js'
import { standingAfter } from '../channel/hub.js'
import { MAX_PATHS } from '../pipeline/messages.js'
import type { ClusterKeys } from './keys.js'
import type { RedisLink } from './redis.js'

/** What goes on the control channel. */
export type ControlMessage =
  | { kind: 'build', id: string, from: string, full: boolean }
  | { kind: 'built', id: string, to: string, report: BuildReport }
  | { kind: 'released', from: string }

export interface Bus {
  /** Publishes `message` for every process's browsers; rejects when Redis cannot take it. */
  publish (message: BroadcastMessage): Promise<void>
  /** Publishes on the control channel; rejects when Redis cannot take it. */
  control (message: ControlMessage): Promise<void>
  /**
   * Subscribes (again: after an outage at start ioredis has nothing to subscribe again to, and
   * subscribing twice is harmless), then reads the standing error and hands it to `onStanding`.
   */
  join (): Promise<void>
}

export interface BusEvents {
  /** A message for this process's browsers, in the cluster's order. */
  onMessage (message: BroadcastMessage): void
  /** The standing error as Redis holds it (null: none), read after joining. */
  onStanding (message: BroadcastMessage | null): void
  /**
   * Messages were published while this process was not subscribed (an outage, a reconnection
   * later than the leader's): its browsers missed them, and what they show may be old.
   */
  onMissed (): void
  onControl (message: ControlMessage): void
}

interface Envelope { seq: number, from: string, message: BroadcastMessage }

export function createBus (link: RedisLink, keys: ClusterKeys, id: string, ttl: number, events: BusEvents): Bus {
  // The newest message delivered: a standing error read from Redis older than it is stale.
  let delivered = 0
  link.subscriber.on('message', (channel: string, text: string) => {
    try {
      if (channel === keys.messages) {
        const envelope = JSON.parse(text) as Envelope
        const message = broadcastOf(envelope.message)
        if (message === null) throw new Error(`cluster: a message on ${keys.messages} that is not one of ours`)
        delivered = envelope.seq
        events.onMessage(message)
      } else if (channel === keys.control) {
        events.onControl(JSON.parse(text) as ControlMessage)
      }
    } catch (err) {
      link.failed(err) // a stranger's message on our channel: logged, never thrown under ioredis
    }
  })

  return {
    async publish (message) {
      await link.commands.lrPublish(keys.seq, keys.error, keys.messages, JSON.stringify({ from: id, message }), standingAfter(message), ttl)
    },
    async control (message) {
      await link.commands.publish(keys.control, JSON.stringify(message))
    },
    async join () {
      await link.subscriber.subscribe(keys.messages, keys.control)
      const before = delivered
      delivered = 0 // Redis may have restarted empty: its numbers start over
      // The number of the last message published: another than the last this process delivered
      // (higher, or lower after Redis restarted empty) means some went by unheard. Read after the
      // subscription, so a message counted here is either delivered or missed, never both.
      const last = Number(await link.commands.get(keys.seq) ?? 0)
      if (last > 0 && last !== before && delivered === 0) events.onMissed()
      const text = await link.commands.get(keys.error)
      const standing = text === null ? null : JSON.parse(text) as Envelope
      if (standing === null && delivered === 0) events.onStanding(null)
      else if (standing !== null && standing.seq > delivered) events.onStanding(broadcastOf(standing.message)) // a key anyone with that Redis can set
    }
  }
}

/**
 * `value` as a message for the browsers, rebuilt from its checked fields; null if it is not one.
 * Whoever can publish on that Redis channel reaches every process's browsers through it: a `hello`
 * (another instance: every tab would reload) or a `sync` event never passes, and nothing passes
 * as it came.
 */
export function broadcastOf (value: unknown): BroadcastMessage | null {
  const message = value as Record<string, unknown> | null
  if (message === null || typeof message !== 'object') return null
  const paths = (list: unknown): string[] | null => Array.isArray(list) && list.every(path => typeof path === 'string') ? list.slice(0, MAX_PATHS) : null
  switch (message.type) {
    case 'building': {
      const changes = paths(message.changes)
      return changes === null ? null : { type: 'building', changes }
    }
    case 'reload':
    case 'img': {
      const list = paths(message.paths)
      return list === null ? null : { type: message.type, paths: list }
    }
    case 'css': {
      const list = paths(message.paths)
      // File paths, matched by suffix: sent as URL paths they would swap every stylesheet instead.
      return list === null ? null : message.files === true ? { type: 'css', paths: list, files: true } : { type: 'css', paths: list }
    }
    case 'error':
      return Array.isArray(message.errors) ? { type: 'error', errors: normalizeErrors(message.errors) } : null
    case 'clear':
      return { type: 'clear' }
    default:
      return null
  }
}
