import type { FastifyBaseLogger } from 'fastify'
import type { BuildReport, FileChange } from '../../types/index.js'
import { ignoredPaths } from '../ignore.js'
import { createBuildQueue } from './build-queue.js'
import { closedReport, contentChanges, named, runBuild, type BuildStats, type PipelineOptions, type PipelineParts } from './build-run.js'
import { createCoalescer, type ActivityFeed } from './coalesce.js'
import { MAX_WAIT_MS } from './coalesce-rules.js'
import type { Hub } from '../channel/hub.js'
import type { PipelineObserver } from './events.js'
import { createLoopBreaker } from './loop-breaker.js'
import { messageFor, reloadOf, sourceMessage } from './messages.js'
import { createOutputHashes } from './output-hashes.js'
import { displayPath } from '../paths.js'
import { later, realWorld, type World } from '../world.js'

export { MAX_BUILDING_PATHS, type BuildStats } from './build-run.js'
/** close() waits this long for a running build that ignores its abort signal. */
export const CLOSE_GRACE_MS = 2000

export interface Pipeline {
  /** Changes in the watched sources: run the builder once they go quiet (or reload without one). */
  pushSource (changes: FileChange[]): void
  /** Changes in the output directory: one message once they go quiet, held while a build runs. */
  pushOutput (changes: FileChange[]): void
  /** The output directory itself was deleted: what was deleted in it waits for its return (`resync('output')`). */
  outputGone (): void
  /** Where a watched source tree reports its activity (the coalescer's evidence). */
  sourceActivity (): ActivityFeed
  /** Where the output directory reports its activity. */
  outputActivity (): ActivityFeed
  build (options?: { full?: boolean }): Promise<BuildReport>
  /**
   * Starts a builder that watches on its own (`Builder.watch`), once the output directory is
   * watched: its first build's writes are seen, and their content known when it rewrites them.
   */
  startWatchingBuilder (): void
  /**
   * Events were lost (the watcher failed, or a watched directory came back): a full build, or
   * a reload when there is no builder or the output changed. Never silently stale.
   */
  resync (what: 'sources' | 'output'): void
  stats (): BuildStats
  close (): Promise<void>
}

/**
 * The one place where changes become builds and builds become messages. Builds never overlap;
 * changes that arrive during one run one follow-up build with all of them; each build ends in
 * exactly one message, sent after its writes; the output events a build causes itself are
 * absorbed, never sent as a second reload. Everything it waits on or reads goes through
 * `world`; `observe` hears what happens (the metrics: observeLatency).
 */
export function createPipeline (options: PipelineOptions, hub: Pick<Hub, 'broadcast'>, log: FastifyBaseLogger, observe: PipelineObserver = () => {}, world: World = realWorld): Pipeline {
  const rules = { quietMs: options.debounce, maxWaitMs: MAX_WAIT_MS }
  const closing = new AbortController()
  const request = (full: boolean): Promise<BuildReport> => p.queue.request(full)
  const p: PipelineParts = {
    options,
    hub,
    log,
    world,
    observe,
    closing,
    hashes: createOutputHashes(world.files),
    outputs: createCoalescer(rules, changes => { sendOutputChanges(p, changes).catch(err => log.error({ err }, 'failed to send output changes')) }, world, options.root),
    sources: createCoalescer(rules, changes => onSourcesQuiet(p, changes), world),
    loop: createLoopBreaker({ log, display: path => displayPath(path), onRelease: () => { request(false).catch(/* c8 ignore next */ () => {}) }, now: world.wallNow, files: world.files, later: (fn, ms) => later(world, fn, ms) }),
    queue: createBuildQueue(async job => await runLooked(p, job), closedReport, closing.signal),
    stats: { builds: 0, failures: 0, building: false, paused: false, lastDuration: null, lastErrors: null },
    // The outputs a builder names are held to the output directory's ignore rules, as its events are.
    isIgnoredOutput: options.root === null ? () => false : ignoredPaths(options.root, options.ignore),
    state: { phase: 'idle', current: null, isErrorShowing: false, mustReload: false }
  }
  // A builder that watches on its own builds everything when it starts: that build, while it
  // runs, is the full one asked for (buildOnStart's), not another after it. Undefined: not begun.
  const first: { build: Promise<BuildReport> | null | undefined } = { build: undefined }
  let closed: Promise<void> | undefined
  return {
    startWatchingBuilder: () => startWatchingBuilder(p, first),
    pushSource (changes) {
      observe({ type: 'pushed', tree: 'sources', at: world.now() })
      p.loop.notePush(changes)
      p.sources.push(changes)
    },
    pushOutput (changes) {
      observe({ type: 'pushed', tree: 'outputs', at: world.now() })
      p.outputs.push(changes)
    },
    outputGone: () => p.outputs.awaitRoot(),
    sourceActivity: () => p.sources.feed(),
    outputActivity: () => p.outputs.feed(),
    build ({ full = false } = {}) {
      p.loop.reset()
      if (full && first.build != null) return first.build
      return request(full)
    },
    resync: what => resync(p, what),
    stats: () => ({ ...p.stats, paused: p.loop.paused }),
    close: () => (closed ??= close(p))
  }
}

/** A build, with the loop breaker told when it starts and ends. */
async function runLooked (p: PipelineParts, job: Parameters<typeof runBuild>[1]): Promise<BuildReport | null> {
  p.loop.buildStarted()
  try {
    return await runBuild(p, job)
  } finally {
    p.loop.buildEnded()
  }
}

function onSourcesQuiet (p: PipelineParts, changes: FileChange[]): void {
  const { options, log } = p
  // Decided on the save or burst as a whole, not on each watcher batch: a late copy of the
  // change that started the build, or a change `supersede` does not care for, lets it run.
  if (p.state.current !== null && options.supersede(changes)) p.state.current.abort()
  p.observe({ type: 'sources-quiet', isQueued: options.builder !== null })
  if (options.builder === null) {
    const message = sourceMessage(changes, options)
    const action = message.type === 'css' ? 'swapping stylesheets' : 'reloading'
    log.info({ type: message.type, changes: changes.length, files: named(changes) }, `sources changed: ${named(changes)}; ${action}`)
    p.hub.broadcast(message)
    p.observe({ type: 'sent', message: message.type, answers: 'sources' })
    return
  }
  const isWanted = p.loop.admit(changes) // the builder's own writes may wait for another change
  p.queue.add(changes)
  if (isWanted) p.queue.request(false).catch(/* c8 ignore next */ () => {}) // the report is in the log and in onBuildEnd
}

let outputFlushes = 0

async function sendOutputChanges (p: PipelineParts, changes: FileChange[]): Promise<void> {
  const id = ++outputFlushes
  p.observe({ type: 'outputs-quiet', id })
  const changed = await contentChanges(p, changes)
  const message = changed.length === 0 || p.closing.signal.aborted ? null : messageFor(changed, p.options)
  p.observe({ type: 'outputs-answered', id, message: message?.type ?? null })
  if (message === null) return
  p.log.info({ type: message.type, changes: changed.length, files: named(changed) }, `output changed: ${named(changed)}; sent ${message.type}`)
  p.hub.broadcast(message)
}

function startWatchingBuilder (p: PipelineParts, first: { build: Promise<BuildReport> | null | undefined }): void {
  const { builder } = p.options
  builder?.watch?.({
    rebuilding () {
      const report = p.queue.request(false)
      report.catch(/* c8 ignore next */ () => {}) // the report is in the log and in onBuildEnd
      if (first.build !== undefined) return
      first.build = report
      report.then(() => { first.build = null }, /* c8 ignore next */ () => {}) // a full build asked for later is one of its own
    },
    signal: p.closing.signal,
    log: p.log.child({ builder: builder.name ?? 'build' })
  })
}

function resync (p: PipelineParts, what: 'sources' | 'output'): void {
  const { options, log } = p
  if (p.closing.signal.aborted) return
  if (what === 'sources' && options.builder !== null) {
    log.info('rescanning the sources: full build')
    p.queue.request(true).catch(/* c8 ignore next */ () => {})
  } else if (what === 'output' && p.stats.building) {
    p.state.mustReload = true // the running build's one message becomes a reload
  } else if (what === 'output' && options.root !== null) {
    // The output directory is back, or its watcher recovered: "everything under it changed",
    // one message with the deletions it joins, once what is written into it goes quiet.
    log.info('rescanning the output: reloading once it is written')
    p.outputs.push([{ path: options.root, type: 'update' }])
  } else {
    log.info('rescanning: reloading')
    p.hub.broadcast(reloadOf([]))
  }
}

async function close (p: PipelineParts): Promise<void> {
  p.closing.abort()
  p.sources.close()
  p.outputs.close()
  p.loop.close()
  await waitAtMost(p.world, p.queue.idle(), CLOSE_GRACE_MS)
  try {
    await p.options.builder?.close?.()
  } catch (err) {
    p.log.error({ err }, 'builder close failed')
  }
}

async function waitAtMost (world: World, promise: Promise<void>, ms: number): Promise<void> {
  let timer: unknown
  await Promise.race([promise, new Promise(resolve => { timer = world.setTimer(() => resolve(undefined), ms) })])
  world.clearTimer(timer)
}
