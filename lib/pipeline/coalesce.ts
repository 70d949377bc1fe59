import type { FileChange } from '../../types/index.js'
import { absorb, enter, evidence, initialState, noteAnswered, noteWrite, takePending, type Context } from './coalesce-state.js'
import { nextStep, type Rules } from './coalesce-rules.js'
import { realWorld, type World } from '../world.js'

/** What the coalescer reads from the world: replaceable, so that every rule runs on a fake clock. */
export type CoalescerWorld = Pick<World, 'now' | 'setTimer' | 'clearTimer' | 'defer' | 'stat' | 'waited' | 'load'>

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
  /** A build that carried every change flushed so far ended: the next write follows a pause. */
  answered (): void
  close (): void
}

/** One watched tree's evidence: its activity, or (polled) its sweeps. */
interface Feed {
  state: 'starting' | 'ready' | 'lost'
  /** A poller sweeps the tree (from its first sweep until it fails). */
  isPolled: boolean
  sweepStartedAt: number
  /** When the last finished sweep began. */
  sweptFrom: number
}

/**
 * Gathers file changes into one flush per save or burst (a checkout of thousands of files is
 * one build and one message), deciding from evidence (coalesce-rules.ts) rather than timers
 * alone. Several events for one path become their net effect. With `root`, the watched tree:
 * deletions while it is gone wait until it comes back (`push` of the root itself, by whoever
 * watches it) or the max wait. This is the shell: the state and its transitions are in
 * coalesce-state.ts (phases: coalesce-phases.ts); here are the timer and the deferred decisions.
 */
export function createCoalescer (rules: Rules, onFlush: (changes: FileChange[]) => void, world: CoalescerWorld = realWorld, root: string | null = null): Coalescer {
  const s = initialState()
  const feeds: Feed[] = []
  /** Batches waiting for the activity to catch up with them. */
  const inbox: Array<{ changes: readonly FileChange[], at: number }> = []
  let settling: ((changes: FileChange[]) => void) | undefined
  const ctx: Context = {
    world,
    root,
    get hasActivity () { return feeds.length > 0 && feeds.every(feed => feed.state === 'ready') },
    isSweepDue: since => feeds.some(feed => feed.isPolled && feed.sweptFrom < since)
  }

  const decider = createDecider(world, decide)

  function decide (): void {
    if (s.phase === 'closed') return
    for (const batch of inbox.splice(0)) absorb(s, ctx, batch.changes, batch.at)
    decider.cancel()
    const step = nextStep(evidence(s, ctx), rules)
    if (step.kind === 'flush') flush()
    else if (step.kind === 'wait') decider.at(step.until)
  }

  function flush (): void {
    const wasSettling = s.phase === 'settling'
    const changes = takePending(s, ctx)
    if (wasSettling) {
      const resolve = settling
      settling = undefined
      resolve?.(changes)
    } else if (changes.length > 0) {
      onFlush(changes) // a temporary file created and deleted nets to nothing
    }
  }

  const onActivity = (path: string, kind: 'rename' | 'change'): void => {
    if (noteWrite(s, ctx, path, kind, decider.isArmed())) decider.soon()
  }
  const onSweepEnd = (): void => { if (s.phase === 'open' || s.phase === 'settling') decider.soon() }

  return {
    push (changes) {
      if (s.phase === 'closed' || changes.length === 0) return
      inbox.push({ changes, at: world.now() })
      decider.soon()
    },
    feed: () => createFeed(feeds, world, onActivity, onSweepEnd),
    awaitRoot () {
      s.isRootAwaited = true
      decider.soon()
    },
    hold () {
      if (s.phase === 'closed') return // every call after close is ignored
      enter(s, 'hold')
      decider.cancel()
    },
    settle () {
      if (s.phase === 'closed') return Promise.resolve([])
      return new Promise(resolve => {
        enter(s, 'settle')
        settling = resolve
        if (!ctx.hasActivity) s.lastWriteAt = Math.max(s.lastWriteAt, world.now())
        decider.soon()
      })
    },
    answered: () => { if (s.phase !== 'closed') noteAnswered(s) },
    close () {
      if (s.phase === 'closed') return
      enter(s, 'close')
      inbox.length = 0
      decider.cancel()
      settling?.([])
      settling = undefined
      s.pending.clear()
      s.seen.clear()
    }
  }
}

/** When the coalescer decides next: at the end of this turn of the event loop, or at a moment, by one timer. */
interface Decider {
  /** Decides after the I/O of this loop turn, once per turn however many events came in it. */
  soon (): void
  /**
   * Decides again at `until`, through soon(): after a stall of this event loop, the writes it
   * could not read meanwhile are read before the quiet they broke is believed. The step was taken
   * at the clock's reading in evidence(); on a busy machine our thread can be taken off its CPU
   * before the timer is armed, past `until` (seen: up to 49 ms past a wait of 1 or 2 ms, on 2
   * busy cores). The wait is then over, like one whose timer fired: decided again now, never a
   * timer for a negative delay (Node 24 warns of it, TimeoutNegativeWarning; Node 20 made it 1 ms
   * without a word). Not sooner: a look again while others are at work is due a millisecond
   * after *its* decision, and deciding again at once would only ask for the next one a
   * millisecond on, again and again.
   */
  at (until: number): void
  cancel (): void
  isArmed (): boolean
}

function createDecider (world: CoalescerWorld, decide: () => void): Decider {
  let timer: unknown
  let isDue = false
  const soon = (): void => {
    if (isDue) return
    isDue = true
    world.defer(() => {
      isDue = false
      decide()
    })
  }
  return {
    soon,
    at (until) {
      const ms = until - world.now()
      if (ms <= 0) soon()
      else timer = world.setTimer(soon, ms)
    },
    cancel () {
      world.clearTimer(timer)
      timer = undefined
    },
    isArmed: () => timer !== undefined
  }
}

/** A new tree's evidence: activity once it is ready, or a poller's sweeps. */
function createFeed (feeds: Feed[], world: CoalescerWorld, onActivity: ActivityFeed['onActivity'], onSweepEnd: () => void): ActivityFeed {
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
      onSweepEnd()
    }
  }
}
