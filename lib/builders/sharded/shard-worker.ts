// A shard worker: takes the sharded builder's jobs from its BullMQ queue and builds each shard in
// worker threads exactly as the builder's local pool does (the same pool.ts and worker.ts), so
// the outputs are the same bytes. It runs the one worker module it was started with, one pool per
// generation: an edited worker module or shared input gets fresh threads, as it does locally.
import { existsSync } from 'node:fs'
import { availableParallelism, hostname } from 'node:os'
import type { FastifyBaseLogger } from 'fastify'
import type { ShardWorker, ShardWorkerOptions } from '../../../types/index.js'
import { flagsOption, integerOption, modulePath, optionsObject, redisOption } from '../../validate.js'
import { digest } from './cache.js'
import { checkJob } from './job-data.js'
import { queueName } from './options.js'
import { createShardPool, type ShardPool, type ShardRun } from './pool.js'
import { connectionOf, DEFAULT_STALL_TIMEOUT_MS, defaultQueueName, loadBullMQ, MAX_STALLED_COUNT, type ShardJob, type ShardReply } from './queue-job.js'
import { displayRedis, withoutPassword } from '../../redis-address.js'

const KNOWN = ['redis', 'worker', 'name', 'concurrency', 'execArgv', 'stallTimeout', 'cwd', 'log']

/** Connects to the queue and starts taking shards; resolves once connected to Redis. */
export async function runShardWorker (options: ShardWorkerOptions): Promise<ShardWorker> {
  optionsObject('runShardWorker', options, KNOWN)
  const redis = redisOption('runShardWorker.redis', options.redis)
  const cwd = options.cwd ?? process.cwd()
  const module = modulePath('runShardWorker.worker', options.worker, cwd)
  const name = queueName('runShardWorker.name', options.name ?? defaultQueueName(cwd))
  const concurrency = integerOption('runShardWorker.concurrency', options.concurrency ?? availableParallelism())
  const execArgv = flagsOption('runShardWorker.execArgv', options.execArgv)
  const stallTimeout = integerOption('runShardWorker.stallTimeout', options.stallTimeout ?? DEFAULT_STALL_TIMEOUT_MS, { min: 500, unit: 'ms' })
  const log = options.log ?? silentLogger
  const { Worker } = await loadBullMQ('for the shard worker')

  const pools = createPools(concurrency, execArgv, log)
  // Job data is data: checked before anything runs, and never a module or a flag to run.
  const worker = new Worker<ShardJob, ShardReply>(name, async job => await build(checkJob(job.data, module)), {
    connection: connectionOf(redis),
    concurrency,
    name: `${hostname()}:${process.pid}`, // CLIENT LIST shows it: which machine and process
    lockDuration: stallTimeout,
    stalledInterval: Math.round(stallTimeout / 5),
    maxStalledCount: MAX_STALLED_COUNT
  })
  // ioredis reports every failed reconnection: one warning per outage.
  let isDown = false
  worker.on('error', failed => {
    const err = withoutPassword(failed)
    if (!isDown) log.warn({ err, redis: displayRedis(redis) }, `cannot reach Redis at ${displayRedis(redis)}; retrying`)
    isDown = true
  })
  worker.getBackend().on('ready', () => { isDown = false }) // each connection, each time it (re)connects
  worker.on('stalled', jobId => { log.warn({ job: jobId }, 'a shard came back from a worker that stopped answering; it runs again') })

  async function build (job: ShardJob): Promise<ShardReply> {
    const { key, files } = job.task
    // Thrown, not a shard error: the job goes to another worker (JOB_ATTEMPTS), which may see the files.
    if (!existsSync(module)) throw new Error(`the worker module ${module} is not on ${hostname()}: shard workers need the site's files at the same paths`)
    const started = performance.now()
    const result = await pools.run(job)
    if ('aborted' in result) throw new Error(`the shard worker on ${hostname()} stopped while building shard "${key}"`)
    const ms = Math.round(performance.now() - started)
    if ('errors' in result) log.info({ shard: key, files: files.length, ms }, `shard "${key}" failed: ${result.errors[0]?.message ?? ''}`)
    else log.info({ shard: key, files: files.length, ms }, `shard "${key}" built (${files.length} files, ${ms} ms)`)
    return result
  }

  let closed: Promise<void> | undefined
  try {
    await worker.waitUntilReady()
  } catch (err) {
    await worker.close(true)
    throw err
  }
  return {
    name,
    close () {
      closed ??= (async () => {
        // Running shards finish and their results are delivered; then the threads go. With Redis
        // down (now, or from its next error on), BullMQ's close would wait for it to come back:
        // the connections are dropped and the close left behind.
        let onDown = (): void => {}
        const down = new Promise<void>(resolve => { onDown = resolve })
        if (isDown) onDown()
        else worker.once('error', onDown)
        await Promise.race([worker.close().catch(() => {}), down.then(() => { worker.disconnect().catch(() => {}) })])
        worker.off('error', onDown)
        await pools.close()
      })()
      return closed
    }
  }
}

interface Pools {
  run (job: ShardJob): Promise<ShardRun>
  close (): Promise<void>
}

/** Pools by generation (and limits); a newer generation retires the older ones once idle. */
function createPools (concurrency: number, execArgv: string[] | undefined, log: FastifyBaseLogger): Pools {
  const pools = new Map<string, { pool: Promise<ShardPool>, users: number, isRetired: boolean }>()
  const closeIfIdle = (key: string): void => {
    const entry = pools.get(key)
    if (entry === undefined || !entry.isRetired || entry.users > 0) return
    pools.delete(key)
    entry.pool.then(async pool => { await pool.close() }).catch(() => {})
  }
  return {
    async run (job) {
      const key = digest([job.generation, String(job.timeout), String(job.maxMemory)])
      let entry = pools.get(key)
      if (entry === undefined) {
        for (const [other, older] of pools) {
          older.isRetired = true
          closeIfIdle(other)
        }
        entry = {
          users: 0,
          isRetired: false,
          pool: createShardPool({
            worker: job.worker,
            concurrency,
            timeout: job.timeout,
            execArgv,
            maxMemory: job.maxMemory ?? undefined,
            onError: err => log.error({ err }, 'a shard worker thread failed while idle')
          })
        }
        pools.set(key, entry)
      }
      entry.users++
      try {
        const pool = await entry.pool
        let result: ShardRun = { aborted: true }
        await pool.run([job.task], new AbortController().signal, (_task, reply) => { result = reply })
        return result
      } finally {
        entry.users--
        closeIfIdle(key)
      }
    },
    async close () {
      const all = [...pools.values()]
      pools.clear()
      await Promise.all(all.map(entry => entry.pool.then(pool => pool.close(), () => {})))
    }
  }
}

const ignore = (): void => {}
/** The default logger: says nothing. */
const silentLogger: FastifyBaseLogger = {
  level: 'silent',
  fatal: ignore,
  error: ignore,
  warn: ignore,
  info: ignore,
  debug: ignore,
  trace: ignore,
  silent: ignore,
  child: () => silentLogger
}
