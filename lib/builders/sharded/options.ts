// shardedBuilder's options: defaults and validation, at the call (register) time, before any I/O.
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import picomatch from 'picomatch'
import type { MergeContext, MergeOutcome, ShardedBuilderOptions, ShardOf, ShardResult, ShardSource } from '../../../types/index.js'
import { DEFAULT_IGNORE } from '../../ignore.js'
import { option, resolveDeclared, type Option } from '../../option.js'
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

/** What a declaration reads of those resolved before it. */
interface ShardedEarlier { cwd: string, worker: string, sources: string[], shards: number, queue: QueueConfig | null }

/**
 * shardedBuilder's options, in the order they are resolved (`cwd` first: paths are below it; a
 * declaration reads only those above it). The shape the builder reads is resolveShardedOptions'.
 */
export const SHARDED_OPTIONS = {
  cwd: option<string, unknown>('process.cwd()', (value = process.cwd()) => {
    if (typeof value !== 'string' || value === '') invalid('cwd', 'must be a directory path')
    return value
  }),
  worker: option<string, ShardedEarlier>(undefined, (value, { cwd }) => modulePath('shardedBuilder.worker', value, cwd)),
  sources: option<string[], ShardedEarlier>(undefined, (value, { cwd }) => paths('sources', value, false).map(source => resolve(cwd, source))),
  include: option<InputRules['include'], unknown>("'**'", (value = '**') => picomatch(globs('include', value))),
  ignore: option<InputRules['ignore'], unknown>('[]', (value = []) => picomatch([...DEFAULT_IGNORE, ...globs('ignore', value)], { dot: true })),
  shared: option<InputRules['shared'], ShardedEarlier>('[]', (value = [], { cwd }) => globs('shared', value).map(entry => sharedEntryOf(entry, cwd))),
  shards: option<number, unknown>(String(DEFAULT_SHARDS), (value = DEFAULT_SHARDS) => positiveInteger('shards', value)),
  shardOf: option<ResolvedShardedOptions['shardOf'], ShardedEarlier>("'directory'", (value = 'directory', { shards }) => {
    if (value !== 'directory' && value !== 'hash' && typeof value !== 'function') invalid('shardOf', 'must be "directory", "hash" or a function (file) => shard key')
    return shardFunction(value as ShardOf, shards)
  }),
  merge: option<ResolvedShardedOptions['merge'], unknown>(undefined, value => {
    if (value !== undefined && typeof value !== 'function') invalid('merge', 'must be a function (shards, ctx) => outcome')
    return (value as ResolvedShardedOptions['merge']) ?? null
  }),
  concurrency: option<number, unknown>('os.availableParallelism()', value => positiveInteger('concurrency', value ?? availableParallelism())),
  timeout: option<number, unknown>(String(DEFAULT_SHARD_TIMEOUT_MS), (value = DEFAULT_SHARD_TIMEOUT_MS) => integerOption('shardedBuilder.timeout', value, { unit: 'ms' })),
  /** Absolute, or null for a memory-only cache. */
  cache: option<string | null, ShardedEarlier>("'node_modules/.cache/fastify-livereload/sharded-<id>' below `cwd`, `<id>` derived from `worker` and `sources`", (value, { cwd, worker, sources }) => {
    const cache = value ?? join(DEFAULT_CACHE_DIR, `sharded-${digest([worker, ...sources]).slice(0, 12)}`)
    if (cache !== false && (typeof cache !== 'string' || cache === '')) invalid('cache', 'must be a directory path, or false')
    return cache === false ? null : resolve(cwd, cache as string)
  }),
  prune: option<boolean, unknown>('true', (value = true) => {
    if (typeof value !== 'boolean') invalid('prune', 'must be a boolean')
    return value
  }),
  /** The value, and the value as it takes part in the cache key. */
  workerData: option<{ value: unknown, key: string }, unknown>(undefined, value => ({ value, key: workerDataKey(value) })),
  execArgv: option<string[] | undefined, unknown>('process.execArgv', value => flagsOption('shardedBuilder.execArgv', value)),
  maxMemory: option<number | undefined, unknown>(undefined, value => value === undefined ? undefined : positiveInteger('maxMemory', value)),
  queue: option<QueueConfig | null, ShardedEarlier>(undefined, (value, { cwd }) => value === undefined ? null : queueOf(value, cwd)),
  // Shard workers answer through Redis: what they report is checked against the site's output directory.
  output: option<string | null, ShardedEarlier>(undefined, (value, { cwd, queue }) => {
    if (value === undefined) {
      if (queue !== null) invalid('output', 'is required with queue: the directory the shards write into (the plugin\'s root), outside which no reported output is kept or pruned')
      return null
    }
    if (typeof value !== 'string' || value === '') invalid('output', 'must be a directory path')
    return resolve(cwd, value)
  })
} satisfies Record<keyof ShardedBuilderOptions, Option<unknown, never>>

export function resolveShardedOptions (options: ShardedBuilderOptions): ResolvedShardedOptions {
  const resolved = resolveDeclared('shardedBuilder', SHARDED_OPTIONS, options)
  const { worker, sources, include, ignore, shared, shardOf, merge, concurrency, timeout, cache, prune, workerData, execArgv, maxMemory, queue, output } = resolved
  return { worker, rules: { sources, include, ignore, shared }, shardOf, merge, concurrency, timeout, cache, prune, workerData: workerData.value, workerDataKey: workerData.key, execArgv, maxMemory, queue, output }
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
