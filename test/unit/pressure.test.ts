// The kernel's pressure counters, read for real: threads kept waiting for a CPU show in them.
import t from 'tap'
import { availableParallelism } from 'node:os'
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { ownThreads, readyPerCpu, waitedMs } from '../../lib/pipeline/pressure.js'
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
  // Three threads that spin until told to stop, each saying once it spins: all three ready to run
  // (on a CPU or waiting for one) when counted, with this one, however busy the machine.
  const stop = new Int32Array(new SharedArrayBuffer(4))
  const workers = Array.from({ length: 3 }, () => new Worker(`
    const { parentPort, workerData } = require('node:worker_threads')
    parentPort.postMessage('spinning')
    while (Atomics.load(workerData, 0) === 0);`, { eval: true, workerData: stop }))
  await Promise.all(workers.map(async worker => await once(worker, 'message')))
  const own = ownThreads()
  const perCpu = readyPerCpu()
  Atomics.store(stop, 0, 1)
  await Promise.all(workers.map(async worker => await once(worker, 'exit')))
  t.ok(own.running >= 4, `${own.running} of this process's threads ready to run: the three spinning and this one`)
  t.ok(perCpu >= 1 / availableParallelism(), `${perCpu.toFixed(2)} per CPU: this thread at least`)
  t.ok(ownThreads().running >= 1, 'this one, once they stopped')
})
