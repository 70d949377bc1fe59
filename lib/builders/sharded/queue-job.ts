// What the sharded builder's queue (queue.ts) and the shard workers (shard-worker.ts) agree on:
// the queue's default name, the connection, the job's shape and how BullMQ retries it.
import { resolve } from 'node:path'
import type { ConnectionOptions } from 'bullmq'
import type { RedisConnectionOptions, ShardInput } from '../../../types/index.js'
import { importOptional } from '../../optional.js'
import { digest } from './cache.js'
import type { ShardRun } from './pool.js'

export type BullMQ = typeof import('bullmq')

/**
 * One shard as a job: what a worker on another machine needs to build it as the local pool does.
 * Data only, checked by the worker (job-data.ts): the worker runs the module it was started for.
 */
export interface ShardJob {
  /** Absolute path of the builder's worker module: a worker started for another one refuses the job. */
  worker: string
  /** Fingerprint of the worker module and the shared inputs: a new one gets fresh worker threads. */
  generation: string
  /** The builder's `timeout` and `maxMemory` (null: V8's default). */
  timeout: number
  maxMemory: number | null
  task: ShardInput
}

/** A job's return value: what the local pool's worker thread replies. */
export type ShardReply = Exclude<ShardRun, { aborted: true }>

/**
 * A worker that dies (SIGKILL, a lost machine) stops renewing its jobs' locks (every half of its
 * `stallTimeout`, BullMQ's lockDuration); the other workers look for expired locks every fifth of
 * theirs, so its job is back in the queue within about 1.4 × stallTimeout. A second stall
 * (MAX_STALLED_COUNT) fails the job: "job stalled more than allowable limit".
 */
export const DEFAULT_STALL_TIMEOUT_MS = 5000
export const MAX_STALLED_COUNT = 1
/** A worker that throws (it cannot see the worker module: storage not mounted) leaves the job to another one, once. */
export const JOB_ATTEMPTS = 2

/** `livereload-shards-<id>`, `<id>` from `cwd`: a builder and the workers started in the site's directory agree. */
export function defaultQueueName (cwd: string): string {
  return `livereload-shards-${digest([resolve(cwd)]).slice(0, 12)}`
}

/** BullMQ's connection: a URL or ioredis options (BullMQ passes them to ioredis as they are). */
export function connectionOf (redis: string | RedisConnectionOptions): ConnectionOptions {
  return typeof redis === 'string' ? { url: redis } : redis as ConnectionOptions
}

/**
 * `handle.close()`, given `ms` to end: it sends QUIT, which waits for a Redis that is down to come
 * back, and BullMQ's QueueEvents waits for an end event ioredis never sends then. Past `ms`, the
 * connection is dropped (`disconnect()`, which stops the reconnecting) and the close left behind.
 */
export async function closeWithin (handle: { close: () => Promise<void>, disconnect: () => Promise<void> }, ms: number): Promise<void> {
  const closing = handle.close().catch(() => {})
  let timer: NodeJS.Timeout | undefined
  const isLate = await Promise.race([closing.then(() => false), new Promise<boolean>(resolve => { timer = setTimeout(resolve, ms, true) })])
  clearTimeout(timer)
  if (isLate) handle.disconnect().catch(() => {})
}

/** bullmq, and ioredis through which it connects: a missing one is FST_LIVERELOAD_MISSING_DEPENDENCY naming it. */
export async function loadBullMQ (why: string): Promise<BullMQ> {
  const bullmq = await importOptional<BullMQ>('bullmq', why)
  await importOptional('ioredis', `${why} (BullMQ connects to Redis through it)`)
  return bullmq
}
