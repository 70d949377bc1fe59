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

/** What the steps of one lease share: its settings, and the state they change. */
interface LeaseState {
  readonly link: RedisLink
  readonly keys: { lease: string, epoch: string }
  readonly id: string
  readonly ttl: number
  readonly events: LeaseEvents
  readonly renewMs: number
  readonly stepDownMs: number
  readonly failed: (err: unknown) => void
  isLeader: boolean
  /** A try failed since the lease was last found held by another, or taken: see onAcquired's `isLate`. */
  isUnanswered: boolean
  leader: string | null
  attempt: NodeJS.Timeout | undefined
  renewal: NodeJS.Timeout | undefined
  deadline: NodeJS.Timeout | undefined
  isTrying: boolean
  /** Asked for a try while one was out: its answer may be older than what asked (a release). */
  isAskedAgain: boolean
  isClosed: boolean
}

export function createLease (link: RedisLink, keys: { lease: string, epoch: string }, id: string, ttl: number, events: LeaseEvents): Lease {
  const { renewMs, stepDownMs } = leaseTimings(ttl)
  const lease: LeaseState = {
    link,
    keys,
    id,
    ttl,
    events,
    renewMs,
    stepDownMs,
    failed: (err: unknown): void => { link.failed(err, 'lease') },
    isLeader: false,
    isUnanswered: false,
    leader: null,
    attempt: undefined,
    renewal: undefined,
    deadline: undefined,
    isTrying: false,
    isAskedAgain: false,
    isClosed: false
  }

  return {
    get isLeader () { return lease.isLeader },
    get leader () { return lease.leader },
    resume () {
      if (lease.isClosed) return
      tryAcquire(lease).catch(lease.failed)
    },
    pause () {
      clearTimeout(lease.attempt)
      if (!lease.isLeader) see(lease, null)
    },
    tryNow () { tryAcquire(lease).catch(lease.failed) },
    async close () {
      if (lease.isClosed) return
      lease.isClosed = true
      clearTimeout(lease.attempt)
      clearInterval(lease.renewal)
      clearTimeout(lease.deadline)
      const wasLeader = lease.isLeader
      lease.isLeader = false
      if (wasLeader && link.isUp) await link.commands.lrRelease(keys.lease, id).catch(lease.failed)
    }
  }
}

function see (lease: LeaseState, holder: string | null): void {
  if (holder === lease.leader) return
  lease.leader = holder
  lease.events.onLeader(holder)
}

/** The lease is good until `sentAt` + ttl as Redis counts; we stop a margin before that. */
function renewedAt (lease: LeaseState, sentAt: number): void {
  clearTimeout(lease.deadline)
  lease.deadline = setTimeout(() => stepDown(lease, `the lease could not be renewed for ${lease.stepDownMs} ms`), Math.max(0, sentAt + lease.stepDownMs - performance.now())).unref()
}

function stepDown (lease: LeaseState, reason: string): void {
  if (!lease.isLeader) return
  lease.isLeader = false
  clearInterval(lease.renewal)
  clearTimeout(lease.deadline)
  see(lease, null)
  lease.events.onLost(reason)
  tryIn(lease, 0) // who holds it now, and when it expires
}

/** The next try, `ms` from now (the one timer a follower has). */
function tryIn (lease: LeaseState, ms: number): void {
  clearTimeout(lease.attempt)
  if (lease.isClosed) return
  lease.attempt = setTimeout(() => { tryAcquire(lease).catch(lease.failed) }, ms).unref()
}

async function tryAcquire (lease: LeaseState): Promise<void> {
  if (lease.isTrying) {
    lease.isAskedAgain = true
    return
  }
  const { link, keys } = lease
  if (lease.isLeader || lease.isClosed || !link.isUp) return
  lease.isTrying = true
  const sentAt = performance.now()
  try {
    const [won, value, expiresIn] = await link.commands.lrAcquire(keys.lease, keys.epoch, lease.id, lease.ttl)
    link.succeeded('lease')
    if (lease.isClosed) return
    if (won === 1) {
      acquired(lease, sentAt, value)
    } else {
      see(lease, value)
      lease.isUnanswered = false // another holds it: a try of ours that may have taken it took nothing that lasted
      // Counted from the reply, so never before Redis's own expiry (a key is gone the
      // millisecond after its time): a holder that died is replaced then, one that renews is
      // found holding again.
      tryIn(lease, expiresIn >= 0 ? expiresIn + 1 : lease.ttl) // -1: a key someone made without expiry
    }
  } catch (err) {
    lease.failed(err)
    lease.isUnanswered = true // Redis may have run it: the lease may be ours already
    if (link.isUp) tryIn(lease, lease.renewMs) // a command that failed on a live connection (a timeout, a refusal)
  } finally {
    lease.isTrying = false
    if (lease.isAskedAgain) {
      lease.isAskedAgain = false
      tryIn(lease, 0)
    }
  }
}

/** This process took the lease with a try sent at `sentAt`: it renews from now on, and leads as leader number `epoch`. */
function acquired (lease: LeaseState, sentAt: number, epoch: number): void {
  lease.isLeader = true
  renewedAt(lease, sentAt)
  lease.renewal = setInterval(() => { renew(lease).catch(lease.failed) }, lease.renewMs).unref()
  see(lease, lease.id)
  const isLate = lease.isUnanswered
  lease.isUnanswered = false
  lease.events.onAcquired(epoch, isLate)
}

async function renew (lease: LeaseState): Promise<void> {
  const sentAt = performance.now()
  const held = await lease.link.commands.lrRenew(lease.keys.lease, lease.id, lease.ttl)
  lease.link.succeeded('lease')
  if (!lease.isLeader) return
  if (held === 1) renewedAt(lease, sentAt)
  else stepDown(lease, 'the lease was found taken') // it expired (a long pause) and another took it
}
