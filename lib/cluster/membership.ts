// Who is in the cluster: each process marks itself alive with its browser count, and learns the
// cluster's instance (the `hello` id browsers compare) and the count of all browsers.
import type { World } from '../world.js'
import type { ClusterKeys } from './keys.js'
import type { RedisLink } from './redis.js'

export interface Membership {
  /** The cluster's browsers, as of the last heartbeat (this process's own until the first). */
  readonly clients: number
  /** Live processes, as of the last heartbeat (0 before the first). */
  readonly members: number
  /** Beats now, then `intervalMs` after each beat's start; resolves after the first beat (failed or not). */
  resume (): Promise<void>
  pause (): void
  /** Stops, and leaves at once (a last one out lets the next start be a new cluster run). */
  close (): Promise<void>
}

export interface MembershipOf {
  /** Between two beats (ms). */
  intervalMs: number
  /** This process's browsers. */
  clients: () => number
  /**
   * This process's candidate (its current instance): it becomes the cluster's when no process is
   * alive, which is what a whole-cluster restart looks like.
   */
  instance: () => string
  /** Hears the cluster's instance after every beat. */
  onInstance: (instance: string) => void
}

/** This process's membership, beating on the world's timers. */
export function createMembership (link: RedisLink, keys: ClusterKeys, id: string, ttl: number, local: MembershipOf, timers: Pick<World, 'setTimer' | 'clearTimer'>): Membership {
  let clients = 0
  let members = 0
  let timer: unknown
  let isClosed = false

  const stop = (): void => {
    if (timer !== undefined) timers.clearTimer(timer)
    timer = undefined
  }
  /** The next beat, `intervalMs` after this one's start; each beat catches its own failure. */
  const every = (): void => {
    timer = timers.setTimer(() => {
      every()
      beat().catch(err => { link.failed(err, 'heartbeat') })
    }, local.intervalMs)
  }

  async function beat (): Promise<void> {
    if (isClosed || !link.isUp) return
    try {
      const [instance, total, alive] = await link.commands.lrHeartbeat(keys.members, keys.clients, keys.instance, keys.epoch, keys.seq, keys.error,
        id, ttl, local.clients(), local.instance())
      link.succeeded('heartbeat')
      if (isClosed) return
      clients = Number(total)
      members = Number(alive)
      local.onInstance(instance)
    } catch (err) {
      link.failed(err, 'heartbeat')
    }
  }

  return {
    get clients () { return members === 0 ? local.clients() : clients },
    get members () { return members },
    async resume () {
      stop()
      every()
      await beat()
    },
    pause: stop,
    async close () {
      if (isClosed) return
      isClosed = true
      stop()
      if (link.isUp) await link.commands.lrLeave(keys.members, keys.clients, id).catch(err => { link.failed(err, 'heartbeat') })
    }
  }
}
