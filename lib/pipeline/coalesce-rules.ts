import type { FileChange } from '../../types/index.js'

/**
 * The coalescer's rules, as one pure function of what it knows. The shell (coalesce.ts) keeps
 * the state, feeds the evidence in, and arms one timer for the step this returns.
 *
 * The evidence, and why it is enough (docs/coalescing.md has the figures):
 * - **Activity**: every write in the tree, seen at once through a second, unbatched inotify
 *   view (watch/activity.ts). It tells a save from the first file of a checkout within a
 *   couple of milliseconds, wherever in the tree the checkout goes next.
 * - **Delivery**: @parcel/watcher's batches. A path the activity saw but the watcher has not
 *   delivered yet is *undelivered*: the watcher is still holding it (it waits for 50 ms of
 *   quiet), so flushing now would split the burst. Once every path the activity saw has been
 *   delivered, nothing is in flight: that, not a timer, is what ends a burst, ~50 ms after its
 *   last write (the watcher's own floor).
 * - **A build's end**: the builder has written everything. What the watcher still holds is
 *   taken from the activity and the disk at once, and its late copies are dropped as stale.
 */

/** The coalescer's phase. */
export type Phase =
  /** Nothing delivered by the watcher (the activity may have seen writes it has yet to deliver). */
  | 'idle'
  /** Changes pending: flushed to `onFlush` once the evidence says the save or burst is over. */
  | 'open'
  /** A build runs: changes accumulate, nothing is flushed. */
  | 'held'
  /** The build ended: everything it wrote is handed to the waiting `settle()` once delivered. */
  | 'settling'

export interface Evidence {
  readonly phase: Phase
  readonly now: number
  /** When the first pending change was delivered. */
  readonly since: number
  /** Watcher batches delivered since the last flush. */
  readonly batches: number
  /** Distinct paths pending. */
  readonly pending: number
  /**
   * Whether the activity saw one file written, and nothing else pending: a file that exists
   * written in place, or renamed over its target from a temporary file the activity saw come
   * and go (editors' safe write; the watcher's first batch may hold only the temporary file).
   * A lone delete (editors that delete, then write; a clean before a build) and a lone create
   * (an editor's temporary file not yet renamed; a new page) have more to come, or can wait,
   * so they wait like a burst.
   */
  readonly isOneFile: boolean
  /** Whether the activity covers the whole tree; without it, quiet windows decide. */
  readonly hasActivity: boolean
  /**
   * Paths the activity saw that the watcher has not delivered, not counting temporary files
   * created and removed again (the watcher may fold their create and delete into nothing).
   */
  readonly undelivered: number
  /** The last write the activity saw, or (without activity) the last batch. */
  readonly lastWriteAt: number
  /**
   * Whether a polled tree has not been swept whole since `lastWriteAt`: a poller reports what a
   * sweep found only at the sweep's end, so a sweep under way may still report writes, however
   * long the quiet (a tree removed file by file, its directory last, seen half-way).
   */
  readonly isSweepDue: boolean
  /** When the watcher's latest batch reached us. */
  readonly lastBatchAt: number
  /**
   * Whether every pending change is a removal: the first half of a replacement (`rm -rf out &&
   * cp -r …`, a clean before a build, an editor that deletes, then writes), whose second half
   * may come after a pause longer than a burst's own.
   */
  readonly isRemovalOnly: boolean
  /** Whether the watched tree's root no longer exists, with deletions pending under it. */
  readonly isRootGone: boolean
  /**
   * Whether the watcher delivered paths in this burst that the activity, though it covered the
   * whole tree, never saw: it lost events (the kernel drops them without a word when a reader
   * falls 16,384 events behind, as a starved event loop can in a 10,000-file checkout). Its
   * silence then proves nothing; the watcher's own batches decide.
   */
  readonly isActivityPartial: boolean
  /** When the activity last saw a path new to this burst (a checkout still moving on), or -Infinity. */
  readonly lastNewPathAt: number
  /** The longest pause (ms) between two writes of this burst so far. */
  readonly longestGap: number
  /** How long (ms) the tree was quiet before this burst's first write: a save comes after a pause. */
  readonly quietBefore: number
  /** A pending file (in idle: the one the activity saw) is empty: most likely caught between its truncate and its write. */
  readonly hasEmptyFile: boolean
  /** How long a single save must stay quiet before it is sent, on a CPU nobody waits for (see `earlyWindow`). */
  readonly earlyMs: number
  /**
   * How long (ms) of the silence since the last write a writer may have been kept from writing:
   * threads waited for a CPU that long (pressure.ts), at most the silence itself. A
   * quiet window counts only the rest: silence where the writer could have run (see `burstQuiet`).
   */
  readonly lostMs: number
  /**
   * Threads ready to run per CPU, right now. Above 1, others are at work, a writer perhaps: a
   * save's couple of quiet milliseconds are no evidence then (see `saveQuiet`).
   */
  readonly contention: number
  /**
   * A thread is blocked on the disk right now, perhaps a writer the kernel's writeback throttles:
   * a quiet that is over is not believed yet (see `unlessDiskBlocked`), and a save waits a burst's
   * quiet while it stays so.
   */
  readonly isDiskBlocked: boolean
}

export interface Rules {
  /** The quiet window (ms): the fallback without activity, and the least a file that stays empty waits. */
  readonly quietMs: number
  /**
   * A stream that never goes quiet (the same files written again and again) is flushed this
   * long (ms) after its first change; a burst still writing new files is waited out, up to
   * MAX_BURST_MS.
   */
  readonly maxWaitMs: number
}

export type Step =
  | { readonly kind: 'wait-for-evidence' }
  | { readonly kind: 'flush' }
  | { readonly kind: 'wait', readonly until: number }

/** @parcel/watcher holds events after the first until this long (ms) passes without one. */
export const WATCHER_QUIET_MS = 50
/** ...or until this long (ms) after its previous batch, however busy the writer: its forced flush. */
export const WATCHER_FORCED_FLUSH_MS = 500
/**
 * A burst is over once everything is delivered and the tree has been quiet for this long (ms),
 * or twice the longest pause inside the burst so far, if longer (see `burstQuiet`): the
 * watcher's own quiet, so it costs nothing when the watcher's last batch came after it.
 */
export const BURST_QUIET_MS = WATCHER_QUIET_MS
/** The longest quiet a burst's own pauses can ask for (ms); a write after a longer pause starts a new burst, or a save. */
export const BURST_QUIET_MAX_MS = 250
/**
 * A save (one batch after a pause, one file) is sent after `earlyMs` of quiet instead. The
 * watcher's thread reads what the kernel has queued when it wakes, so the first batch of a
 * burst from another process already holds 2–4 files, and the activity more, while a save
 * holds its one file.
 */
/** A save's quiet (ms) when its batch reached us promptly. */
export const EARLY_MS = 2
/**
 * While threads wait for a CPU, the first look again (ms) past the uncontended quiet; each
 * later look waits as long again as all the looks before it.
 */
export const CONTENTION_RECHECK_MS = 1
/**
 * While a thread is blocked on the disk, a quiet that is over is looked at again this often (ms)
 * at most; sooner at first (CONTENTION_RECHECK_MS, then as long again as it has waited).
 */
export const DISK_RECHECK_MAX_MS = 10
/** How long (ms) past its quiet a burst or a save is held while threads are blocked on the disk: a disk that never frees up holds each this long. */
export const DISK_STALL_MAX_MS = BURST_QUIET_MAX_MS
/** A stream of events that never goes quiet still flushes this often (ms): the pipeline's `maxWaitMs`. */
export const MAX_WAIT_MS = 5000
/** The longest a burst that keeps writing new files is waited out (ms). */
export const MAX_BURST_MS = 60_000
/**
 * A file caught empty is most likely between its truncate and its write: Node's `writeFile` opens
 * (truncating), writes and closes in three turns of the writer's own event loop, which a busy
 * process can take tens of milliseconds to come back to. Its write re-decides at once; a file that
 * stays empty (emptied on purpose) is sent once it has stayed so this long (ms), or the quiet
 * window if longer, and longer by the time threads waited for a CPU meanwhile.
 */
export const EMPTY_FILE_MS = BURST_QUIET_MAX_MS
/**
 * Undelivered paths the watcher never delivers (it lost them in a directory it watched too
 * late) are given up on this long (ms) after the last write, when no batch of the watcher's has
 * shown sooner that it flushed after the last write.
 */
export const UNDELIVERED_GIVE_UP_MS = 150

export function nextStep (e: Evidence, rules: Rules): Step {
  if (e.phase === 'held' || (e.phase === 'idle' && e.undelivered === 0)) return { kind: 'wait-for-evidence' }
  // Writes the activity saw and the watcher has said nothing of, for longer than it ever holds
  // a write: it lost them (a batch dropped as a stale copy because our own view of the write came
  // a turn late, or a subscription gone deaf), and they are taken from the activity and the disk.
  if (e.phase === 'idle') {
    const lostUntil = e.lastWriteAt + WATCHER_FORCED_FLUSH_MS + WATCHER_QUIET_MS + e.lostMs
    const saveAt = heldSaveAt(e, rules)
    const until = Math.min(lostUntil, saveAt)
    if (until <= e.now) return saveAt < lostUntil ? unlessDiskBlocked(e, saveAt) : { kind: 'flush' }
    if (!isBusy(e) || saveAt >= lostUntil) return { kind: 'wait', until }
    return lookAgain(e, until, heldSaveAt({ ...e, contention: 1, isDiskBlocked: false }, rules))
  }
  const latest = e.phase === 'open' ? deadline(e, rules) : Infinity
  const ready = readyAt(e, rules)
  const until = Math.min(ready, latest)
  if (until <= e.now) return e.phase === 'open' && ready <= latest ? unlessDiskBlocked(e, ready) : { kind: 'flush' }
  // Threads may wait meanwhile: the time lost grows, and the next decision waits longer.
  if (!isBusy(e)) return { kind: 'wait', until }
  return lookAgain(e, until, Math.min(readyAt({ ...e, contention: 1, isDiskBlocked: false }, rules), latest))
}

/**
 * A wait until `until` taken while others are at work, which an uncontended machine would end at
 * `uncontended`: the CPUs may be free again before then, so it is looked at again from then, soon
 * at first (the threads that woke to deliver a save go back to sleep within a millisecond or two),
 * then less and less often (two busy loops stay).
 */
function lookAgain (e: Evidence, until: number, uncontended: number): Step {
  const recheck = e.now + Math.max(CONTENTION_RECHECK_MS, e.now - uncontended)
  return { kind: 'wait', until: Math.min(until, Math.max(uncontended, recheck)) }
}

/** Others are at work (threads wait for a CPU, or one is blocked on the disk): the writer may be among them. */
function isBusy (e: Evidence): boolean {
  return e.contention > 1 || e.isDiskBlocked
}

/**
 * A quiet that was over at `ready` ends, unless a thread is blocked on the disk right now: a
 * writer that the kernel's writeback throttles is silent for as long as it is blocked, and
 * /proc/pressure does not count that time as the CPU's (the disk's counter cannot serve: it
 * counts the journal's own I/O after every save). Measured with a `dd` writing gigabytes to the
 * same disk (with `fsync`) and two busy loops beside, rewrites of 2,000 files split in two on
 * pauses of 30–470 ms anywhere in the burst: 11 of 40 without this rule, 2 of 40 with it (half
 * from a thread of the server's process, half from a process of their own). Looked at again
 * until the disk frees up (then the writer writes, or was not there), at most DISK_STALL_MAX_MS.
 */
function unlessDiskBlocked (e: Evidence, ready: number): Step {
  const stalled = e.now - ready
  if (!e.isDiskBlocked || stalled >= DISK_STALL_MAX_MS) return { kind: 'flush' }
  return { kind: 'wait', until: e.now + Math.min(DISK_RECHECK_MAX_MS, Math.max(CONTENTION_RECHECK_MS, stalled)) }
}

/**
 * A save the watcher has not delivered: one file written in place after a pause. The watcher
 * delivers the first change after an idle spell at once, but one that comes within
 * WATCHER_FORCED_FLUSH_MS of its last notice waits WATCHER_QUIET_MS for company (a save right
 * after the save that started a build, or 250–500 ms after another). Its last notice is not the
 * last batch seen here: its timer is one for the whole process, reset by every subscription's
 * notice, and by the batches that were stale copies of what the activity already sent (saves
 * 400 ms apart waited its 50 ms in 4 of 12, their last batch here 750–800 ms old). So a save it
 * has not delivered is sent from the activity, as any save, the watcher's copy stale; where the
 * watcher delivers at once, its batch comes first and decides.
 */
function isHeldSave (e: Evidence): boolean {
  return e.hasActivity && e.undelivered === 1 && e.isOneFile && e.quietBefore >= BURST_QUIET_MAX_MS
}

/** When a save the watcher holds may go, as one it delivered would (readyAt): never, for anything else. */
function heldSaveAt (e: Evidence, rules: Rules): number {
  return isHeldSave(e) ? e.lastWriteAt + (e.hasEmptyFile ? emptyQuiet(e, rules) : saveQuiet(e)) : Infinity
}

/**
 * The latest a pending change may wait. A checkout of 10,000 files on a busy machine can take
 * longer than the max wait; while it keeps writing files it had not written before, it is a
 * burst making progress, not a stream, and is waited out.
 */
function deadline (e: Evidence, rules: Rules): number {
  // A writer kept off a busy machine's CPUs writes its next new file that much later (up to
  // twice as late: on a machine whose CPUs never free up, the time lost says nothing more).
  const stall = BURST_QUIET_MAX_MS + Math.min(e.lostMs, BURST_QUIET_MAX_MS)
  const isProgressing = e.hasActivity && e.now - e.lastNewPathAt < stall
  return isProgressing ? Math.max(e.since + rules.maxWaitMs, Math.min(e.lastNewPathAt + stall, e.since + MAX_BURST_MS)) : e.since + rules.maxWaitMs
}

/** When the pending changes may go, if nothing else is written meanwhile. */
function readyAt (e: Evidence, rules: Rules): number {
  // The watched tree itself is gone (`rm -rf dist` before a rebuild): the deletions wait for it to
  // come back, with everything written into it, rather than send browsers to a 404 meanwhile.
  if (e.isRootGone && e.phase === 'open') return Infinity
  if (!e.hasActivity) {
    // A settling build whose output is never swept again (its poller is gone) waits no longer than a burst may.
    if (e.isSweepDue) return e.phase === 'settling' ? e.lastWriteAt + rules.maxWaitMs : Infinity
    return e.lastWriteAt + (e.phase === 'settling' ? Math.max(rules.quietMs, UNDELIVERED_GIVE_UP_MS) : rules.quietMs)
  }
  // A build that ended has written everything, and the activity saw all of it: nothing to wait for.
  if (e.phase === 'settling') return -Infinity
  // The activity lost events: a writer still at work gets a batch from the watcher at least every
  // forced flush, so a spell without one that long is the end.
  if (e.isActivityPartial) return e.lastBatchAt + WATCHER_FORCED_FLUSH_MS + WATCHER_QUIET_MS
  // A save: the activity saw its one file (the flush takes it from there if the watcher still
  // holds it). A file that is still empty waits for its write (activity re-decides at once), or
  // the quiet window.
  const isSave = e.batches === 1 && e.isOneFile && e.quietBefore >= BURST_QUIET_MAX_MS
  if (isSave) return e.lastWriteAt + (e.hasEmptyFile ? emptyQuiet(e, rules) : saveQuiet(e))
  // The watcher delivers everything it holds once it has been quiet for WATCHER_QUIET_MS: a batch
  // after that quiet followed the last write, and what it still lacks, the watcher lost (files
  // written into a new directory before it watched it); the flush takes them from the activity.
  const hasWatcherFlushed = e.lastBatchAt >= e.lastWriteAt + WATCHER_QUIET_MS
  // Given up on no sooner than the burst's own quiet: on a busy machine the watcher's thread and
  // the writer both wait for a CPU, and the writer may not be done.
  if (e.undelivered > 0 && !hasWatcherFlushed) return e.lastWriteAt + Math.max(burstQuiet(e.longestGap, e.lostMs), giveUp(e.lostMs))
  // Half a replacement: what removed the tree writes it again next, after a pause of its own.
  // Longer by the time threads waited for a CPU (as long again at most, as a burst's stall): an
  // `rm -rf` removes the root last, and a remover kept off the CPU before that step leaves
  // deletions that look over while the root still stands (a loaded run reloaded a tab onto a 404).
  if (e.isRemovalOnly) return e.lastWriteAt + BURST_QUIET_MAX_MS + Math.min(e.lostMs, BURST_QUIET_MAX_MS)
  return e.lastWriteAt + burstQuiet(e.longestGap, e.lostMs)
}

/**
 * How long (ms) a save must be quiet. A save is a bet that the one file written after a pause is
 * all there is. While other threads are at work (`contention`), its writer may be one of them:
 * the next file of a rewrite can come 9–40 ms after its first on disk, with no thread waiting
 * for a CPU meanwhile (measured: 2 of 20 synchronous rewrites of 2,000 files split on a bare 2 ms
 * quiet, 0 of 20 with this rule), so it waits a burst's quiet instead.
 */
function saveQuiet (e: Evidence): number {
  return isBusy(e) ? burstQuiet(0, e.lostMs) : Math.min(BURST_QUIET_MAX_MS, e.earlyMs + e.lostMs)
}

/** How long (ms) a file caught empty waits for its write (see EMPTY_FILE_MS). */
function emptyQuiet (e: Evidence, rules: Rules): number {
  return Math.max(rules.quietMs, EMPTY_FILE_MS) + e.lostMs
}

/** How long (ms) paths the watcher has not delivered are waited for: longer by the time its thread may have waited for a CPU. */
function giveUp (lostMs: number): number {
  return Math.min(UNDELIVERED_GIVE_UP_MS + lostMs, WATCHER_FORCED_FLUSH_MS + WATCHER_QUIET_MS)
}

/**
 * How long a burst must be quiet (ms) before it is over. The writer's own rhythm is the
 * evidence: a tool that paused 30 ms between two waves, or a writer the scheduler kept off a
 * busy machine's CPU for 25 ms, may pause that long again; twice its longest pause so far is
 * the margin. An unbroken checkout ends after BURST_QUIET_MS.
 *
 * Silence is evidence only where the writer could have run. On a machine whose CPUs are all
 * taken, a writer ready to write waits its turn, and the time it waits is no part of its
 * silence: the quiet asked grows by the time threads waited (`lostMs`), measured over the
 * silence itself, not sampled at one moment (the moment a batch arrives is the one its own
 * delivery makes busy). Measured with two busy loops on 2 cores, a thread rewriting 2,000 files
 * paused over 2 ms between two of them 4–11 times a burst, up to 17 ms, most often right after
 * its first file, when the watcher's thread and ours wake and take a CPU.
 */
export function burstQuiet (longestGap: number, lostMs: number): number {
  return Math.min(BURST_QUIET_MAX_MS, Math.max(BURST_QUIET_MS, 2 * longestGap) + lostMs)
}

/**
 * A save's quiet (ms) on a CPU nobody waits for, from how late its batch was handled: `lateMs`
 * after it reached us. A save is a bet that the one file written after a pause is all there
 * is; the next file of a checkout whose first file looked like a save comes within microseconds
 * of it, unless its writer is kept off the CPU: for as long as we were late, perhaps, so wait
 * twice that, up to a burst's quiet (see also `saveQuiet`).
 */
export function earlyWindow (lateMs: number): number {
  return Math.min(BURST_QUIET_MS, Math.max(EARLY_MS, 2 * lateMs))
}

/** Adds `changes` to `pending` (path → type), keeping each path's net effect. */
export function mergeChanges (pending: Map<string, FileChange['type']>, changes: readonly FileChange[]): void {
  for (const { path, type } of changes) {
    const before = pending.get(path)
    // Created and deleted within the window (an editor's temporary file): it never was.
    if (before === 'create' && type === 'delete') pending.delete(path)
    else pending.set(path, netType(before, type))
  }
}

/** Two events for one path in one batch: the browser and the builder need the net effect. */
function netType (before: FileChange['type'] | undefined, after: FileChange['type']): FileChange['type'] {
  if (before === 'delete' && after === 'create') return 'update' // a safe-write editor's rename
  if (before === 'create') return 'create'
  return after
}
