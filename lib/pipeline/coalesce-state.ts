import type { FileChange } from '../../types/index.js'
import { COALESCER_PHASES, type CoalescerEvent, type CoalescerPhase } from './coalesce-phases.js'
import { BURST_QUIET_MAX_MS, EARLY_MS, earlyWindow, mergeChanges, WATCHER_FORCED_FLUSH_MS, WATCHER_QUIET_MS, type Evidence } from './coalesce-rules.js'
import { transition } from './machine.js'
import type { World } from '../world.js'
import type { Load } from '../pressure.js'

/** Per path the activity saw since the last flush: how often it was created, removed or renamed. */
interface Seen { renames: number }

/**
 * When a path went with a flush: the clock, the threads' waiting (world.waited()) then, and what
 * the disk said of the file (size and mtime, null when gone; undefined in a flush too large to
 * look at each file).
 */
interface Flushed { at: number, waited: number, identity: string | null | undefined }

/** Files of one flush whose size and mtime are read, to tell a late copy from a write the activity missed. */
const IDENTIFIED_MAX = 64

/**
 * Everything the coalescer knows, as data: its phase and what it gathered since the last flush.
 * The functions below are its transitions; coalesce.ts, the shell, owns the timer and the
 * deferred decisions and calls them.
 */
export interface CoalescerState {
  phase: CoalescerPhase
  readonly pending: Map<string, FileChange['type']>
  readonly seen: Map<string, Seen>
  /**
   * Paths flushed as the activity saw them, not written since: the watcher's late copies of them
   * are stale (see isStaleCopy). Kept from every flush as long as a copy can still come.
   */
  readonly flushed: Map<string, Flushed>
  since: number
  batches: number
  lastWriteAt: number
  lastBatchAt: number
  /** When the watcher last delivered a path the activity had not seen (yet): a write all the same. */
  unseenAt: number
  longestGap: number
  /** The threads' waiting (world.waited()) when the silence since the last write began, read at most once a millisecond. */
  silence: { from: number, waited: number }
  lastNewPathAt: number
  /** Whether the root was deleted and its return not pushed yet. */
  isRootAwaited: boolean
  /** Whether the watcher delivered paths the activity never saw in this burst (see Evidence.isActivityPartial). */
  isActivityPartial: boolean
  quietBefore: number
  /** Whether the activity saw a write in this burst. */
  hasWrites: boolean
  /**
   * Whether a build carried every write so far and ended: the next write follows a pause, however
   * short (a build's end is the evidence that what came before was over, not the clock).
   */
  isAnswered: boolean
  earlyMs: number
}

/** What the state is read against: the world, the watched root, and the feeds' view (coalesce.ts). */
export interface Context {
  readonly world: Pick<World, 'now' | 'stat' | 'waited' | 'load'>
  readonly root: string | null
  readonly hasActivity: boolean
  /** Whether a polled tree may still report writes from before `since`. */
  isSweepDue (since: number): boolean
}

export function initialState (): CoalescerState {
  return {
    phase: 'idle',
    pending: new Map(),
    seen: new Map(),
    flushed: new Map(),
    since: 0,
    batches: 0,
    lastWriteAt: -Infinity,
    lastBatchAt: -Infinity,
    unseenAt: -Infinity,
    longestGap: 0,
    silence: { from: -Infinity, waited: 0 },
    lastNewPathAt: -Infinity,
    isRootAwaited: false,
    isActivityPartial: false,
    quietBefore: Infinity,
    hasWrites: false,
    isAnswered: false,
    earlyMs: EARLY_MS
  }
}

/** Moves `s` to the phase `event` leads to: an event its phase does not accept throws. */
export function enter (s: CoalescerState, event: CoalescerEvent): void {
  s.phase = transition('coalescer', COALESCER_PHASES, s.phase, event)
}

const IDLE: Load = { readyPerCpu: 0, isDiskBlocked: false }

export function evidence (s: CoalescerState, ctx: Context): Evidence {
  const { world, root, hasActivity } = ctx
  if (s.phase === 'closed') throw new Error('coalescer: no evidence once closed')
  const lastWrite = Math.max(s.lastWriteAt, s.unseenAt)
  const now = world.now()
  const isRemovalOnly = s.pending.size > 0 && [...s.pending.values()].every(type => type === 'delete')
  const undelivered = hasActivity ? countUndelivered(s, ctx) : 0
  // A save asks; in idle, one the watcher still holds (see isHeldSave in coalesce-rules.ts).
  const isSaveAsked = s.batches === 1 || (s.phase === 'idle' && undelivered === 1)
  const file = isSaveAsked ? oneFile(s, ctx) : undefined
  // Only a quiet window asks what the machine is doing.
  const { readyPerCpu, isDiskBlocked } = s.phase === 'open' || (s.phase === 'idle' && file !== undefined) ? world.load() : IDLE
  return {
    phase: s.phase,
    now,
    since: s.since,
    batches: s.batches,
    pending: s.pending.size,
    isOneFile: file !== undefined,
    hasActivity,
    undelivered,
    lastWriteAt: lastWrite,
    isSweepDue: ctx.isSweepDue(lastWrite),
    lastBatchAt: s.lastBatchAt,
    isRemovalOnly,
    isRootGone: root !== null && isRemovalOnly && (s.isRootAwaited || world.stat(root) === undefined),
    longestGap: s.longestGap,
    lastNewPathAt: s.lastNewPathAt,
    isActivityPartial: s.isActivityPartial,
    quietBefore: s.quietBefore,
    hasEmptyFile: isEmpty(ctx, file),
    earlyMs: s.earlyMs,
    lostMs: s.phase === 'open' || s.phase === 'idle' ? lost(s, ctx, now - lastWrite) : 0, // only quiet windows ask
    contention: readyPerCpu,
    isDiskBlocked
  }
}

/** How often (ms) at most a burst's writes read the threads' waiting: one reading a millisecond is enough for a silence's count. */
const SILENCE_READ_MS = 1

/** Marks a write at `at`: the silence that may follow starts here (give or take the millisecond of the last reading). */
function wrote (s: CoalescerState, ctx: Context, at: number): void {
  if (at - s.silence.from >= SILENCE_READ_MS) s.silence = { from: at, waited: ctx.world.waited() }
}

/** How long, of a silence of `silentMs` since the last write, a writer may have been kept from writing. */
function lost (s: CoalescerState, ctx: Context, silentMs: number): number {
  return Math.max(0, Math.min(silentMs, ctx.world.waited() - s.silence.waited))
}

function countUndelivered (s: CoalescerState, ctx: Context): number {
  let count = 0
  for (const [path, seenAs] of s.seen) {
    if (!s.pending.has(path) && !isTemporary(ctx, path, seenAs)) count++
  }
  return count
}

/** Created and removed again under our eyes: the watcher may fold both into nothing. */
const isTemporary = (ctx: Context, path: string, { renames }: Seen): boolean => renames >= 2 && ctx.world.stat(path) === undefined

const isEmpty = (ctx: Context, path: string | undefined): boolean => path !== undefined && ctx.world.stat(path)?.size === 0

/**
 * The one file the activity saw written, if that is all that is pending: written in place, or
 * renamed over its target from a temporary file that came and went (see Evidence.isOneFile).
 */
function oneFile (s: CoalescerState, ctx: Context): string | undefined {
  if (s.pending.size > 2 || s.seen.size > 3) return undefined // a save: its file, a temporary file, maybe its backup
  let file: string | undefined
  let hasTemporary = false
  for (const [path, seenAs] of s.seen) {
    if (isTemporary(ctx, path, seenAs)) hasTemporary = true
    else if (file !== undefined) return undefined
    else file = path
  }
  if (file === undefined || ctx.world.stat(file) === undefined) return undefined
  for (const path of s.pending.keys()) {
    if (path !== file && !isTemporary(ctx, path, s.seen.get(path) ?? { renames: 0 })) return undefined
  }
  return s.seen.get(file)?.renames === 0 || hasTemporary ? file : undefined
}

/**
 * Takes everything pending, as the disk says it is, and starts afresh (the `flush` transition).
 * What the watcher still holds at a build's end (it has written everything: not waited for,
 * ~50 ms), or never delivers (files written into a new directory before it was watched), is
 * taken from the activity and the disk.
 */
export function takePending (s: CoalescerState, ctx: Context): FileChange[] {
  if (ctx.hasActivity) takeSeen(s, ctx)
  reviveDeleted(s, ctx) // what the activity did not see (it was following a tree that came back) too
  const changes = [...s.pending].map(([path, type]) => ({ path, type }))
  const at = ctx.world.now()
  const waited = ctx.world.waited()
  for (const [path, flushed] of s.flushed) if (!mayStillCome(ctx, flushed, at)) s.flushed.delete(path)
  const carried = [...s.seen].filter(([path, seenAs]) => s.pending.has(path) || isTemporary(ctx, path, seenAs)).map(([path]) => path)
  const isIdentified = carried.length <= IDENTIFIED_MAX
  for (const path of carried) s.flushed.set(path, { at, waited, identity: isIdentified ? identityOf(ctx, path) : undefined })
  s.pending.clear()
  s.seen.clear()
  s.batches = 0
  s.longestGap = 0
  s.lastNewPathAt = -Infinity
  s.isActivityPartial = false
  s.isRootAwaited = false // what it held went with this flush; the disk says whether it is still gone
  s.hasWrites = false
  // A save the watcher holds has no batch to say how late we are: the uncontended quiet, not the last burst's.
  s.earlyMs = EARLY_MS
  enter(s, 'flush')
  return changes
}

/**
 * Makes the pending changes say what the disk says, for every path the activity saw: what
 * the watcher has not delivered yet is added, and a type the watcher delivered before the
 * path was created or removed again (a delete, then the new file) is corrected. The
 * watcher's late copies of these are then stale.
 */
function takeSeen (s: CoalescerState, ctx: Context): void {
  for (const [path, seenAs] of s.seen) {
    const type = s.pending.get(path)
    if (seenAs.renames === 0) { // written in place: an update, delivered or not
      s.pending.set(path, type ?? 'update')
      continue
    }
    const exists = ctx.world.stat(path) !== undefined
    if (exists) s.pending.set(path, type === 'create' || (type === undefined && seenAs.renames % 2 === 1) ? 'create' : 'update')
    else if (type === 'create' || (type === undefined && isTemporary(ctx, path, seenAs))) s.pending.delete(path) // it came and went
    else s.pending.set(path, 'delete')
  }
}

/**
 * A path the watcher reported deleted that exists again (a tree removed and
 * written again, whose new files the watcher may report only later, or never: it watched the
 * new tree late) is an update: it is hashed now, so its late copy changes nothing.
 */
function reviveDeleted (s: CoalescerState, ctx: Context): void {
  for (const [path, type] of s.pending) {
    if (type === 'delete' && ctx.world.stat(path) !== undefined) s.pending.set(path, 'update')
  }
}

/**
 * A batch from the watcher, taken in once the activity has caught up with it (the shell's
 * `defer`): only then does the activity say which of its paths are stale copies.
 */
export function absorb (s: CoalescerState, ctx: Context, changes: readonly FileChange[], at: number): void {
  const fresh = ctx.hasActivity ? changes.filter(change => !isStaleCopy(s, ctx, change.path, at)) : changes
  if (fresh.length === 0) return
  if (fresh.some(change => change.path === ctx.root)) s.isRootAwaited = false // back
  if (s.phase === 'idle') {
    s.since = at
    // How late we are (our own loop slow to come back to the batch): a writer on this machine
    // may be that slow to write its next file. Not the file's age: file times come from the
    // kernel's coarse clock, up to a tick (4–10 ms) behind the write.
    s.earlyMs = earlyWindow(ctx.world.now() - at)
  }
  enter(s, 'batch')
  s.batches++
  s.lastBatchAt = at
  if (!ctx.hasActivity) {
    s.lastWriteAt = at
    wrote(s, ctx, at)
  }
  mergeChanges(s.pending, fresh)
  for (const { path } of fresh) {
    if (s.seen.has(path)) continue
    if (s.unseenAt !== at) wrote(s, ctx, at)
    s.unseenAt = at
    if (!ctx.hasActivity) continue
    s.isActivityPartial = true
    s.lastNewPathAt = at // a burst still making progress, seen through the watcher's eyes
  }
}

/**
 * With activity: a copy of a path a flush already carried, not written since, is stale. Whichever
 * flush carried it: a save the watcher reports twice (its truncate, then its write, a batch
 * each) may be followed by another save's flush before the second copy comes, and that copy,
 * taken for news the activity never saw, opened a burst that waited out the watcher's forced
 * flush, and every batch after it waited again (a save 1.5 s from its build, seen in a seeded
 * interleaving of test/unit/pipeline-interleavings.test.ts). Only while the disk still says
 * what it said at the flush: a write the activity missed (a directory it lost, events the
 * kernel dropped) changes the file's mtime or size, and is news.
 */
function isStaleCopy (s: CoalescerState, ctx: Context, path: string, at: number): boolean {
  const flushed = s.flushed.get(path)
  if (flushed === undefined || !mayStillCome(ctx, flushed, at)) return false
  return flushed.identity === undefined || identityOf(ctx, path) === flushed.identity
}

const identityOf = (ctx: Context, path: string): string | null => {
  const stat = ctx.world.stat(path)
  return stat === undefined ? null : `${stat.size}:${stat.mtimeMs}`
}

/**
 * Whether the watcher may still deliver, at `at`, a copy of a write flushed as `flushed` says: it
 * delivers every event within its forced flush and quiet, counted in time its thread could run
 * (threads waited for a CPU meanwhile: pressure.ts, at most as much again, as for the paths it
 * has not delivered: see giveUp in coalesce-rules.ts). Past that, a batch naming the path is a
 * write the activity did not see.
 */
function mayStillCome (ctx: Context, flushed: Flushed, at: number): boolean {
  const elapsed = at - flushed.at
  const lost = Math.min(elapsed, Math.max(0, ctx.world.waited() - flushed.waited), WATCHER_FORCED_FLUSH_MS + WATCHER_QUIET_MS)
  return elapsed - lost <= WATCHER_FORCED_FLUSH_MS + WATCHER_QUIET_MS
}

/**
 * A write the activity saw. Returns whether to decide again now: more writes only ever postpone
 * a flush, which the armed timer re-decides when it fires; the exceptions are a save's file
 * caught empty, which this write may have filled (in `open`, and in `idle`, where the watcher has
 * yet to deliver it), and the first write the watcher has yet to deliver, which it may never
 * deliver (see nextStep).
 */
export function noteWrite (s: CoalescerState, ctx: Context, path: string, kind: 'rename' | 'change', isTimerArmed: boolean): boolean {
  const now = ctx.world.now()
  const gap = s.isAnswered ? Infinity : now - s.lastWriteAt
  s.isAnswered = false
  if (!s.hasWrites) s.quietBefore = gap
  // A longer pause is no part of a burst. The pause before this burst counts when short: a stream.
  if (gap < BURST_QUIET_MAX_MS) s.longestGap = Math.max(s.longestGap, gap)
  s.hasWrites = true
  s.lastWriteAt = now
  wrote(s, ctx, now)
  s.flushed.delete(path) // written again: the watcher's next copy of it is news
  const known = s.seen.get(path)
  if (known === undefined) {
    s.seen.set(path, { renames: kind === 'rename' ? 1 : 0 })
    s.lastNewPathAt = now
  } else if (kind === 'rename') {
    known.renames++
  }
  return (s.phase === 'open' && s.batches === 1 && s.seen.size <= 3) || (s.phase === 'idle' && (!isTimerArmed || s.seen.size === 1))
}

/**
 * A build that carried every change so far ended (the `answered` transition): the next write
 * starts a burst of its own, after a pause, as after an idle spell. Only with nothing gathered
 * since: a write during the build is part of what comes next, and keeps its rhythm.
 */
export function noteAnswered (s: CoalescerState): void {
  enter(s, 'answered')
  if (s.phase === 'idle' && s.seen.size === 0 && s.pending.size === 0) s.isAnswered = true
}
