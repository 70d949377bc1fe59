// Prometheus metrics (the `metrics` option), through prom-client, an optional peer dependency:
// the plugin's counters, gauges and histograms go into the app's registry, so the app's own
// /metrics shows them. The rest of the plugin calls the small recorder below, or nothing (null).
import type { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { MetricsRegistry } from '../types/index.js'
import { FST_LIVERELOAD_INVALID_OPTION } from './errors.js'
import { BROADCAST_TYPES } from './message-types.js'
import { option } from './option.js'
import { importOptional } from './optional.js'
import { invalid } from './validate.js'

/** What carries a client's messages: our WebSocket, our Server-Sent Events stream, or LiveReload 7 (the channel's peers). */
export type Transport = 'websocket' | 'sse' | 'livereload'
export type BuildResult = 'ok' | 'failed' | 'aborted'

const TRANSPORTS: readonly Transport[] = ['websocket', 'sse', 'livereload']
const RESULTS: readonly BuildResult[] = ['ok', 'failed', 'aborted']

export const METRICS_OPTIONS = {
  /** Where the metrics go (true: prom-client's default registry), or null when off. */
  metrics: option<MetricsRegistry | true | null>('false', metricsRegistry)
}

/** A registry is known by the methods the plugin and prom-client's metrics call: any copy of prom-client will do. */
function metricsRegistry (value: unknown): MetricsRegistry | true | null {
  if (value === undefined || value === false) return null
  if (value === true) return true
  const registry = value as Partial<Record<keyof MetricsRegistry, unknown>> | null
  if (typeof registry !== 'object' || registry === null || typeof registry.registerMetric !== 'function' ||
      typeof registry.getSingleMetric !== 'function' || typeof registry.metrics !== 'function') {
    invalid('metrics', 'must be a boolean or a prom-client Registry (new Registry(), or register, the default one)')
  }
  return value as MetricsRegistry
}

const PREFIX = 'fastify_livereload_'

/** What the plugin records. Every method does nothing once close() has run. */
export interface Metrics {
  /** The `site` label of this plugin instance's series. */
  readonly site: string
  clientAdded (transport: Transport): void
  clientRemoved (transport: Transport): void
  /** One message broadcast to every client. */
  sent (type: string): void
  built (result: BuildResult, ms: number): void
  /**
   * A message answering changes the watcher reported, the earliest `ms` before it (a message
   * that answers no change, a start-up build's or `reload()`'s, is not reported).
   */
  answered (type: string, ms: number): void
  /** For the cluster: this process's idea of the leader changed. */
  leaderChanged (): void
  /** For the cluster: the Redis bus failed (a publish, a subscription, the connection). */
  busError (): void
  /** Removes this instance's series (stale values would stay on the app's /metrics otherwise) and frees its site label. */
  close (): void
}

/** The sites with series in each registry: a second instance with the same path gets `#2`. */
const sitesOf = new WeakMap<object, Set<string>>()

/**
 * The plugin's metrics in `registry` (`true`: prom-client's default registry), labelled `site`:
 * the channel path as mounted (`/__livereload`, `/docs/__livereload`), so that two instances in
 * one registry keep their own series. Imports prom-client, or fails naming it.
 */
export async function createMetrics (registry: MetricsRegistry | true, path: string): Promise<Metrics> {
  const prom = await importOptional<typeof import('prom-client')>('prom-client', 'for the metrics option')
  // Only the methods MetricsRegistry names are used, and prom-client's metrics call no others.
  const target = (registry === true ? prom.register : registry) as Registry
  // Another instance in this registry made them first: prom-client refuses a name twice.
  function shared<M> (Kind: new (config: { name: string, help: string, labelNames: string[], registers: Registry[], buckets?: number[] }) => M, name: string, help: string, labelNames: string[], buckets?: number[]): M {
    const existing = target.getSingleMetric(PREFIX + name)
    if (existing === undefined) return new Kind({ name: PREFIX + name, help, labelNames: ['site', ...labelNames], registers: [target], ...(buckets === undefined ? {} : { buckets }) })
    if (!(existing instanceof Kind)) throw new FST_LIVERELOAD_INVALID_OPTION('metrics', `is a registry that already holds a metric named ${PREFIX + name} that is not this plugin's`)
    return existing
  }
  const clients = shared<Gauge<string>>(prom.Gauge, 'clients', 'Browsers connected now, by transport', ['transport'])
  const messages = shared<Counter<string>>(prom.Counter, 'messages_total', 'Messages broadcast to the browsers, by type', ['type'])
  const builds = shared<Counter<string>>(prom.Counter, 'builds_total', 'Builds finished, by result (ok, failed, aborted: superseded or cut off by close)', ['result'])
  const buildSeconds = shared<Histogram<string>>(prom.Histogram, 'build_duration_seconds', 'Build duration, by result', ['result'],
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300])
  const latency = shared<Histogram<string>>(prom.Histogram, 'change_to_message_seconds', 'From the earliest file change the watcher reported to the message that answers it, by message type', ['type'],
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60])
  const leaderChanges = shared<Counter<string>>(prom.Counter, 'leader_changes_total', 'Times this process saw the cluster\'s leader change', [])
  const busErrors = shared<Counter<string>>(prom.Counter, 'bus_errors_total', 'Errors of the cluster\'s Redis bus', [])

  const sites = sitesOf.get(target) ?? new Set<string>()
  sitesOf.set(target, sites)
  let site = path
  for (let n = 2; sites.has(site); n++) site = `${path}#${n}`
  sites.add(site)
  let isClosed = false

  // Every series at zero from the start: a rate() or an absent type reads as 0, not as no data.
  for (const transport of TRANSPORTS) clients.set({ site, transport }, 0)
  for (const type of BROADCAST_TYPES) messages.inc({ site, type }, 0)
  for (const result of RESULTS) builds.inc({ site, result }, 0)
  leaderChanges.inc({ site }, 0)
  busErrors.inc({ site }, 0)

  return {
    site,
    clientAdded (transport) { if (!isClosed) clients.inc({ site, transport }) },
    clientRemoved (transport) { if (!isClosed) clients.dec({ site, transport }) },
    sent (type) { if (!isClosed) messages.inc({ site, type }) },
    built (result, ms) {
      if (isClosed) return
      builds.inc({ site, result })
      buildSeconds.observe({ site, result }, ms / 1000)
    },
    answered (type, ms) { if (!isClosed) latency.observe({ site, type }, ms / 1000) },
    leaderChanged () { if (!isClosed) leaderChanges.inc({ site }) },
    busError () { if (!isClosed) busErrors.inc({ site }) },
    close () {
      if (isClosed) return
      isClosed = true
      for (const transport of TRANSPORTS) clients.remove({ site, transport })
      for (const type of BROADCAST_TYPES) {
        messages.remove({ site, type })
        latency.remove({ site, type })
      }
      for (const result of RESULTS) {
        builds.remove({ site, result })
        buildSeconds.remove({ site, result })
      }
      leaderChanges.remove({ site })
      busErrors.remove({ site })
      sites.delete(site)
    }
  }
}
