// The leader's lease: one key in one Redis, taken with SET NX PX (in a script) and renewed by
// its holder only. A holder that cannot renew steps down before the key can expire, counted
// from when it sent its last successful renewal, so its builds end before another can start.
// A follower tries again when the key, as Redis last told it, expires: at once when its holder
// died, and otherwise to find it renewed.
import { transition, type Transitions } from '../pipeline/machine.js'
import { decideAfter, type World } from '../world.js'
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
   * Stops, and gives the lease up (deleted in Redis when it is ours, or when a try still out
   * takes it) so a follower takes it at once: call it once this process has stopped building.
   * Resolves with whether it gave a held lease up (the others may be told so).
   */
  close (): Promise<boolean>
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
 * The lease's phases. following: another holds it, or nobody is known to (a try is due when it
 * expires, or none while Redis is lost); trying: a try is out (one at a time); leading: this
 * process holds it, renews it and steps down at its deadline; closed. A reply is an event in
 * whatever phase it finds: a renewal's answer after a step-down (renewed, taken) changes
 * nothing, and a try that took the lease after close gives it back at once.
 */
export type LeasePhase = 'following' | 'trying' | 'leading' | 'closed'
/**
 * try: a try goes out (Redis is up); won, held, failed: its answer (taken, held by another, no
 * answer); renewed, taken: a renewal's answer (extended, or the key is another's); expiring: the
 * step-down deadline, no renewal having answered in time; close.
 */
export type LeaseEvent = 'try' | 'won' | 'held' | 'failed' | 'renewed' | 'taken' | 'expiring' | 'close'

export const LEASE_PHASES: Transitions<LeasePhase, LeaseEvent> = {
  following: { try: 'trying', renewed: 'following', taken: 'following', close: 'closed' },
  trying: { try: 'trying', won: 'leading', held: 'following', failed: 'following', renewed: 'trying', taken: 'trying', close: 'closed' },
  leading: { try: 'leading', renewed: 'leading', taken: 'following', expiring: 'following', close: 'closed' },
  closed: { try: 'closed', won: 'closed', held: 'closed', failed: 'closed', renewed: 'closed', taken: 'closed' }
}

/**
 * Timings, from the lease's time-to-live: renewals every quarter, and a step-down a third before
 * expiry (time for the running build to abort).
 */
export function leaseTimings (ttl: number): { renewMs: number, stepDownMs: number } {
  return { renewMs: Math.floor(ttl / 4), stepDownMs: ttl - Math.ceil(ttl / 3) }
}

/** What the lease waits on: the clock and timers (the plugin's world; a fake in test/unit/machines.test.ts). */
export type LeaseWorld = Pick<World, 'now' | 'setTimer' | 'clearTimer' | 'defer'>

/** What the steps of one lease share: its settings, and the state they change. */
interface LeaseState {
  readonly link: RedisLink
  readonly keys: { lease: string, epoch: string }
  readonly id: string
  readonly ttl: number
  readonly events: LeaseEvents
  readonly world: LeaseWorld
  readonly renewMs: number
  readonly stepDownMs: number
  readonly failed: (err: unknown) => void
  phase: LeasePhase
  /** A try failed since the lease was last found held by another, or taken: see onAcquired's `isLate`. */
  isUnanswered: boolean
  /** Asked for a try while one was out: its answer may be older than what asked (a release). */
  isAskedAgain: boolean
  leader: string | null
  /** The timer of the phase: following, the next try; leading, the next renewal. */
  next: unknown
  /** leading: when it steps down unless a renewal answers first. */
  deadline: unknown
  /** trying: the try out, until it has had its answer (close() waits for it: it may take the lease). */
  attempt: Promise<boolean> | null
}

export function createLease (link: RedisLink, keys: { lease: string, epoch: string }, id: string, ttl: number, events: LeaseEvents, world: LeaseWorld): Lease {
  const { renewMs, stepDownMs } = leaseTimings(ttl)
  const lease: LeaseState = {
    link,
    keys,
    id,
    ttl,
    events,
    world,
    renewMs,
    stepDownMs,
    failed: (err: unknown): void => { link.failed(err, 'lease') },
    phase: 'following',
    isUnanswered: false,
    isAskedAgain: false,
    leader: null,
    next: undefined,
    deadline: undefined,
    attempt: null
  }

  return {
    get isLeader () { return isIn(lease, 'leading') },
    get leader () { return lease.leader },
    resume () { tryAcquire(lease).catch(lease.failed) },
    pause () {
      if (isIn(lease, 'leading')) return // its renewals fail, and its deadline decides
      world.clearTimer(lease.next)
      see(lease, null)
    },
    tryNow () { tryAcquire(lease).catch(lease.failed) },
    async close () {
      if (isIn(lease, 'closed')) return false
      const wasLeader = isIn(lease, 'leading')
      enter(lease, 'close')
      if (wasLeader) return await release(lease)
      return await (lease.attempt ?? false) // a try still out that takes it gives it back
    }
  }
}

/** Takes `event`'s transition; a phase's timers end with it. */
function enter (lease: LeaseState, event: LeaseEvent): void {
  const from = lease.phase
  lease.phase = transition('lease', LEASE_PHASES, from, event)
  if (lease.phase !== from) {
    lease.world.clearTimer(lease.next)
    lease.world.clearTimer(lease.deadline)
  }
}

/** Whether `lease` is in `phase` now (a reply's await may have moved it since the last look). */
const isIn = (lease: LeaseState, phase: LeasePhase): boolean => lease.phase === phase

function see (lease: LeaseState, holder: string | null): void {
  if (holder === lease.leader) return
  lease.leader = holder
  lease.events.onLeader(holder)
}

/** Deletes the key if it is still ours (a follower then takes it at once, without waiting out its expiry); whether it was sent. */
async function release (lease: LeaseState): Promise<boolean> {
  if (!lease.link.isUp) return false
  return await lease.link.commands.lrRelease(lease.keys.lease, lease.id).then(() => true, err => {
    lease.failed(err)
    return false
  })
}

/**
 * The lease is good until `sentAt` + ttl as Redis counts; we stop a margin before that, after
 * the I/O of the deadline's turn (decideAfter): a renewal answered in time moves it first.
 */
function renewedAt (lease: LeaseState, sentAt: number): void {
  const { world } = lease
  world.clearTimer(lease.deadline)
  const deadline = decideAfter(world, () => {
    if (lease.deadline !== deadline || !isIn(lease, 'leading')) return // renewed, stepped down or closed meanwhile
    stepDown(lease, 'expiring', `the lease could not be renewed for ${lease.stepDownMs} ms`)
  }, Math.max(0, sentAt + lease.stepDownMs - world.now()))
  lease.deadline = deadline
}

function stepDown (lease: LeaseState, event: 'taken' | 'expiring', reason: string): void {
  enter(lease, event)
  tryIn(lease, 0) // who holds it now, and when it expires (first: a listener that throws stops nothing)
  see(lease, null)
  lease.events.onLost(reason)
}

/** The next try, `ms` from now (the one timer a follower has). */
function tryIn (lease: LeaseState, ms: number): void {
  const { world } = lease
  world.clearTimer(lease.next)
  lease.next = world.setTimer(() => { tryAcquire(lease).catch(lease.failed) }, ms)
}

async function tryAcquire (lease: LeaseState): Promise<void> {
  const { link } = lease
  if (!link.isUp && isIn(lease, 'following')) return // resumed when Redis is back
  const from = lease.phase
  enter(lease, 'try')
  if (from === 'trying') lease.isAskedAgain = true // sent once the one out has its answer (it may be older than what asked: a release)
  if (from !== 'following') return // one out already, leading, or closed: nothing sent now
  lease.attempt = attempt(lease)
  await lease.attempt
}

/** One try, sent and answered; resolves with whether a close meanwhile gave up the lease it took. */
async function attempt (lease: LeaseState): Promise<boolean> {
  const { link, keys, world } = lease
  const sentAt = world.now()
  const reply = await link.commands.lrAcquire(keys.lease, keys.epoch, lease.id, lease.ttl).then(answer => {
    link.succeeded('lease')
    return answer
  }, (err: unknown) => {
    lease.failed(err)
    return null
  })
  lease.attempt = null
  if (isIn(lease, 'closed')) {
    enter(lease, reply === null ? 'failed' : reply[0] === 1 ? 'won' : 'held')
    return reply !== null && reply[0] === 1 && await release(lease) // closed while it was out: not kept until it expires
  }
  const isAskedAgain = lease.isAskedAgain
  lease.isAskedAgain = false
  if (reply === null) unanswered(lease)
  else if (reply[0] === 1) acquired(lease, sentAt, reply[1])
  else held(lease, reply[1], reply[2])
  if (isAskedAgain && isIn(lease, 'following')) tryIn(lease, 0) // at once, not at the time this answer gave
  return false
}

/** A try had no answer (a timeout, a lost connection): Redis may have run it, and the lease may be ours already. */
function unanswered (lease: LeaseState): void {
  lease.isUnanswered = true
  enter(lease, 'failed')
  if (isIn(lease, 'following') && lease.link.isUp) tryIn(lease, lease.renewMs) // failed on a live connection (a timeout, a refusal): again a renewal's time later
}

/** Another holds it, for `expiresIn` ms more. */
function held (lease: LeaseState, holder: string, expiresIn: number): void {
  enter(lease, 'held')
  lease.isUnanswered = false // another holds it: a try of ours that may have taken it took nothing that lasted
  // Counted from the reply, so never before Redis's own expiry (a key is gone the millisecond
  // after its time): a holder that died is replaced then, one that renews is found holding again.
  tryIn(lease, expiresIn >= 0 ? expiresIn + 1 : lease.ttl) // -1: a key someone made without expiry
  see(lease, holder)
}

/** This process took the lease with a try sent at `sentAt`: it renews from now on, and leads as leader number `epoch`. */
function acquired (lease: LeaseState, sentAt: number, epoch: number): void {
  enter(lease, 'won')
  renewedAt(lease, sentAt)
  renewIn(lease)
  see(lease, lease.id)
  const isLate = lease.isUnanswered
  lease.isUnanswered = false
  lease.events.onAcquired(epoch, isLate)
}

/** The next renewal, a quarter of the TTL from now. */
function renewIn (lease: LeaseState): void {
  lease.next = lease.world.setTimer(() => {
    renewIn(lease)
    renew(lease).catch(lease.failed)
  }, lease.renewMs)
}

async function renew (lease: LeaseState): Promise<void> {
  const sentAt = lease.world.now()
  const held = await lease.link.commands.lrRenew(lease.keys.lease, lease.id, lease.ttl)
  lease.link.succeeded('lease')
  if (!isIn(lease, 'leading')) {
    enter(lease, held === 1 ? 'renewed' : 'taken') // stepped down or closed meanwhile: nothing to keep
  } else if (held === 1) {
    enter(lease, 'renewed')
    renewedAt(lease, sentAt)
  } else {
    stepDown(lease, 'taken', 'the lease was found taken') // it expired (a long pause) and another took it
  }
}
