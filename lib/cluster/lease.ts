// The leader's lease: one key in one Redis, taken with SET NX PX (in a script) and renewed by
// its holder only. A holder that cannot renew steps down before the key can expire, counted
// from when it sent its last successful renewal, so its builds end before another can start.
// A follower tries again when the key, as Redis last told it, expires: at once when its holder
// died, and otherwise to find it renewed.
import type { RedisLink } from './redis.js'

export interface Lease {
  /** Whether this process holds the lease now. */
  readonly isLeader: boolean
  /** The holder as last seen (this process's id when it leads), or null when unknown. */
  readonly leader: string | null
  /** Redis is reachable: try for the lease now, then each time it would expire. */
  resume (): void
  /** Redis is lost: stop trying (a leader keeps its deadline and steps down at it unless Redis returns). */
  pause (): void
  /** Try now, out of turn (the holder released it). */
  tryNow (): void
  /**
   * Stops, and gives the lease up (deleted in Redis when it is ours) so a follower takes it at
   * once: call it once this process has stopped building.
   */
  close (): Promise<void>
}

export interface LeaseEvents {
  /**
   * This process took the lease; `epoch` counts the leaders of this cluster run (1: the first).
   * `isLate`: a try before this one failed without an answer, and may have taken it then: this
   * process may have held it unknowingly meanwhile, when nobody watched.
   */
  onAcquired (epoch: number, isLate: boolean): void
  /** This process no longer holds it (could not renew, or found it taken): stop building now. */
  onLost (reason: string): void
  /** The holder changed (null: unknown). */
  onLeader (leader: string | null): void
}

/**
 * Timings, from the lease's time-to-live: renewals every quarter, and a step-down a third before
 * expiry (time for the running build to abort).
 */
export function leaseTimings (ttl: number): { renewMs: number, stepDownMs: number } {
  return { renewMs: Math.floor(ttl / 4), stepDownMs: ttl - Math.ceil(ttl / 3) }
}

export function createLease (link: RedisLink, keys: { lease: string, epoch: string }, id: string, ttl: number, events: LeaseEvents): Lease {
  const { renewMs, stepDownMs } = leaseTimings(ttl)
  let isLeader = false
  /** A try failed since the lease was last found held by another, or taken: see onAcquired's `isLate`. */
  let isUnanswered = false
  let leader: string | null = null
  let attempt: NodeJS.Timeout | undefined
  let renewal: NodeJS.Timeout | undefined
  let deadline: NodeJS.Timeout | undefined
  let isTrying = false
  /** Asked for a try while one was out: its answer may be older than what asked (a release). */
  let isAskedAgain = false
  let isClosed = false
  const failed = (err: unknown): void => { link.failed(err, 'lease') }

  function see (holder: string | null): void {
    if (holder === leader) return
    leader = holder
    events.onLeader(holder)
  }

  /** The lease is good until `sentAt` + ttl as Redis counts; we stop a margin before that. */
  function renewedAt (sentAt: number): void {
    clearTimeout(deadline)
    deadline = setTimeout(() => stepDown(`the lease could not be renewed for ${stepDownMs} ms`), Math.max(0, sentAt + stepDownMs - performance.now())).unref()
  }

  function stepDown (reason: string): void {
    if (!isLeader) return
    isLeader = false
    clearInterval(renewal)
    clearTimeout(deadline)
    see(null)
    events.onLost(reason)
    tryIn(0) // who holds it now, and when it expires
  }

  /** The next try, `ms` from now (the one timer a follower has). */
  function tryIn (ms: number): void {
    clearTimeout(attempt)
    if (isClosed) return
    attempt = setTimeout(() => { tryAcquire().catch(failed) }, ms).unref()
  }

  async function tryAcquire (): Promise<void> {
    if (isTrying) {
      isAskedAgain = true
      return
    }
    if (isLeader || isClosed || !link.isUp) return
    isTrying = true
    const sentAt = performance.now()
    try {
      const [won, value, expiresIn] = await link.commands.lrAcquire(keys.lease, keys.epoch, id, ttl)
      link.succeeded('lease')
      if (isClosed) return
      if (won === 1) {
        isLeader = true
        renewedAt(sentAt)
        renewal = setInterval(() => { renew().catch(failed) }, renewMs).unref()
        see(id)
        const isLate = isUnanswered
        isUnanswered = false
        events.onAcquired(value, isLate)
      } else {
        see(value)
        isUnanswered = false // another holds it: a try of ours that may have taken it took nothing that lasted
        // Counted from the reply, so never before Redis's own expiry (a key is gone the
        // millisecond after its time): a holder that died is replaced then, one that renews is
        // found holding again.
        tryIn(expiresIn >= 0 ? expiresIn + 1 : ttl) // -1: a key someone made without expiry
      }
    } catch (err) {
      failed(err)
      isUnanswered = true // Redis may have run it: the lease may be ours already
      if (link.isUp) tryIn(renewMs) // a command that failed on a live connection (a timeout, a refusal)
    } finally {
      isTrying = false
      if (isAskedAgain) {
        isAskedAgain = false
        tryIn(0)
      }
    }
  }

  async function renew (): Promise<void> {
    const sentAt = performance.now()
    const held = await link.commands.lrRenew(keys.lease, id, ttl)
    link.succeeded('lease')
    if (!isLeader) return
    if (held === 1) renewedAt(sentAt)
    else stepDown('the lease was found taken') // it expired (a long pause) and another took it
  }

  return {
    get isLeader () { return isLeader },
    get leader () { return leader },
    resume () {
      if (isClosed) return
      tryAcquire().catch(failed)
    },
    pause () {
      clearTimeout(attempt)
      if (!isLeader) see(null)
    },
    tryNow () { tryAcquire().catch(failed) },
    async close () {
      if (isClosed) return
      isClosed = true
      clearTimeout(attempt)
      clearInterval(renewal)
      clearTimeout(deadline)
      const wasLeader = isLeader
      isLeader = false
      if (wasLeader && link.isUp) await link.commands.lrRelease(keys.lease, id).catch(failed)
    }
  }
}
