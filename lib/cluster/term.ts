import type { FastifyBaseLogger } from 'fastify'
import type { BroadcastMessage, Builder } from '../../types/index.js'
import type { Metrics } from '../metrics.js'
import type { ResolvedOptions } from '../options.js'
import { displayPath } from '../paths.js'
import { observerOf } from '../pipeline/latency.js'
import { createPipeline, type Pipeline } from '../pipeline/pipeline.js'
import type { World } from '../world.js'
import type { Watcher } from '../watch/watch.js'
import type { Term } from './terms.js'

export type WatchAll = (pipeline: Pipeline) => Promise<Array<{ path: string, watcher: Watcher }>>

/**
 * A leader's term: the watchers and a pipeline of its own, whose messages go to `broadcast`.
 * Closing it aborts the running build but leaves the builder open: the next term uses it again,
 * and it is closed with the app.
 */
export async function startTerm (options: ResolvedOptions, broadcast: (message: BroadcastMessage) => void, watchAll: WatchAll, log: FastifyBaseLogger, metrics: Metrics | null, world: World): Promise<Term> {
  const builder = options.builder
  const lent: Builder | null = builder === null ? null : { name: builder.name, build: ctx => builder.build(ctx), ...(builder.watch === undefined ? {} : { watch: ctx => builder.watch!(ctx) }) }
  const pipeline = createPipeline({ ...options, builder: lent }, { broadcast }, log, observerOf(metrics, world.now), world)
  const started = await watchAll(pipeline)
  const term: Term = {
    pipeline,
    watched: started.map(({ path }) => displayPath(path)),
    async close () {
      // At once, both: the abort must not wait for the watchers.
      await Promise.all([pipeline.close(), ...started.map(async ({ watcher }) => await watcher.close())])
    }
  }
  try {
    pipeline.startWatchingBuilder()                   // the builder's own watch, which may throw
  } catch (err) {
    await term.close()                                // nothing it started outlives it
    throw err
  }
  return term
}
