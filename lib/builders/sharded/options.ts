// shardedBuilder's options: defaults and validation, at the call (register) time, before any I/O.
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import picomatch from 'picomatch'
import type { MergeContext, MergeOutcome, ShardedBuilderOptions, ShardResult, ShardSource } from '../../../types/index.js'
import { DEFAULT_IGNORE } from '../../ignore.js'
import { flagsOption, integerOption, invalid as invalidOption, modulePath, optionsObject, redisOption, validGlob } from '../../validate.js'
import { digest } from './cache.js'
import type { InputRules } from './inputs.js'
import { shardFunction } from './partition.js'
import type { QueueConfig } from './queue.js'
import { defaultQueueName } from './queue-job.js'

export const DEFAULT_SHARDS = 16
export const DEFAULT_SHARD_TIMEOUT_MS = 60_000
export const DEFAULT_WORKER_TIMEOUT_MS = 10_000
/** Below `cwd`, where build tools keep their caches (babel-loader, eslint, terser…). */
const DEFAULT_CACHE_DIR = 'node_modules/.cache/fastify-livereload'

export interface ResolvedShardedOptions {
  /** Absolute path of the worker module. */
  worker: string
  rules: InputRules
  shardOf: (file: ShardSource) => string
  merge: ((shards: ShardResult[], ctx: MergeContext) => Promise<MergeOutcome | void> | MergeOutcome | void) | null
  concurrency: number
  timeout: number
  /** Absolute cache directory, or null for a memory-only cache. */
  cache: string | null
  prune: boolean
  workerData: unknown
  /** Node.js flags of the worker threads; undefined: the process's own. */
  execArgv: string[] | undefined
  /** Heap limit of each worker thread in MB; undefined: V8's default. */
  maxMemory: number | undefined
  /** The workerData as it takes part in the cache key. */
  workerDataKey: string
  /** Shards go to shard workers over this BullMQ queue; null: to the local worker threads. */
  queue: QueueConfig | null
  /** Absolute output directory: outputs reported outside it fail their shard and are never pruned; null: unchecked. */
  output: string | null
}

const KNOWN = ['worker', 'sources', 'include', 'ignore', 'shared', 'shardOf', 'shards', 'merge', 'concurrency', 'timeout', 'cache', 'prune', 'workerData', 'execArgv', 'maxMemory', 'cwd', 'queue', 'output']

export function resolveShardedOptions (options: ShardedBuilderOptions): ResolvedShardedOptions {
  optionsObject('shardedBuilder', options, KNOWN)
  const cwd = options.cwd ?? process.cwd()
  if (typeof cwd !== 'string' || cwd === '') invalid('cwd', 'must be a directory path')
  const worker = modulePath('shardedBuilder.worker', options.worker, cwd)
  const sources = paths('sources', options.sources, false).map(source => resolve(cwd, source))
  const shards = positiveInteger('shards', options.shards ?? DEFAULT_SHARDS)
  const shardOf = options.shardOf ?? 'directory'
  if (shardOf !== 'directory' && shardOf !== 'hash' && typeof shardOf !== 'function') {
    invalid('shardOf', 'must be "directory", "hash" or a function (file) => shard key')
  }
  if (options.merge !== undefined && typeof options.merge !== 'function') invalid('merge', 'must be a function (shards, ctx) => outcome')
  const cache = options.cache ?? join(DEFAULT_CACHE_DIR, `sharded-${digest([worker, ...sources]).slice(0, 12)}`)
  if (cache !== false && (typeof cache !== 'string' || cache === '')) invalid('cache', 'must be a directory path, or false')
  if (options.prune !== undefined && typeof options.prune !== 'boolean') invalid('prune', 'must be a boolean')
  if (options.output !== undefined && (typeof options.output !== 'string' || options.output === '')) invalid('output', 'must be a directory path')
  // Shard workers answer through Redis: what they report is checked against the site's output directory.
  if (options.queue !== undefined && options.output === undefined) invalid('output', 'is required with queue: the directory the shards write into (the plugin\'s root), outside which no reported output is kept or pruned')
  return {
    worker,
    rules: {
      sources,
      include: picomatch(globs('include', options.include ?? '**')),
      ignore: picomatch([...DEFAULT_IGNORE, ...globs('ignore', options.ignore ?? [])], { dot: true }),
      shared: globs('shared', options.shared ?? []).map(entry => sharedEntryOf(entry, cwd))
    },
    shardOf: shardFunction(shardOf, shards),
    merge: (options.merge as ResolvedShardedOptions['merge']) ?? null,
    concurrency: positiveInteger('concurrency', options.concurrency ?? availableParallelism()),
    timeout: integerOption('shardedBuilder.timeout', options.timeout ?? DEFAULT_SHARD_TIMEOUT_MS, { unit: 'ms' }),
    cache: cache === false ? null : resolve(cwd, cache),
    prune: options.prune ?? true,
    workerData: options.workerData,
    execArgv: flagsOption('shardedBuilder.execArgv', options.execArgv),
    maxMemory: options.maxMemory === undefined ? undefined : positiveInteger('maxMemory', options.maxMemory),
    workerDataKey: workerDataKey(options.workerData),
    queue: options.queue === undefined ? null : queueOf(options.queue, cwd),
    output: options.output === undefined ? null : resolve(cwd, options.output)
  }
}

function queueOf (value: unknown, cwd: string): QueueConfig {
  const queue = optionsObject<NonNullable<ShardedBuilderOptions['queue']>>('shardedBuilder.queue', value, ['redis', 'name', 'workerTimeout'])
  return {
    redis: redisOption('shardedBuilder.queue.redis', queue.redis),
    name: queueName('shardedBuilder.queue.name', queue.name ?? defaultQueueName(cwd)),
    workerTimeout: integerOption('shardedBuilder.queue.workerTimeout', queue.workerTimeout ?? DEFAULT_WORKER_TIMEOUT_MS, { unit: 'ms' })
  }
}

/** A BullMQ queue name: not empty, no ":" (BullMQ's key separator). */
export function queueName (option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.includes(':')) invalidOption(option, 'must be a non-empty string without ":"')
  return value as string
}

function paths (option: string, value: unknown, isEmptyAllowed: boolean): string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || (!isEmptyAllowed && list.length === 0) || !list.every(entry => typeof entry === 'string' && entry !== '')) {
    invalid(option, isEmptyAllowed ? 'must be a path or glob, or an array of them' : 'must be a directory path or a non-empty array of them')
  }
  return list as string[]
}

function globs (option: string, value: unknown): string[] {
  return paths(option, value, true).map(glob => validGlob(`shardedBuilder.${option}`, glob))
}

function sharedEntryOf (entry: string, cwd: string): InputRules['shared'][number] {
  const scan = picomatch.scan(entry)
  if (!scan.isGlob) return resolve(cwd, entry)
  return { base: resolve(cwd, scan.base), glob: picomatch(scan.glob, { dot: true }) }
}

function workerDataKey (value: unknown): string {
  try {
    structuredClone(value)
    return JSON.stringify(value) ?? ''
  } catch (err) {
    return invalid('workerData', `must be structured-cloneable and JSON-serialisable (${(err as Error).message})`)
  }
}

function positiveInteger (option: string, value: unknown): number {
  return integerOption(`shardedBuilder.${option}`, value)
}

function invalid (option: string, problem: string): never {
  return invalidOption(`shardedBuilder.${option}`, problem)
}
