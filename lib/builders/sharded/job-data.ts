// What crosses Redis between the sharded builder and its shard workers is data from whoever can
// write to that Redis: a worker takes from a job only which files to build and within what
// limits (never a module path or Node.js flags: it runs the module it was started with), and the
// builder takes from a reply only outputs inside the site's output directory.
import { realpath } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path'
import type { BuildErrorInfo, FileChange, ShardInput } from '../../../types/index.js'
import { normalizeErrors } from '../../build-errors.js'
import { MAX_TIMER_MS } from '../../validate.js'
import type { ShardJob, ShardReply } from './queue-job.js'

/** A V8 heap larger than this (MB) is no limit a builder meant: refused like any malformed job. */
const MAX_MEMORY_MB = 1 << 20
const CHANGE_TYPES = new Set<unknown>(['create', 'update', 'delete'])

/**
 * `data` as a job this worker runs, or an Error saying why not: a malformed job, or one for
 * another worker module than `module` (a worker started for another site or builder).
 */
export function checkJob (data: unknown, module: string): ShardJob {
  const job = data as Partial<ShardJob> | null
  if (job === null || typeof job !== 'object') throw new Error('not a shard job')
  if (job.worker !== module) {
    throw new Error(`this shard worker runs ${module}; the job is for ${String(job.worker)}: start a worker with --worker naming the builder's worker module`)
  }
  if (typeof job.generation !== 'string' || !/^[\w-]{1,128}$/.test(job.generation)) throw new Error('a shard job without a valid generation')
  if (!isCount(job.timeout, MAX_TIMER_MS)) throw new Error(`a shard job whose timeout is not an integer from 1 to ${MAX_TIMER_MS} ms`)
  if (job.maxMemory !== null && !isCount(job.maxMemory, MAX_MEMORY_MB)) throw new Error(`a shard job whose maxMemory is not null or an integer from 1 to ${MAX_MEMORY_MB} MB`)
  const task = job.task as Partial<ShardInput> | undefined
  if (task === null || typeof task !== 'object' || typeof task.key !== 'string' || typeof task.full !== 'boolean' ||
      !Array.isArray(task.files) || !task.files.every(isPath) || !Array.isArray(task.changes) || !task.changes.every(isChange)) {
    throw new Error('a shard job whose task is not a shard: key, absolute files, changes and full')
  }
  return { worker: module, generation: job.generation, timeout: job.timeout, maxMemory: job.maxMemory, task: task as ShardInput }
}

/**
 * A shard's result as the builder keeps it: a reply that is not a result, or that names an output
 * outside the site's output directory (`output`: its path as configured and its real path, so a
 * worker may name either; null: not checked), fails the shard.
 */
export function checkReply (key: string, reply: unknown, output: readonly string[] | null): ShardReply {
  const { outputs, errors, data } = (reply ?? {}) as { outputs?: unknown, errors?: unknown, data?: unknown }
  if (Array.isArray(errors) && errors.length > 0) return { errors: normalizeErrors(errors) }
  if (!Array.isArray(outputs) || !outputs.every(isPath)) return failed(key, 'its worker replied with no list of absolute output paths')
  const outside = output === null ? undefined : outputs.find(path => !output.some(dir => isInside(path, dir)))
  if (outside !== undefined) return failed(key, `its worker reported ${outside} as an output, outside the output directory ${output![0]}: none of the shard's outputs are kept`)
  return { outputs, data }
}

/** Whether absolute `path` lies inside directory `dir` (absolute), after `..` and `.` are resolved, as text. */
export function isInside (path: string, dir: string): boolean {
  const parent = dir.endsWith(sep) ? dir : dir + sep
  return normalize(path).startsWith(parent)
}

/** `dir` as configured and its real path (the same one when no link leads to it, or it does not exist yet). */
export async function pathsOf (dir: string): Promise<string[]> {
  const real = await realpath(dir).catch(() => dir)
  return real === dir ? [dir] : [dir, real]
}

/**
 * Whether the file at `path` really lies inside `dir` (its real path): its directory's real path is
 * looked up, so a link inside `dir` that leads out of it does not count. What pruning deletes.
 */
export async function isReallyInside (path: string, realDir: string): Promise<boolean> {
  const parent = await realpath(dirname(path)).catch(() => null)
  return parent !== null && isInside(join(parent, basename(path)), realDir)
}

function failed (key: string, why: string): { errors: BuildErrorInfo[] } {
  return { errors: [{ message: `shard "${key}" failed: ${why}` }] }
}

function isCount (value: unknown, max: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= max
}

function isPath (value: unknown): value is string {
  return typeof value === 'string' && isAbsolute(value) && !value.includes('\0')
}

function isChange (value: unknown): value is FileChange {
  const change = value as Partial<FileChange> | null
  return change !== null && typeof change === 'object' && isPath(change.path) && CHANGE_TYPES.has(change.type)
}
