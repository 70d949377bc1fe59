// The kernel's pressure counters, read for real: threads kept waiting for a CPU show in them.
import t from 'tap'
import { availableParallelism } from 'node:os'
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { waitedMs } from '../../lib/pipeline/pressure.js'
import { withoutTrackerInThreads } from '../helpers/threads.js'

withoutTrackerInThreads()

/** Keeps one CPU busy for `ms` in its own thread. */
const SPIN = 'const end = Date.now() + Number(require("node:worker_threads").workerData); while (Date.now() < end);'

t.test('more threads than CPUs, all busy: the time they waited for one grows', async t => {
  const before = waitedMs()
  t.ok(before > 0, 'counted since boot')
  // One thread more than there are CPUs, each busy 300 ms: one of them always waits its turn.
  const workers = Array.from({ length: availableParallelism() + 1 }, () => new Worker(SPIN, { eval: true, workerData: 300 }))
  await Promise.all(workers.map(async worker => await once(worker, 'exit')))
  const after = waitedMs()
  t.ok(after - before >= 50, `waited ${(after - before).toFixed(1)} ms`)
  t.ok(waitedMs() >= after, 'never goes back')
})
