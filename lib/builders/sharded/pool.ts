// The worker threads that build shards (piscina). At most `concurrency` shards are handed to
// piscina at once, so each starts at once and its timeout measures its own run, never its
// wait in a queue; an abort stops the shards not started yet.
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { BuildErrorInfo, ShardInput } from '../../../types/index.js'
import { builtFile } from '../../built.js'
import type { WorkerReply } from './worker.js'

const ENTRY = fileURLToPath(builtFile('builders/sharded/worker.js'))

export type ShardRun = { outputs: string[], data: unknown } | { errors: BuildErrorInfo[] } | { aborted: true }

export interface ShardPool {
  /** Runs the tasks, `concurrency` at a time; `onDone` gets each result as it comes. */
  run (tasks: ShardInput[], signal: AbortSignal, onDone: (task: ShardInput, result: ShardRun) => void): Promise<void>
  /** Terminates every worker thread. Idempotent. */
  close (): Promise<void>
}

export interface PoolOptions {
  worker: string
  concurrency: number
  timeout: number
  execArgv: string[] | undefined
  maxMemory: number | undefined
  /** Errors of the pool itself (a worker that failed while idle): logged, never thrown. */
  onError: (err: unknown) => void
}

/** Loads piscina on the first build: importing it costs ~25 ms that a start without a build never needs. */
export async function createShardPool (options: PoolOptions): Promise<ShardPool> {
  const { Piscina } = await import('piscina')
  const piscina = new Piscina({
    filename: ENTRY,
    workerData: { module: pathToFileURL(options.worker).href },
    minThreads: options.concurrency, // warm between builds: a one-page edit pays no thread start-up
    maxThreads: options.concurrency,
    idleTimeout: Infinity,
    execArgv: options.execArgv,
    resourceLimits: options.maxMemory === undefined ? undefined : { maxOldGenerationSizeMb: options.maxMemory }
  })
  piscina.on('error', options.onError)
  let closed: Promise<void> | undefined

  async function runOne (task: ShardInput, signal: AbortSignal): Promise<ShardRun> {
    const controller = new AbortController()
    let isTimedOut = false
    const timer = setTimeout(() => {
      isTimedOut = true
      controller.abort()
    }, options.timeout).unref()
    const onAbort = (): void => controller.abort()
    signal.addEventListener('abort', onAbort)
    try {
      return await piscina.run(task, { signal: controller.signal }) as WorkerReply
    } catch (err) {
      if (isTimedOut) return { errors: [{ message: `shard "${task.key}" timed out after ${options.timeout} ms; its worker was stopped` }] }
      if (signal.aborted || closed !== undefined) return { aborted: true }
      // The thread died under the shard: process.exit(), an uncaught exception, out of memory.
      return { errors: [{ message: `shard "${task.key}" failed: its worker died (${(err as Error).message})`, stack: (err as Error).stack }] }
    } finally {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
    }
  }

  return {
    async run (tasks, signal, onDone) {
      let next = 0
      const isStopped = (): boolean => signal.aborted || closed !== undefined
      const lane = async (): Promise<void> => {
        while (next < tasks.length && !isStopped()) {
          const task = tasks[next++]
          onDone(task, await runOne(task, signal))
        }
      }
      await Promise.all(Array.from({ length: Math.min(options.concurrency, tasks.length) }, lane))
    },
    close: () => (closed ??= piscina.destroy())
  }
}
