import { statSync } from 'node:fs'
import type { FileChange } from '../../types/index.js'
import { BURST_QUIET_MAX_MS, earlyWindow, mergeChanges, nextStep, TIMER_RESOLUTION_MS, type Evidence, type Phase, type Rules } from './coalesce-rules.js'
import { readyPerCpu, waitedMs } from './pressure.js'

/** What the coalescer reads from the world: replaceable, so that every rule runs on a fake clock. */
export interface CoalescerWorld {
  now (): number
  /** Runs `fn` after `ms`; the handle goes to `clearTimer`. */
  setTimer (fn: () => void, ms: number): unknown
  clearTimer (timer: unknown): void
  /** Runs `fn` once the I/O already under way has been read (the activity's events among it). */
  defer (fn: () => void): void
  /** Size of a file; undefined when it is gone. */
  stat (path: string): { size: number } | undefined
  /** How long (ms, from any fixed moment) threads have waited for a CPU: see pressure.ts. */
  waited (): number
  /** Threads ready to run per CPU, right now: above 1, some (a writer, perhaps) wait for a CPU or the disk. */
  cpuContention (): number
}

/** One watched tree's activity: the coalescer uses activity only while every feed is ready. */
export interface ActivityFeed {
  /** The whole tree is followed: from now on no write goes unreported. */
  onReady (): void
  onActivity (path: string, kind: 'rename' | 'change'): void
  /** No evidence from this tree (until it is ready again): quiet windows decide meanwhile. */
  onUnavailable (): void
  /** A polled tree: a sweep, one look at every directory and file, begins. */
  onSweepStart (): void
  /** ...and ends, what it found delivered: nothing written before it began is still to come. */
  onSweepEnd (): void
}

export interface Coalescer {
  /** A batch of changes from the watcher. */
  push (changes: readonly FileChange[]): void
  /** A new source of activity evidence (one per watched tree). */
  feed (): ActivityFeed
  /** The root was deleted: deletions wait for its return (a `push` of the root itself), whatever the disk says meanwhile. */
  awaitRoot (): void
  /** Stops flushing: changes accumulate until `settle()`. */
  hold (): void
  /**
   * Resolves with everything pending once the watcher has delivered all that the activity saw
   * (a build's writes), instead of flushing it; then flushes normally again.
   */
  settle (): Promise<FileChange[]>
  close (): void
}

/** Per path the activity saw since the last flush: how often it was created, removed or renamed. */
interface Seen { renames: number }

/** One watched tree's evidence: its activity, or (polled) its sweeps. */
interface Feed {
  state: 'starting' | 'ready' | 'lost'
  /** A poller sweeps the tree (from its first sweep until it fails). */
  isPolled: boolean
  sweepStartedAt: number
  /** When the last finished sweep began. */
  sweptFrom: number
}

export const realWorld: CoalescerWorld = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimer: timer => clearTimeout(timer as NodeJS.Timeout),
  // The kernel queues an event for the watcher's inotify instance and for ours in one system
  // call, but the watcher's thread can wake and deliver before ours is queued: one more poll
  // phase (the second setImmediate runs after it) reads ours.
  defer: fn => setImmediate(() => setImmediate(fn)),
  stat: path => statSync(path, { throwIfNoEntry: false }),
  waited: waitedMs,
  cpuContention: readyPerCpu
}

/**
 * Gathers file changes into one flush per save or burst (a checkout of thousands of files is
 * one build and one message), deciding from evidence (coalesce-rules.ts) rather than timers
 * alone. Several events for one path become their net effect. With `root`, the watched tree:
 * deletions while it is gone wait until it comes back (`push` of the root itself, by whoever
 * watches it) or the max wait.
 */
export function createCoalescer (rules: Rules, onFlush: (changes: FileChange[]) => void, world: CoalescerWorld = realWorld, root: string | null = null): Coalescer {
  const pending = new Map<string, FileChange['type']>()
  const seen = new Map<string, Seen>()
  /** Paths the activity saw before the last flush: the watcher's late copies of them are stale. */
  let flushed = new Set<string>()
  let phase: Phase = 'idle'
  let since = 0
  let batches = 0
  let lastWriteAt = -Infinity
  let lastBatchAt = -Infinity
  /** When the watcher last delivered a path the activity had not seen (yet): a write all the same. */
  let unseenAt = -Infinity
  let longestGap = 0
  /** The threads' waiting (world.waited()) when the silence since the last write began, read at most once a millisecond. */
  let silence = { from: -Infinity, waited: 0 }
  let lastNewPathAt = -Infinity
  /** Whether the root was deleted and its return not pushed yet. */
  let isRootAwaited = false
  /** Whether the watcher delivered paths the activity never saw in this burst (see Evidence.isActivityPartial). */
  let isActivityPartial = false
  let quietBefore = Infinity
  let hasWrites = false // in this burst
  let earlyMs = 0
  const feeds: Feed[] = []
  let isClosed = false
  let timer: unknown
  let isDecisionDue = false
  /** Batches waiting for the activity to catch up with them. */
  const inbox: Array<{ changes: readonly FileChange[], at: number }> = []
  let settling: ((changes: FileChange[]) => void) | undefined

  const hasActivity = (): boolean => feeds.length > 0 && feeds.every(feed => feed.state === 'ready')
  /** Whether a polled tree may still report writes from before `since`: no sweep that began since has ended. */
  const isSweepDue = (since: number): boolean => feeds.some(feed => feed.isPolled && feed.sweptFrom < since)

  /** Decides after the I/O of this loop turn, once per turn however many events came in it. */
  function decideSoon (): void {
    if (isDecisionDue) return
    isDecisionDue = true
    world.defer(decide)
  }

  function decide (): void {
    isDecisionDue = false
    if (isClosed) return
    for (const batch of inbox.splice(0)) absorb(batch.changes, batch.at)
    world.clearTimer(timer)
    timer = undefined
    const step = nextStep(evidence(), rules)
    if (step.kind === 'flush') flush()
    else if (step.kind === 'wait') decideAt(step.until)
  }

  /**
   * Decides again at `until`, through decideSoon: after a stall of this event loop, the writes it
   * could not read meanwhile are read before the quiet they broke is believed. The step was taken
   * at the clock's reading in evidence(); on a busy machine our thread can be taken off its CPU
   * before the timer is armed, past `until` (seen: up to 49 ms past a wait of 1 or 2 ms, on 2
   * busy cores). The wait is then over, like one whose timer fired: decided again now, never a
   * timer for a negative delay (Node 24 warns of it, TimeoutNegativeWarning; Node 20 made it 1 ms
   * without a word). Not sooner: a look again while others are at work is due a millisecond
   * after *its* decision, and deciding again at once would only ask for the next one a
   * millisecond on, again and again.
   */
  function decideAt (until: number): void {
    const ms = until - world.now()
    if (ms <= 0) decideSoon()
    else timer = world.setTimer(decideSoon, ms)
  }

  function evidence (): Evidence {
    const lastWrite = Math.max(lastWriteAt, unseenAt)
    const now = world.now()
    const isRemovalOnly = pending.size > 0 && [...pending.values()].every(type => type === 'delete')
    return {
      phase,
      now,
      since,
      batches,
      pending: pending.size,
      isOneFile: batches === 1 && oneFile() !== undefined, // only a save asks
      hasActivity: hasActivity(),
      undelivered: hasActivity() ? countUndelivered() : 0,
      lastWriteAt: lastWrite,
      isSweepDue: isSweepDue(lastWrite),
      lastBatchAt,
      isRemovalOnly,
      isRootGone: root !== null && isRemovalOnly && (isRootAwaited || world.stat(root) === undefined),
      longestGap,
      lastNewPathAt,
      isActivityPartial,
      quietBefore,
      hasEmptyFile: batches === 1 && isEmpty(oneFile()),
      earlyMs,
      lostMs: phase === 'open' || phase === 'idle' ? lost(now - lastWrite) : 0, // only quiet windows ask
      contention: phase === 'open' ? world.cpuContention() : 0
    }
  }

  /** Marks a write at `at`: the silence that may follow starts here (give or take the millisecond of the last reading). */
  function wrote (at: number): void {
    if (at - silence.from >= TIMER_RESOLUTION_MS) silence = { from: at, waited: world.waited() }
  }

  /** How long, of a silence of `silentMs` since the last write, a writer may have been kept from writing. */
  function lost (silentMs: number): number {
    return Math.max(0, Math.min(silentMs, world.waited() - silence.waited))
  }

  function countUndelivered (): number {
    let count = 0
    for (const [path, seenAs] of seen) {
      const type = pending.get(path)
      if (type === undefined && !isTemporary(path, seenAs)) count++
    }
    return count
  }

  /** Created and removed again under our eyes: the watcher may fold both into nothing. */
  const isTemporary = (path: string, { renames }: Seen): boolean => renames >= 2 && world.stat(path) === undefined

  /**
   * The one file the activity saw written, if that is all that is pending: written in place, or
   * renamed over its target from a temporary file that came and went (see Evidence.isOneFile).
   */
  function oneFile (): string | undefined {
    if (pending.size > 2 || seen.size > 3) return undefined // a save: its file, a temporary file, maybe its backup
    let file: string | undefined
    let hasTemporary = false
    for (const [path, seenAs] of seen) {
      if (isTemporary(path, seenAs)) hasTemporary = true
      else if (file !== undefined) return undefined
      else file = path
    }
    if (file === undefined || world.stat(file) === undefined) return undefined
    for (const path of pending.keys()) {
      if (path !== file && !isTemporary(path, seen.get(path) ?? { renames: 0 })) return undefined
    }
    return seen.get(file)?.renames === 0 || hasTemporary ? file : undefined
  }

  const isEmpty = (path: string | undefined): boolean => path !== undefined && world.stat(path)?.size === 0

  function flush (): void {
    // What the watcher still holds at a build's end (it has written everything: not waited
    // for, ~50 ms), or never delivers (files written into a new directory before it was
    // watched), is taken from the activity and the disk.
    if (hasActivity()) takeSeen()
    reviveDeleted() // what the activity did not see (it was following a tree that came back) too
    const changes = [...pending].map(([path, type]) => ({ path, type }))
    flushed = new Set([...seen].filter(([path, seenAs]) => pending.has(path) || isTemporary(path, seenAs)).map(([path]) => path))
    pending.clear()
    seen.clear()
    batches = 0
    longestGap = 0
    lastNewPathAt = -Infinity
    isActivityPartial = false
    isRootAwaited = false // what it held went with this flush; the disk says whether it is still gone
    hasWrites = false
    if (phase === 'settling') {
      const resolve = settling
      settling = undefined
      phase = 'idle'
      resolve?.(changes)
    } else {
      phase = 'idle'
      if (changes.length > 0) onFlush(changes) // a temporary file created and deleted nets to nothing
    }
  }

  /**
   * Makes the pending changes say what the disk says, for every path the activity saw: what
   * the watcher has not delivered yet is added, and a type the watcher delivered before the
   * path was created or removed again (a delete, then the new file) is corrected. The
   * watcher's late copies of these are then stale.
   */
  function takeSeen (): void {
    for (const [path, seenAs] of seen) {
      const type = pending.get(path)
      if (seenAs.renames === 0) { // written in place: an update, delivered or not
        pending.set(path, type ?? 'update')
        continue
      }
      const exists = world.stat(path) !== undefined
      if (exists) pending.set(path, type === 'create' || (type === undefined && seenAs.renames % 2 === 1) ? 'create' : 'update')
      else if (type === 'create' || (type === undefined && isTemporary(path, seenAs))) pending.delete(path) // it came and went
      else pending.set(path, 'delete')
    }
  }

  /**
   * A path the watcher reported deleted that exists again (a tree removed and
   * written again, whose new files the watcher may report only later, or never: it watched the
   * new tree late) is an update: it is hashed now, so its late copy changes nothing.
   */
  function reviveDeleted (): void {
    for (const [path, type] of pending) {
      if (type === 'delete' && world.stat(path) !== undefined) pending.set(path, 'update')
    }
  }

  /**
   * A batch from the watcher, taken in once the activity has caught up with it (see `defer`):
   * only then does the activity say which of its paths are stale copies.
   */
  function absorb (changes: readonly FileChange[], at: number): void {
    // With activity: a copy of a path the last flush already carried, not written since, is stale.
    const fresh = hasActivity() ? changes.filter(change => !flushed.has(change.path)) : changes
    if (fresh.length === 0) return
    if (fresh.some(change => change.path === root)) isRootAwaited = false // back
    if (phase === 'idle') {
      phase = 'open'
      since = at
      // How late we are (our own loop slow to come back to the batch): a writer on this machine
      // may be that slow to write its next file. Not the file's age: file times come from the
      // kernel's coarse clock, up to a tick (4–10 ms) behind the write.
      earlyMs = earlyWindow(world.now() - at)
    }
    batches++
    lastBatchAt = at
    if (!hasActivity()) {
      lastWriteAt = at
      wrote(at)
    }
    mergeChanges(pending, fresh)
    for (const { path } of fresh) {
      if (seen.has(path)) continue
      if (unseenAt !== at) wrote(at)
      unseenAt = at
      if (!hasActivity()) continue
      isActivityPartial = true
      lastNewPathAt = at // a burst still making progress, seen through the watcher's eyes
    }
  }

  function onActivity (path: string, kind: 'rename' | 'change'): void {
    const now = world.now()
    const gap = now - lastWriteAt
    if (!hasWrites) quietBefore = gap
    // A longer pause is no part of a burst. The pause before this burst counts when short: a stream.
    if (gap < BURST_QUIET_MAX_MS) longestGap = Math.max(longestGap, gap)
    hasWrites = true
    lastWriteAt = now
    wrote(now)
    flushed.delete(path) // written again: the watcher's next copy of it is news
    const known = seen.get(path)
    if (known === undefined) {
      seen.set(path, { renames: kind === 'rename' ? 1 : 0 })
      lastNewPathAt = now
    } else if (kind === 'rename') {
      known.renames++
    }
    // More writes only ever postpone a flush, which the armed timer re-decides when it fires;
    // the exceptions: a save's file caught empty, which this write may have filled, and the
    // first write the watcher has yet to deliver, which it may never deliver (see nextStep).
    if (phase === 'open' && batches === 1 && seen.size <= 3) decideSoon()
    else if (phase === 'idle' && timer === undefined) decideSoon()
  }

  return {
    push (changes) {
      if (isClosed || changes.length === 0) return
      inbox.push({ changes, at: world.now() })
      decideSoon()
    },
    feed () {
      const feed: Feed = { state: 'starting', isPolled: false, sweepStartedAt: -Infinity, sweptFrom: -Infinity }
      feeds.push(feed)
      return {
        onReady: () => { feed.state = 'ready' },
        onActivity: (path, kind) => { if (feed.state === 'ready') onActivity(path, kind) },
        onUnavailable: () => {
          feed.state = 'lost'
          feed.isPolled = false // until its (next) poller sweeps: a failed one never will
        },
        onSweepStart: () => {
          feed.isPolled = true
          feed.sweepStartedAt = world.now()
        },
        onSweepEnd: () => {
          feed.sweptFrom = feed.sweepStartedAt
          if (phase === 'open' || phase === 'settling') decideSoon()
        }
      }
    },
    awaitRoot () {
      isRootAwaited = true
      decideSoon()
    },
    hold () {
      phase = 'held'
      world.clearTimer(timer)
    },
    settle () {
      return new Promise(resolve => {
        settling = resolve
        phase = 'settling'
        if (!hasActivity()) lastWriteAt = Math.max(lastWriteAt, world.now())
        decideSoon()
      })
    },
    close () {
      isClosed = true
      inbox.length = 0
      world.clearTimer(timer)
      settling?.([])
      settling = undefined
      pending.clear()
      seen.clear()
      phase = 'idle'
    }
  }
}
