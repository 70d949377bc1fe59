// The shards of a build as BullMQ jobs, built by shard workers (shard-worker.ts) on any machine
// that sees the same files: the same ShardPool as the local worker threads (pool.ts), so the
// fingerprints, the cache and the merge around it are the sharded builder's own, unchanged.
// Results come back through QueueEvents (a Redis stream), jobs are deleted once they end.
import { randomUUID } from 'node:crypto'
import type { ConnectionOptions, Queue, QueueEvents } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import type { BuildErrorInfo, RedisConnectionOptions, ShardInput } from '../../../types/index.js'
import type { ShardPool, ShardRun } from './pool.js'
import { checkReply } from './job-data.js'
import { closeWithin, connectionOf, JOB_ATTEMPTS, loadBullMQ, type ShardJob, type ShardReply } from './queue-job.js'
import { displayRedis, withoutPassword } from '../../redis-address.js'

/** Why bullmq is imported, as FST_LIVERELOAD_MISSING_DEPENDENCY says it. */
export const QUEUE_NEEDS = 'for the sharded builder\'s queue option'

/** How often a running build checks that a worker is still connected (ms). */
const CHECK_MS = 1000
/** How long close() lets the connections say goodbye to Redis before it drops them (ms). */
const CLOSE_MS = 2000
/**
 * The least time (ms) a connection that has reported no error gets to be ready before Redis is
 * called unreachable: ioredis's own connect timeout, after which it reports a connection that did
 * not complete as an error. A short `workerTimeout` is about workers, not Redis.
 */
const SILENT_CONNECT_MS = 10_000

export interface QueueConfig {
  redis: string | RedisConnectionOptions
  name: string
  workerTimeout: number
}

export interface ShardQueueOptions {
  queue: QueueConfig
  worker: string
  generation: string
  timeout: number
  maxMemory: number | undefined
  log: FastifyBaseLogger
}

/** What the steps of one shard queue share: its connections, and the state they change. */
interface ShardQueueState {
  readonly options: ShardQueueOptions
  readonly QueueEvents: typeof QueueEvents
  readonly connection: ConnectionOptions
  readonly queue: Queue<ShardJob, ShardReply>
  // Opened once the queue has connected: BullMQ cannot close a QueueEvents that never connected.
  events: QueueEvents | null
  // ioredis reports every failed reconnection: one warning per outage, the build says the rest.
  lastError: Error | null
  readonly onError: (failed: Error) => void
  /** Who hears the next error of either connection (a wait for Redis that an error ends). */
  readonly errorListeners: Set<() => void>
  /** The runs waiting for jobs: close() ends them. */
  readonly running: Set<() => void>
  readonly closing: AbortController
}

/** Connects to the queue (lazily: the first build waits for Redis, bounded by `workerTimeout`). */
export async function createShardQueue (options: ShardQueueOptions): Promise<ShardPool> {
  const { Queue, QueueEvents } = await loadBullMQ(QUEUE_NEEDS)
  const { redis, name } = options.queue
  const connection = connectionOf(redis)
  const shardQueue: ShardQueueState = {
    options,
    QueueEvents,
    connection,
    queue: new Queue<ShardJob, ShardReply>(name, { connection }),
    events: null,
    lastError: null,
    onError: (failed: Error): void => {
      const err = withoutPassword(failed)
      if (shardQueue.lastError === null) options.log.warn({ err, queue: name, redis: displayRedis(redis) }, 'the shard queue cannot reach Redis; retrying')
      shardQueue.lastError = err
      for (const listener of shardQueue.errorListeners) listener()
    },
    errorListeners: new Set<() => void>(),
    running: new Set<() => void>(),
    closing: new AbortController()
  }
  shardQueue.queue.on('error', shardQueue.onError)
  let closed: Promise<void> | undefined

  return {
    run: (tasks, signal, onDone) => run(shardQueue, tasks, signal, onDone),
    close () {
      closed ??= (async () => {
        shardQueue.closing.abort()
        for (const stop of shardQueue.running) stop()
        await Promise.all([shardQueue.events, shardQueue.queue].map(async handle => { if (handle !== null) await closeWithin(handle, CLOSE_MS) }))
      })()
      return closed
    }
  }
}

/**
 * Why no worker took the build: none is connected only where Redis said so (it counted 0);
 * where it did not answer in time, it is Redis that cannot be reached, whether or not ioredis
 * has reported the lost connection yet (on a loaded machine it had not, 1.5 s after a stop).
 */
function noWorker ({ options, lastError }: ShardQueueState, hasCounted: boolean, waitedMs = options.queue.workerTimeout): string {
  const { redis, name, workerTimeout } = options.queue
  return lastError === null && hasCounted
    ? `no shard worker is connected to the queue "${name}" on Redis at ${displayRedis(redis)} (waited ${workerTimeout} ms): start one on a machine that sees these files, with \`fastify-livereload shard-worker --redis ${displayRedis(redis)} --queue ${name} --worker ${options.worker}\``
    : `cannot reach Redis at ${displayRedis(redis)} for the shard queue "${name}" (waited ${waitedMs} ms): ${lastError?.message ?? 'it did not answer'}`
}

/** Resolves once a worker is connected (and the events are listened to), or with why not within `workerTimeout`. */
async function ready (shardQueue: ShardQueueState, signal: AbortSignal): Promise<{ events: QueueEvents } | { problem: string }> {
  const done = new AbortController() // ends the wait for the deadline once ready
  try {
    return await poll(shardQueue, AbortSignal.any([signal, done.signal]))
  } finally {
    done.abort()
  }
}

async function poll (shardQueue: ShardQueueState, signal: AbortSignal): Promise<{ events: QueueEvents } | { problem: string }> {
  const { workerTimeout } = shardQueue.options.queue
  // Reaching Redis and waiting for a worker each get `workerTimeout`: on a loaded machine (a
  // build with no worker failed 2.6 s into a 1.5 s timeout) the two connections alone can
  // outlast a short timeout, and a build with a worker ready would fail for want of one. A
  // connection that has reported no error by then gets as long again, and at least ioredis's own
  // connect timeout: a Redis that refuses or drops it says so at once, and one that is only slow
  // to be heard (its answers queued behind the rest of a busy process's work, as loaded runs
  // showed at 1.5 and 3 s) is no unreachable one.
  const began = Date.now()
  const connectBy = began + workerTimeout
  const silentFor = Math.max(2 * workerTimeout, SILENT_CONNECT_MS)
  let waitedMs = workerTimeout
  const erred = new AbortController() // ends the longer wait: the connection said what is wrong
  const onError = (): void => { erred.abort() }
  shardQueue.errorListeners.add(onError)
  const connectedIn = until(connectBy, signal).then(async () => {
    if (shardQueue.lastError !== null) return null
    await until(began + silentFor, AbortSignal.any([signal, erred.signal]))
    waitedMs = erred.signal.aborted ? Date.now() - began : silentFor
    return null
  })
  try {
    return await connectAndCount(shardQueue, connectedIn, signal, () => waitedMs)
  } finally {
    shardQueue.errorListeners.delete(onError)
  }
}

/** Both connections ready (or why not by `connectedIn`), then a worker counted within `workerTimeout`. */
async function connectAndCount (shardQueue: ShardQueueState, connectedIn: Promise<null>, signal: AbortSignal, waitedMs: () => number): Promise<{ events: QueueEvents } | { problem: string }> {
  const { queue } = shardQueue
  const { name, workerTimeout } = shardQueue.options.queue
  const isConnected = await Promise.race([queue.waitUntilReady().then(() => true, () => false), connectedIn])
  if (isConnected === true && shardQueue.events === null) {
    // From the stream's start, not from whatever is newest when its first read reaches Redis
    // (some time after it says it is ready): a job that ended meanwhile would never be heard
    // of, and the build would wait for it for ever. The stream keeps BullMQ's last 10,000
    // events, read once; our jobs' ids are new UUIDs, so no old event is taken for one of them.
    shardQueue.events = new shardQueue.QueueEvents(name, { connection: shardQueue.connection, lastEventId: '0-0' })
    shardQueue.events.on('error', shardQueue.onError)
  }
  const { events } = shardQueue
  const isListening = events !== null && await Promise.race([events.waitUntilReady().then(() => true, () => false), connectedIn])
  if (isListening !== true) return { problem: noWorker(shardQueue, false, waitedMs()) }
  const deadline = Date.now() + workerTimeout
  const timeUp = until(deadline, signal)
  // A count on its way at the deadline still decides: on a loaded machine Redis's answer, or our
  // turn to read it, can come after the deadline's timer (a build with no worker was told Redis
  // did not answer). One that has not come as long again after it: Redis does not answer.
  const answerBy = until(deadline + workerTimeout, signal).then(() => null)
  let hasCounted = false
  while (!signal.aborted) {
    const count = await Promise.race([queue.getWorkersCount().then(n => { hasCounted = true; return n }, () => 0), answerBy])
    if (count === null) break
    if (count > 0) {
      shardQueue.lastError = null
      return { events }
    }
    if (Date.now() >= deadline) break
    await Promise.race([new Promise(resolve => setTimeout(resolve, 100).unref()), timeUp])
  }
  return { problem: noWorker(shardQueue, hasCounted) }
}

function jobOf ({ worker, generation, timeout, maxMemory }: ShardQueueOptions, task: ShardInput, jobId: string): { name: string, data: ShardJob, opts: { jobId: string, attempts: number, removeOnComplete: true, removeOnFail: true } } {
  return {
    name: task.key,
    data: { worker, generation, timeout, maxMemory: maxMemory ?? null, task },
    opts: { jobId, attempts: JOB_ATTEMPTS, removeOnComplete: true, removeOnFail: true }
  }
}

async function run (shardQueue: ShardQueueState, tasks: ShardInput[], signal: AbortSignal, onDone: (task: ShardInput, result: ShardRun) => void): Promise<void> {
  const { queue, closing, running } = shardQueue
  const connected = await ready(shardQueue, AbortSignal.any([signal, closing.signal]))
  if (signal.aborted || closing.signal.aborted) return
  if ('problem' in connected) {
    for (const task of tasks) onDone(task, { errors: [{ message: connected.problem }] })
    return
  }
  const { events } = connected
  const jobs = trackJobs(queue, onDone)
  const stop = (): void => { jobs.endAll({ aborted: true }) } // the builder closes
  const checker = checkWorkers(shardQueue, signal, jobs)
  const onAbort = (): void => { jobs.removeWaiting().catch(() => {}) }
  events.on('completed', jobs.onCompleted)
  events.on('failed', jobs.onFailed)
  running.add(stop)
  try {
    // Ids known and listened for before the jobs exist: a job may end before addBulk's reply is read.
    const ids = tasks.map(task => { const id = randomUUID(); jobs.pending.set(id, task); return id })
    await queue.addBulk(tasks.map((task, i) => jobOf(shardQueue.options, task, ids[i]!)))
    signal.addEventListener('abort', onAbort)
    if (signal.aborted) onAbort()
    if (closing.signal.aborted) stop()
    await jobs.ended
  } finally {
    clearInterval(checker)
    signal.removeEventListener('abort', onAbort)
    events.off('completed', jobs.onCompleted)
    events.off('failed', jobs.onFailed)
    running.delete(stop)
  }
}

/** One build's jobs, by id, until each has ended and its shard has been handed to `onDone`. */
interface Jobs {
  readonly pending: Map<string, ShardInput>
  /** Resolves once the last pending job has ended. */
  readonly ended: Promise<void>
  finish (id: string, result: ShardRun): void
  onCompleted (event: { jobId: string, returnvalue: unknown }): void
  onFailed (event: { jobId: string, failedReason: string }): void
  /** Waiting jobs are deleted; a job a worker has begun (locked) runs to its end, and its result counts. */
  removeWaiting (): Promise<void>
  /** Ends the build now with `result` for every shard: its waiting jobs go (sent before a closing connection's QUIT). */
  endAll (result: ShardRun): void
}

function trackJobs (queue: Queue<ShardJob, ShardReply>, onDone: (task: ShardInput, result: ShardRun) => void): Jobs {
  const pending = new Map<string, ShardInput>()
  let end = (): void => {}
  const ended = new Promise<void>(resolve => { end = resolve })
  const finish = (id: string, result: ShardRun): void => {
    const task = pending.get(id)
    if (task === undefined) return
    pending.delete(id)
    onDone(task, result)
    if (pending.size === 0) end()
  }
  const removeWaiting = async (): Promise<void> => {
    await Promise.all([...pending.keys()].map(async id => {
      if (await queue.remove(id).catch(() => 0) === 1) finish(id, { aborted: true })
    }))
  }
  return {
    pending,
    ended,
    finish,
    // A reply is whatever a worker on that Redis sent: a result only once it has the shape of one.
    onCompleted: ({ jobId, returnvalue }) => {
      const task = pending.get(jobId)
      if (task !== undefined) finish(jobId, checkReply(task.key, returnvalue, null))
    },
    onFailed: ({ jobId, failedReason }) => {
      const task = pending.get(jobId)
      if (task !== undefined) finish(jobId, { errors: [failure(task, failedReason)] })
    },
    removeWaiting,
    endAll: result => {
      removeWaiting().catch(() => {})
      for (const [id] of pending) finish(id, result)
    }
  }
}

/** No worker left for `workerTimeout` (they died, Redis went away): the build fails instead of waiting for ever. */
function checkWorkers (shardQueue: ShardQueueState, signal: AbortSignal, jobs: Jobs): NodeJS.Timeout {
  const { workerTimeout } = shardQueue.options.queue
  let lastSeen = Date.now()
  let isChecking = false
  let hasCounted = false // the last check got Redis's count
  return setInterval(() => {
    if (isChecking) return
    isChecking = true
    shardQueue.queue.getWorkersCount().then(count => {
      hasCounted = true
      if (count > 0) lastSeen = Date.now()
    }, () => { hasCounted = false }).finally(() => {
      isChecking = false
      if (signal.aborted) jobs.removeWaiting().catch(() => {}) // a job back from a dead worker's lock: waiting again
      if (Date.now() - lastSeen > workerTimeout) jobs.endAll({ errors: [{ message: noWorker(shardQueue, hasCounted) }] })
    })
  }, CHECK_MS).unref()
}

/** A job BullMQ failed: its workers died under it (twice), or could not run it (twice). */
function failure (task: ShardInput, reason: string): BuildErrorInfo {
  const why = /stalled/.test(reason) ? 'the shard workers running it died' : 'no shard worker could run it'
  return { message: `shard "${task.key}" failed: ${why} (${reason})` }
}

/** Resolves at `deadline`, or when `signal` aborts. */
async function until (deadline: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>(resolve => {
    const timer = setTimeout(done, Math.max(0, deadline - Date.now()))
    timer.unref()
    signal.addEventListener('abort', done, { once: true })
    function done (): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}
