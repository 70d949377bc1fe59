// Without the `cluster` option, a process that is one of several workers says, once, that each
// worker watches and builds on its own (N builders racing on one output directory).
import cluster from 'node:cluster'
import type { FastifyBaseLogger } from 'fastify'

let hasWarned = false // once per process, however many apps it registers the plugin on

/** Which supervisor runs this process as one of several workers, or null when it cannot tell. */
export function workerOf (env: NodeJS.ProcessEnv = process.env, isWorker = cluster.isWorker): string | null {
  if (isWorker) return 'node:cluster'
  if (env.NODE_APP_INSTANCE !== undefined) return 'PM2' // set in each instance (cluster mode is node:cluster too)
  return null
}

export function warnIfWorker (log: FastifyBaseLogger): void {
  const worker = workerOf()
  if (worker === null || hasWarned) return
  hasWarned = true
  log.warn({ worker }, `this process is one of several workers (${worker}): each one watches and builds on its own, racing on one output directory. Give the plugin the cluster option ({ cluster: { redis: 'redis://…' } }) so that one process builds for all; see docs/cluster.md`)
}
