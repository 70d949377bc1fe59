import type { Metrics } from '../metrics.js'
import type { PipelineObserver } from './events.js'

/** The earlier of two moments; null: none. */
const earliest = (a: number | null, b: number | null): number | null => a === null ? b : b === null ? a : Math.min(a, b)

/**
 * The metrics, as an observer of the pipeline's events: builds by result, and how long after
 * the watcher reported a change the message that answers it went out (from the earliest change
 * not yet answered: pushed to the sources' coalescer, queued for the next build, pushed to the
 * output's coalescer).
 */
export function observeLatency (metrics: Metrics, now: () => number): PipelineObserver {
  let sourcesSince: number | null = null
  let quietSince: number | null = null
  let queuedSince: number | null = null
  let buildSince: number | null = null
  let outputsSince: number | null = null
  const outputFlushes = new Map<number, number | null>()
  const answered = (type: string, since: number | null | undefined): void => {
    if (since != null) metrics.answered(type, now() - since)
  }
  return event => {
    switch (event.type) {
      case 'pushed':
        if (event.tree === 'sources') sourcesSince ??= event.at
        else outputsSince ??= event.at
        break
      case 'sources-quiet':
        if (event.isQueued) queuedSince = earliest(queuedSince, sourcesSince)
        else quietSince = sourcesSince
        sourcesSince = null
        break
      case 'outputs-quiet':
        outputFlushes.set(event.id, outputsSince)
        outputsSince = null
        break
      case 'build-started':
        buildSince = queuedSince
        queuedSince = null
        break
      case 'build-superseded':
        queuedSince = earliest(queuedSince, buildSince)
        break
      case 'outputs-settled':
        outputsSince = null // a build's writes: its message answers the sources' changes
        break
      case 'build-ended':
        metrics.built(event.result, event.ms)
        break
      case 'sent':
        answered(event.message, event.answers === 'sources' ? quietSince : buildSince)
        break
      case 'outputs-answered':
        if (event.message !== null) answered(event.message, outputFlushes.get(event.id))
        outputFlushes.delete(event.id)
        break
    }
  }
}

/** The metrics' observer, or one that does nothing when they are off. */
export function observerOf (metrics: Metrics | null, now: () => number): PipelineObserver {
  return metrics === null ? () => {} : observeLatency(metrics, now)
}
