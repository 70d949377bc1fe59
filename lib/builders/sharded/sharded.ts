import { rm } from 'node:fs/promises'
import type { FastifyBaseLogger } from 'fastify'
import type { Builder, BuildContext, BuildErrorInfo, BuildOutcome, FileChange, ShardedBuilderOptions, ShardInput, ShardResult } from '../../../types/index.js'
import { normalizeErrors } from '../../build-errors.js'
import { kindOf } from '../../paths.js'
import { diskCache, digest, memoryCache, type CacheState, type ShardCache, type ShardEntry } from './cache.js'
import { findInputs, hashFiles } from './inputs.js'
import { compare, partition } from './partition.js'
import { checkReply, isReallyInside, pathsOf } from './job-data.js'
import { createShardPool, type ShardPool } from './pool.js'
import { createShardQueue, QUEUE_NEEDS } from './queue.js'
import { loadBullMQ } from './queue-job.js'
import { resolveShardedOptions, type ResolvedShardedOptions } from './options.js'

/** Part of every fingerprint: a change in how this builder fingerprints rebuilds everything. */
const FINGERPRINT_VERSION = 'sharded-1'

/**
 * Partitions the source files into shards, builds the shards whose inputs changed in worker
 * threads, then runs the merge step. Fingerprints (content hashes) are kept on disk, so a
 * restart with no edits builds nothing and one edited file rebuilds its shard only.
 */
export function shardedBuilder<Data = unknown, WorkerData = unknown> (options: ShardedBuilderOptions<Data, WorkerData>): Builder {
  const config = resolveShardedOptions(options as ShardedBuilderOptions)
  const builder: ShardedState = { config, cache: config.cache === null ? memoryCache() : diskCache(config.cache), pool: null, closed: undefined, hasWarnedCache: false }
  let state: CacheState | null = null
  // Imported now, so that a missing bullmq fails the first build (the one at register time), shards or none.
  const bullmq = config.queue === null ? null : loadBullMQ(QUEUE_NEEDS)
  bullmq?.catch(() => {}) // awaited by the first build: not an unhandled rejection meanwhile

  let queue: Promise<unknown> = Promise.resolve()
  return {
    name: 'sharded',
    build (ctx) {
      // The plugin never overlaps builds; a direct caller might: one at a time all the same.
      const run = queue.then(async () => {
        if (builder.closed !== undefined) return { errors: [{ message: 'the sharded builder is closed' }] }
        await bullmq
        state ??= await builder.cache.load()
        return await build(builder, ctx, state)
      })
      queue = run.catch(() => {})
      return run
    },
    close () {
      // Destroying the pool first ends a running build at once (its shards count as aborted);
      // a build that was creating the pool meanwhile is waited for, and its pool closed too.
      builder.closed ??= (async () => {
        await builder.pool?.pool.close()
        await queue
        await builder.pool?.pool.close()
      })()
      return builder.closed
    }
  }
}

/** What the steps of one sharded builder share: its options, its cache, and the state they change. */
interface ShardedState {
  readonly config: ResolvedShardedOptions
  readonly cache: ShardCache
  pool: { generation: string, pool: ShardPool } | null
  closed: Promise<void> | undefined
  hasWarnedCache: boolean
}

/** The shards of now, and what their fingerprints are made of. */
interface Shards {
  hashes: Map<string, string>
  /** This builder's version, the worker module, its data and the shared inputs, in one digest. */
  shared: string
  shards: Map<string, string[]>
}

/** What building the shards came to. */
interface BuiltShards {
  rebuilt: string[]
  failed: string[]
  errors: BuildErrorInfo[]
  outputs: string[]
  /** The output directory and its real path, or null when unchecked. */
  output: string[] | null
}

/**
 * A warm pool, started afresh when the worker module or the shared inputs changed: new code,
 * new threads. With `queue`, the connection to the shard queue, reopened likewise; its jobs
 * carry the generation, so the shard workers start fresh threads too.
 */
async function poolFor (builder: ShardedState, generation: string, log: FastifyBaseLogger): Promise<ShardPool> {
  const { config } = builder
  if (builder.pool !== null && builder.pool.generation !== generation) {
    await builder.pool.pool.close()
    builder.pool = null
  }
  builder.pool ??= {
    generation,
    pool: config.queue === null
      ? await createShardPool({ ...config, onError: err => log.error({ err }, 'a shard worker failed while idle') })
      : await createShardQueue({ ...config, queue: config.queue, generation, log })
  }
  return builder.pool.pool
}

async function build (builder: ShardedState, ctx: BuildContext, current: CacheState): Promise<BuildOutcome> {
  const { config } = builder
  const { log, signal } = ctx
  const started = performance.now()
  const found = await findShards(config, ctx, current)
  if (!('shards' in found)) return found
  const { hashes, shards } = found
  const { tasks, fingerprints } = await planShards(config, ctx, current, found)
  const removed = [...current.shards.keys()].filter(key => !shards.has(key))
  const staleCandidates = removed.flatMap(key => current.shards.get(key)!.outputs)
  for (const key of removed) current.shards.delete(key)

  const built = await buildShards(builder, ctx, current, found, tasks, fingerprints, staleCandidates)
  const { rebuilt, failed, errors, outputs, output } = built
  const isAborted = signal.aborted || rebuilt.length + failed.length < tasks.length
  const mergeOutputs = !isAborted && failed.length === 0 ? await mergeShards(config, ctx, current, built, removed, staleCandidates) : []

  const pruned = config.prune ? await prune(staleCandidates, current, mergeOutputs, hashes, output?.at(-1) ?? null) : []
  await save(builder, current, rebuilt, [...removed, ...failed], log)
  log.info({ shards: shards.size, built: rebuilt.length, failed: failed.length, reused: shards.size - tasks.length, removed: removed.length, ms: Math.round(performance.now() - started) }, 'shards built')
  if (isAborted) return { errors: [{ message: 'the build was aborted' }] }
  return { outputs: [...outputs, ...mergeOutputs, ...pruned], ...(errors.length > 0 ? { errors } : {}) }
}

/** The inputs, their hashes and their shards; or why there are none (no worker module, a failing `shardOf`). */
async function findShards (config: ResolvedShardedOptions, ctx: BuildContext, current: CacheState): Promise<Shards | { errors: BuildErrorInfo[] }> {
  const inputs = await findInputs(config.rules)
  const suspect = new Set(ctx.changes.map(change => change.path))
  const hashes = await hashFiles([config.worker, ...inputs.shared, ...inputs.files.map(file => file.path)], current.files, suspect)
  if (!hashes.has(config.worker)) return { errors: [{ message: `the worker module ${config.worker} does not exist`, file: config.worker }] }
  const shared = digest([FINGERPRINT_VERSION, hashes.get(config.worker)!, config.workerDataKey, ...inputs.shared.flatMap(path => [path, hashes.get(path) ?? ''])])
  let shards: Map<string, string[]>
  try {
    shards = partition(inputs.files.filter(file => hashes.has(file.path)), config.shardOf)
  } catch (err) {
    return { errors: normalizeErrors(err) }
  }
  return { hashes, shared, shards }
}

/** Which shards to build, and how much of each. */
async function planShards (config: ResolvedShardedOptions, ctx: BuildContext, current: CacheState, { hashes, shared, shards }: Shards): Promise<{ tasks: ShardInput[], fingerprints: Map<string, string> }> {
  const tasks: ShardInput[] = []
  const fingerprints = new Map<string, string>()
  for (const [key, files] of shards) {
    const fileHashes = files.map(path => hashes.get(path)!)
    const fingerprint = digest([shared, key, ...files.flatMap((path, i) => [path, fileHashes[i]])])
    fingerprints.set(key, fingerprint)
    const entry = current.shards.get(key)
    const areOutputsMissing = entry !== undefined && ctx.full && await anyMissing(entry.outputs)
    if (entry?.fingerprint === fingerprint && !areOutputsMissing) continue
    const isFull = entry === undefined || entry.shared !== shared || areOutputsMissing
    tasks.push({ key, files, changes: isFull ? [] : changesOf(entry, files, fileHashes), full: isFull, workerData: config.workerData })
  }
  return { tasks, fingerprints }
}

/** Builds `tasks` in the pool (none once the builder is closed); the outputs the rebuilt shards replace join `staleCandidates`. */
async function buildShards (builder: ShardedState, ctx: BuildContext, current: CacheState, { hashes, shared }: Shards, tasks: ShardInput[], fingerprints: Map<string, string>, staleCandidates: string[]): Promise<BuiltShards> {
  const { config } = builder
  const { log, signal } = ctx
  const rebuilt: string[] = []
  const failed: string[] = []
  const errors: BuildErrorInfo[] = []
  const outputs: string[] = []
  const output = config.output === null ? null : await pathsOf(config.output)
  if (tasks.length > 0) {
    log.debug({ shards: tasks.map(task => task.key) }, 'building shards')
    const workers = builder.closed === undefined ? await poolFor(builder, shared, log) : null
    await workers?.run(tasks, signal, (task, reported) => {
      if ('aborted' in reported) return
      const result = output !== null && 'outputs' in reported ? checkReply(task.key, reported, output) : reported
      const previous = current.shards.get(task.key)
      if ('errors' in result) {
        failed.push(task.key)
        errors.push(...result.errors)
        current.shards.delete(task.key) // partial outputs: the next build does it whole
        return
      }
      if (previous !== undefined) staleCandidates.push(...previous.outputs)
      rebuilt.push(task.key)
      outputs.push(...result.outputs)
      current.shards.set(task.key, {
        fingerprint: fingerprints.get(task.key)!, shared, files: task.files, hashes: task.files.map(path => hashes.get(path)!), outputs: result.outputs, data: result.data
      })
    })
  }
  return { rebuilt, failed, errors, outputs, output }
}

/**
 * Merges, when the shards it saw last time are not the shards of now (and there is a merge step):
 * its outputs; its errors join `built.errors`, the outputs it replaces `staleCandidates`.
 */
async function mergeShards (config: ResolvedShardedOptions, ctx: BuildContext, current: CacheState, built: BuiltShards, removed: string[], staleCandidates: string[]): Promise<string[]> {
  if (config.merge === null) return []
  const { rebuilt, errors } = built
  const keys = [...current.shards.keys()].sort(compare) // Map order follows cache loading: not stable
  // The merge's own source too: a restart after editing it merges again.
  const mergeFingerprint = digest([config.merge.toString(), ...keys.flatMap(key => [key, current.shards.get(key)!.fingerprint])])
  const isMergeStale = current.merge?.fingerprint !== mergeFingerprint || (ctx.full && await anyMissing(current.merge.outputs))
  if (!isMergeStale) return []
  let mergeOutputs: string[] = []
  const previous = current.merge
  current.merge = null
  try {
    const results = keys.map(key => resultOf(key, current.shards.get(key)!, rebuilt))
    const outcome = (await config.merge(results, { rebuilt: [...rebuilt].sort(compare), removed, signal: ctx.signal, log: ctx.log })) ?? {}
    if (outcome.errors !== undefined && outcome.errors.length > 0) {
      errors.push(...normalizeErrors(outcome.errors))
    } else {
      mergeOutputs = outcome.outputs ?? []
      current.merge = { fingerprint: mergeFingerprint, outputs: mergeOutputs }
      staleCandidates.push(...(previous?.outputs ?? []))
    }
  } catch (err) {
    errors.push(...normalizeErrors(err))
  }
  return mergeOutputs
}

async function save (builder: ShardedState, current: CacheState, changed: string[], removed: string[], log: FastifyBaseLogger): Promise<void> {
  try {
    await builder.cache.save(current, changed, removed)
  } catch (err) {
    if (!builder.hasWarnedCache) log.warn({ err, cache: builder.config.cache }, 'cannot write the shard cache; the next start rebuilds every shard')
    builder.hasWarnedCache = true
  }
}

/** What changed in a shard since its entry was built: creates, updates and deletes. */
function changesOf (entry: ShardEntry, files: string[], hashes: string[]): FileChange[] {
  const before = new Map(entry.files.map((path, i) => [path, entry.hashes[i]]))
  const changes: FileChange[] = []
  files.forEach((path, i) => {
    const hash = before.get(path)
    if (hash === undefined) changes.push({ path, type: 'create' })
    else if (hash !== hashes[i]) changes.push({ path, type: 'update' })
    before.delete(path)
  })
  for (const path of before.keys()) changes.push({ path, type: 'delete' })
  return changes
}

function resultOf (key: string, entry: ShardEntry, rebuilt: string[]): ShardResult {
  return { key, files: entry.files, outputs: entry.outputs, data: entry.data, rebuilt: rebuilt.includes(key) }
}

/**
 * Deletes the outputs that were written before and that no shard, nor the merge, claims now.
 * Never an input file, nor, when the output directory is known (`realOutput`, its real path), a
 * file that is not really inside it (through a link), whatever a worker reported.
 */
async function prune (candidates: string[], current: CacheState, mergeOutputs: string[], inputs: Map<string, string>, realOutput: string | null): Promise<string[]> {
  if (candidates.length === 0) return []
  const claimed = new Set([...mergeOutputs, ...(current.merge?.outputs ?? [])])
  for (const entry of current.shards.values()) for (const path of entry.outputs) claimed.add(path)
  const unclaimed = [...new Set(candidates)].filter(path => !claimed.has(path) && !inputs.has(path))
  const isInOutput = await Promise.all(unclaimed.map(async path => realOutput === null || await isReallyInside(path, realOutput)))
  const stale = unclaimed.filter((_path, i) => isInOutput[i])
  await Promise.all(stale.map(path => rm(path, { force: true })))
  return stale
}

async function anyMissing (paths: string[]): Promise<boolean> {
  const kinds = await Promise.all(paths.map(kindOf))
  return kinds.includes('missing')
}
