// The coalescer's rules, one pure function: a table of what it knows and what it does.
import t from 'tap'
import type { FileChange } from '../../types/index.js'
import {
  BURST_QUIET_MAX_MS, BURST_QUIET_MS, burstQuiet, CONTENTION_RECHECK_MS, DISK_RECHECK_MAX_MS, DISK_STALL_MAX_MS, EARLY_MS, earlyWindow, EMPTY_FILE_MS, MAX_BURST_MS, mergeChanges, nextStep,
  UNDELIVERED_GIVE_UP_MS, WATCHER_FORCED_FLUSH_MS, WATCHER_QUIET_MS, type Evidence, type Step
} from '../../lib/pipeline/coalesce-rules.js'

const rules = { quietMs: 75, maxWaitMs: 5000 }
const T = 1_000_000
/** A save after a long pause, delivered at T, written at T: the base each row changes. */
const save: Evidence = { phase: 'open', now: T, since: T, batches: 1, pending: 1, isOneFile: true, hasActivity: true, undelivered: 0, lastWriteAt: T, lastBatchAt: T, isRemovalOnly: false, lastNewPathAt: -Infinity, longestGap: 0, quietBefore: Infinity, hasEmptyFile: false, earlyMs: EARLY_MS, lostMs: 0, contention: 0.5, isDiskBlocked: false, isActivityPartial: false, isRootGone: false, isSweepDue: false }
const waitUntil = (until: number): Step => ({ kind: 'wait', until })
const flush: Step = { kind: 'flush' }

const rows: Array<[string, Partial<Evidence>, Step]> = [
  ['nothing pending', { phase: 'idle' }, { kind: 'wait-for-evidence' }],
  ['a build runs', { phase: 'held' }, { kind: 'wait-for-evidence' }],
  ['a save, just delivered', {}, waitUntil(T + EARLY_MS)],
  ['a save, quiet for its window', { now: T + EARLY_MS }, flush],
  ['a save due in a fraction of a millisecond: waited for (the world times it on the loop\'s turns)', { now: T + EARLY_MS - 0.05 }, waitUntil(T + EARLY_MS)],
  ['a save on a slow machine', { earlyMs: 20, now: T + 10 }, waitUntil(T + 20)],
  ['a save while threads waited for a CPU: its writer may have been one, and that time is no quiet', { lostMs: 1, now: T + 1 }, waitUntil(T + EARLY_MS + 1)],
  ['…sent once quiet for its window where the writer could have run', { lostMs: 5, now: T + EARLY_MS + 5 }, flush],
  ['…threads waiting all along: a burst\'s longest quiet at most', { lostMs: BURST_QUIET_MAX_MS, now: T + BURST_QUIET_MAX_MS }, flush],
  ['a save while others are at work: its writer may be one of them, looked at again shortly', { contention: 1.5, now: T + 1 }, waitUntil(T + EARLY_MS)],
  ['…once its quiet would have been enough, a moment later', { contention: 1.5, now: T + EARLY_MS }, waitUntil(T + EARLY_MS + CONTENTION_RECHECK_MS)],
  ['…then less and less often', { contention: 1.5, now: T + EARLY_MS + 4 }, waitUntil(T + EARLY_MS + 8)],
  ['…sent once quiet for a burst\'s quiet (a batch the watcher held that long, whose delivery keeps threads busy: at once)', { contention: 1.5, now: T + BURST_QUIET_MS }, flush],
  ['…longer by the time threads waited', { contention: 1.5, lostMs: 10, now: T + BURST_QUIET_MS }, waitUntil(T + BURST_QUIET_MS + 10)],
  ['a save whose file is still empty: its write, or a while', { hasEmptyFile: true }, waitUntil(T + EMPTY_FILE_MS)],
  ['…longer by the time threads waited for a CPU (the writer among them)', { hasEmptyFile: true, lostMs: 40, now: T + EMPTY_FILE_MS }, waitUntil(T + EMPTY_FILE_MS + 40)],
  ['a save right after other writes: a stream', { quietBefore: 30 }, waitUntil(T + BURST_QUIET_MS)],
  ['a lone create is no save: a temporary file renamed over the page next', { isOneFile: false }, waitUntil(T + BURST_QUIET_MS)],
  ['a lone delete is half a replacement: an editor writes the file again', { isOneFile: false, isRemovalOnly: true }, waitUntil(T + BURST_QUIET_MAX_MS)],
  ['a save whose file the watcher still holds (its first batch had the temporary file)', { undelivered: 1 }, waitUntil(T + EARLY_MS)],
  ['the watched root is gone, deletions pending: held for its return, up to the max wait', { isOneFile: false, isRemovalOnly: true, isRootGone: true, hasActivity: false, now: T + 1000 }, waitUntil(T + rules.maxWaitMs)],
  ['removals only, so far: rm -rf before cp -r, a clean before a build', { batches: 3, pending: 2000, isRemovalOnly: true, now: T + 100 }, waitUntil(T + BURST_QUIET_MAX_MS)],
  ['…longer by the time threads waited for a CPU: the remover, kept off it, removes the root last', { batches: 3, pending: 2000, isRemovalOnly: true, lostMs: 100, now: T + BURST_QUIET_MAX_MS }, waitUntil(T + BURST_QUIET_MAX_MS + 100)],
  ['…as long again at most', { batches: 3, pending: 2000, isRemovalOnly: true, lostMs: 1000, now: T + 2 * BURST_QUIET_MAX_MS }, flush],
  ['two files are a burst', { pending: 2, isOneFile: false }, waitUntil(T + BURST_QUIET_MS)],
  ['a second batch is a burst', { batches: 2 }, waitUntil(T + BURST_QUIET_MS)],
  ['a save the watcher holds (its last batch came less than its forced flush ago): sent from the activity', { phase: 'idle', batches: 0, pending: 0, undelivered: 1, lastBatchAt: T - 300 }, waitUntil(T + EARLY_MS)],
  ['…and when its last batch here is older: its timer is the whole process\'s, reset by batches this tree never sees', { phase: 'idle', batches: 0, pending: 0, undelivered: 1, lastBatchAt: T - WATCHER_FORCED_FLUSH_MS }, waitUntil(T + EARLY_MS)],
  ['…nor after other writes: a stream', { phase: 'idle', batches: 0, pending: 0, undelivered: 1, lastBatchAt: T - 300, quietBefore: 30 }, waitUntil(T + WATCHER_FORCED_FLUSH_MS + WATCHER_QUIET_MS)],
  ['a save the watcher holds, while others are at work: looked at again shortly, as one it delivered', { phase: 'idle', batches: 0, pending: 0, undelivered: 1, lastBatchAt: T - 300, contention: 1.5, now: T + 1 }, waitUntil(T + EARLY_MS)],
  ['…sent once they are done', { phase: 'idle', batches: 0, pending: 0, undelivered: 1, lastBatchAt: T - 300, now: T + EARLY_MS }, flush],
  ['…else looked at less and less often', { phase: 'idle', batches: 0, pending: 0, undelivered: 1, lastBatchAt: T - 300, contention: 1.5, now: T + EARLY_MS + 4 }, waitUntil(T + EARLY_MS + 8)],
  ['…and sent after a burst\'s quiet at most', { phase: 'idle', batches: 0, pending: 0, undelivered: 1, lastBatchAt: T - 300, contention: 1.5, now: T + BURST_QUIET_MS }, flush],
  ['…a thread blocked on the disk: looked at again shortly too', { phase: 'idle', batches: 0, pending: 0, undelivered: 1, lastBatchAt: T - 300, isDiskBlocked: true, now: T + 1 }, waitUntil(T + EARLY_MS)],
  ['…a file still empty: its write, or a while, whoever is at work', { phase: 'idle', batches: 0, pending: 0, undelivered: 1, lastBatchAt: T - 300, hasEmptyFile: true, contention: 1.5, now: T + 1 }, waitUntil(T + EMPTY_FILE_MS)],
  ['a burst with 30 ms pauses', { batches: 2, longestGap: 30 }, waitUntil(T + 60)],
  ['a burst, quiet long enough', { batches: 2, now: T + BURST_QUIET_MS }, flush],
  ['a burst quiet long enough, but threads waited for a CPU 20 ms of it', { batches: 2, lostMs: 20, now: T + BURST_QUIET_MS }, waitUntil(T + BURST_QUIET_MS + 20)],
  ['a burst quiet long enough while others are at work, nobody waiting: over', { batches: 2, contention: 2, now: T + BURST_QUIET_MS }, flush],
  ['a burst quiet long enough while a thread is blocked on the disk: its writer may be throttled, looked at again shortly', { batches: 2, isDiskBlocked: true, now: T + BURST_QUIET_MS }, waitUntil(T + BURST_QUIET_MS + CONTENTION_RECHECK_MS)],
  ['…then as long again as it waited', { batches: 2, isDiskBlocked: true, now: T + BURST_QUIET_MS + 4 }, waitUntil(T + BURST_QUIET_MS + 8)],
  ['…at most every few milliseconds', { batches: 2, isDiskBlocked: true, now: T + BURST_QUIET_MS + 100 }, waitUntil(T + BURST_QUIET_MS + 100 + DISK_RECHECK_MAX_MS)],
  ['…and over once the disk frees up', { batches: 2, now: T + BURST_QUIET_MS + 4 }, flush],
  ['…or at most this long past its quiet', { batches: 2, isDiskBlocked: true, now: T + BURST_QUIET_MS + DISK_STALL_MAX_MS }, flush],
  ['a save while a thread is blocked on the disk waits a burst\'s quiet', { isDiskBlocked: true, now: T + EARLY_MS }, waitUntil(T + EARLY_MS + CONTENTION_RECHECK_MS)],
  ['…and is held while it stays blocked', { isDiskBlocked: true, now: T + BURST_QUIET_MS }, waitUntil(T + BURST_QUIET_MS + CONTENTION_RECHECK_MS)],
  ['a save the watcher holds, a thread blocked on the disk: held too', { phase: 'idle', batches: 0, pending: 0, undelivered: 1, isDiskBlocked: true, now: T + BURST_QUIET_MS + 2 }, waitUntil(T + BURST_QUIET_MS + 4)],
  ['settling while a thread is blocked on the disk: the build has written everything', { phase: 'settling', isDiskBlocked: true, batches: 7, pending: 200 }, flush],
  ['the max wait while a thread is blocked on the disk: whatever else', { isOneFile: false, undelivered: 3, isDiskBlocked: true, since: T - rules.maxWaitMs }, flush],
  ['…quiet long enough where the writer could have run', { batches: 2, lostMs: 20, now: T + BURST_QUIET_MS + 20 }, flush],
  ['…threads waiting all along: a burst\'s longest quiet at most', { batches: 2, lostMs: BURST_QUIET_MAX_MS, now: T + BURST_QUIET_MAX_MS }, flush],
  ['paths the activity never saw: it lost events, and the watcher\'s batches decide', { batches: 4, isActivityPartial: true, lastBatchAt: T, now: T + 100 }, waitUntil(T + WATCHER_FORCED_FLUSH_MS + WATCHER_QUIET_MS)],
  ['…once the watcher has been silent past its forced flush', { batches: 4, isActivityPartial: true, lastBatchAt: T, now: T + WATCHER_FORCED_FLUSH_MS + WATCHER_QUIET_MS }, flush],
  ['writes the watcher still holds', { isOneFile: false, undelivered: 3, now: T + 100 }, waitUntil(T + UNDELIVERED_GIVE_UP_MS)],
  ['writes the watcher never delivers', { isOneFile: false, undelivered: 3, now: T + UNDELIVERED_GIVE_UP_MS }, flush],
  ['writes the watcher still holds, while threads waited for a CPU: its thread and the writer may have been among them', { isOneFile: false, undelivered: 3, longestGap: 40, lostMs: 60, now: T + UNDELIVERED_GIVE_UP_MS + 20 }, waitUntil(T + UNDELIVERED_GIVE_UP_MS + 60)],
  ['…given up on at the longer of the burst\'s quiet and the give-up, each longer by the time lost', { isOneFile: false, undelivered: 3, longestGap: 40, lostMs: 60, now: T + UNDELIVERED_GIVE_UP_MS + 60 }, flush],
  ['…the give-up at most the watcher\'s forced flush and quiet', { isOneFile: false, undelivered: 3, lostMs: 1000, now: T + WATCHER_FORCED_FLUSH_MS + WATCHER_QUIET_MS }, flush],
  ['writes the watcher lost: its batch after the last write\'s quiet lacks them', { isOneFile: false, undelivered: 3, batches: 2, lastBatchAt: T + WATCHER_QUIET_MS, now: T + WATCHER_QUIET_MS }, flush],
  ['…not a batch from before that quiet', { isOneFile: false, undelivered: 3, batches: 2, lastBatchAt: T + WATCHER_QUIET_MS - 1, now: T + WATCHER_QUIET_MS }, waitUntil(T + UNDELIVERED_GIVE_UP_MS)],
  ['the max wait, whatever else', { isOneFile: false, undelivered: 3, since: T - rules.maxWaitMs }, flush],
  ['the max wait caps the wait', { isOneFile: false, undelivered: 3, since: T - rules.maxWaitMs + 10 }, waitUntil(T + 10)],
  ['a burst still writing new files is waited out past the max wait', { batches: 9, since: T - rules.maxWaitMs, lastNewPathAt: T - 10 }, waitUntil(T + BURST_QUIET_MS)],
  ['…until it stops writing new ones', { batches: 9, since: T - rules.maxWaitMs - 300, lastNewPathAt: T - 300, lastWriteAt: T - 1 }, flush],
  ['…and at most MAX_BURST_MS', { batches: 9, since: T - MAX_BURST_MS, lastNewPathAt: T }, flush],
  ['…and a burst on a machine whose CPUs never free up progresses no longer than twice a burst\'s longest quiet after its last new file', { batches: 9, since: T - rules.maxWaitMs - 600, lastNewPathAt: T - 2 * BURST_QUIET_MAX_MS, lastWriteAt: T - 2 * BURST_QUIET_MAX_MS, lostMs: 2 * BURST_QUIET_MAX_MS }, flush],
  ['a burst past the max wait, no new file for longer than its longest quiet, but threads waited for a CPU since: still progressing', { batches: 9, since: T - rules.maxWaitMs - 300, lastNewPathAt: T - 300, lastWriteAt: T - 60, lostMs: 60 }, waitUntil(T + 10)],
  ['settling: everything delivered', { phase: 'settling', batches: 7, pending: 200 }, flush],
  ['settling: the watcher still holds some, the activity saw them', { phase: 'settling', undelivered: 1 }, flush],
  ['without activity: the quiet window', { hasActivity: false }, waitUntil(T + rules.quietMs)],
  ['without activity, settling: at least the give-up time', { hasActivity: false, phase: 'settling' }, waitUntil(T + UNDELIVERED_GIVE_UP_MS)],
  ['polled, no sweep begun since the last change has ended: however long the quiet, up to the max wait', { hasActivity: false, isSweepDue: true, now: T + 1000 }, waitUntil(T + rules.maxWaitMs)],
  ['polled, settling, no sweep begun since the build ended has ended: up to the max wait', { hasActivity: false, isSweepDue: true, phase: 'settling', now: T + 1000 }, waitUntil(T + rules.maxWaitMs)],
  ['polled, swept since: the quiet window', { hasActivity: false, isSweepDue: false, now: T + rules.quietMs }, flush]
]

for (const [name, change, expected] of rows) {
  t.same(nextStep({ ...save, ...change }, rules), expected, name)
}

t.test('a burst\'s quiet: twice its longest pause, within bounds', async t => {
  t.equal(burstQuiet(0, 0), BURST_QUIET_MS)
  t.equal(burstQuiet(30, 0), 60)
  t.equal(burstQuiet(10_000, 0), BURST_QUIET_MAX_MS)
})

t.test('a burst\'s quiet where threads waited for a CPU: longer by the time they waited, within bounds', async t => {
  t.equal(burstQuiet(0, 15), BURST_QUIET_MS + 15)
  t.equal(burstQuiet(30, 20), 80)
  t.equal(burstQuiet(0, 1000), BURST_QUIET_MAX_MS)
})

t.test('a save\'s quiet: twice how late its batch came, within bounds', async t => {
  t.equal(earlyWindow(0.3), EARLY_MS)
  t.equal(earlyWindow(8), 16)
  t.equal(earlyWindow(500), BURST_QUIET_MS)
})

t.test('several events for one path become their net effect', async t => {
  const cases: Array<[Array<FileChange['type']>, Array<FileChange['type']>]> = [
    [['delete', 'create'], ['update']],
    [['create', 'update'], ['create']],
    [['update', 'delete'], ['delete']],
    [['create', 'delete'], []] // an editor's temporary file: it never was
  ]
  for (const [types, expected] of cases) {
    const pending = new Map<string, FileChange['type']>()
    mergeChanges(pending, types.map(type => ({ path: '/a', type })))
    t.same([...pending.values()], expected, types.join(' then '))
  }
})
