import { parseArgs } from 'node:util'
import { tidy, UsageError } from './usage.js'

/** `fastify-livereload shard-worker`'s flags, checked. */
export interface ShardWorkerArgs {
  readonly redis: string
  /** The builder's worker module, as given (resolved against the working directory). */
  readonly worker: string
  /** The queue's name; undefined: the default one, derived from the working directory as the builder derives it. */
  readonly queue: string | undefined
  /** Shards at a time; undefined: one per core. */
  readonly concurrency: number | undefined
  /** runShardWorker's stallTimeout (ms); undefined: its default. */
  readonly stallTimeout: number | undefined
  readonly isQuiet: boolean
}

/** The flags of `shard-worker`: each is in USAGE and HELP (test/unit/cli-args.test.ts). */
export const SHARD_WORKER_FLAGS = {
  redis: { type: 'string' },
  worker: { type: 'string' },
  queue: { type: 'string' },
  concurrency: { type: 'string' },
  'stall-timeout': { type: 'string' },
  quiet: { type: 'boolean' }
} as const

/** `argv` after `shard-worker`; throws UsageError naming the flag. */
export function parseShardWorker (argv: readonly string[]): ShardWorkerArgs {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: SHARD_WORKER_FLAGS, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(tidy((err as Error).message))
  }
  const { values, positionals } = parsed
  if (positionals.length > 0) throw new UsageError(`shard-worker takes flags only, got ${positionals.map(p => `"${p}"`).join(', ')}`)
  if (values.redis === undefined) throw new UsageError('shard-worker needs --redis <url>: the Redis of the builder\'s queue option')
  if (!/^rediss?:\/\/./.test(values.redis) || !URL.canParse(values.redis)) throw new UsageError(`--redis takes a redis:// or rediss:// URL, got "${values.redis}"`)
  if (values.worker === undefined || values.worker === '') throw new UsageError('shard-worker needs --worker <module>: the sharded builder\'s worker module, the only code it runs')
  if (values.queue !== undefined && (values.queue === '' || values.queue.includes(':'))) throw new UsageError(`--queue takes a queue name without ":", got "${values.queue}"`)
  return {
    redis: values.redis,
    worker: values.worker,
    queue: values.queue,
    concurrency: values.concurrency === undefined ? undefined : concurrencyOf(values.concurrency),
    stallTimeout: values['stall-timeout'] === undefined ? undefined : stallTimeoutOf(values['stall-timeout']),
    isQuiet: values.quiet === true
  }
}

function stallTimeoutOf (text: string): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < 500 || n > 2 ** 31 - 1) throw new UsageError(`--stall-timeout takes milliseconds from 500 to 2147483647, got "${text}"`)
  return n
}

function concurrencyOf (text: string): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < 1 || !Number.isSafeInteger(n)) throw new UsageError(`--concurrency takes a positive integer, got "${text}"`)
  return n
}
