// The entry piscina runs in each worker thread: loads the user's worker module once and runs
// its buildShard for each shard. Whatever the module throws or returns comes back as plain,
// cloneable data: the main side only ever sees a result, or this thread die.
import { workerData } from 'node:worker_threads'
import type { BuildErrorInfo, BuildShard, ShardInput } from '../../../types/index.js'
import { normalizeErrors } from '../../build-errors.js'

export type WorkerReply = { outputs: string[], data: unknown } | { errors: BuildErrorInfo[] }

const { module } = workerData as { module: string }
let loading: Promise<BuildShard> | undefined

async function load (): Promise<BuildShard> {
  const exported = await import(module) as { buildShard?: unknown, default?: { buildShard?: unknown } }
  const buildShard = exported.buildShard ?? exported.default?.buildShard
  if (typeof buildShard !== 'function') throw new TypeError(`the worker module ${module} must export a buildShard function`)
  return buildShard as BuildShard
}

export default async function runShard (input: ShardInput): Promise<WorkerReply> {
  try {
    const buildShard = await (loading ??= load())
    const result = (await buildShard(input)) ?? {}
    if (Array.isArray(result.errors) && result.errors.length > 0) return { errors: normalizeErrors(result.errors) }
    const outputs = result.outputs ?? []
    if (!Array.isArray(outputs) || !outputs.every(output => typeof output === 'string')) {
      throw new TypeError(`buildShard of shard "${input.key}" returned outputs that are not an array of paths`)
    }
    // The data is cached on disk as JSON: a value JSON cannot keep fails here, not later.
    const data = result.data === undefined ? undefined : JSON.parse(JSON.stringify(result.data)) as unknown
    return { outputs, data }
  } catch (err) {
    return { errors: normalizeErrors(err) }
  }
}
