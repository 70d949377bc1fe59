import type { FastifyBaseLogger } from 'fastify'
import type { BroadcastMessage, BuildContext, BuildErrorInfo, BuildOutcome, BuildReport, FileChange, LiveReloadStats } from '../../types/index.js'
import { normalizeErrors } from '../build-errors.js'
import { ignoredPaths } from '../ignore.js'
import { createBuildQueue, type BuildJob } from './build-queue.js'
import { createCoalescer, type ActivityFeed } from './coalesce.js'
import type { Hub } from '../channel/hub.js'
import { createLoopBreaker } from './loop-breaker.js'
import type { Metrics } from '../metrics.js'
import { buildMessage, MAX_PATHS, messageFor, reloadOf, sourceMessage, urlPath } from './messages.js'
import { MAX_WAIT_MS, type ResolvedOptions } from '../options.js'
import { createOutputHashes } from './output-hashes.js'
import { displayPath } from '../paths.js'

/** A log line names at most this many changed files, and how many more. */
const NAMED_IN_LOG = 3

/** The first changed files, as the log shows them: `src/a.md, src/b.md and 12 more`. */
function named (changes: readonly FileChange[]): string {
  const shown = changes.slice(0, NAMED_IN_LOG).map(change => displayPath(change.path)).join(', ')
  return changes.length > NAMED_IN_LOG ? `${shown} and ${changes.length - NAMED_IN_LOG} more` : shown
}

/** `building` names at most this many changed sources. */
export const MAX_BUILDING_PATHS = 20
/** close() waits this long for a running build that ignores its abort signal. */
export const CLOSE_GRACE_MS = 2000

export type BuildStats = Pick<LiveReloadStats, 'builds' | 'failures' | 'building' | 'paused' | 'lastDuration' | 'lastErrors'>

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

type PipelineOptions = Pick<ResolvedOptions, 'root' | 'prefix' | 'ignore' | 'css' | 'debounce' | 'builder' | 'supersede' | 'onBuildStart' | 'onBuildEnd'>

/** The earlier of two moments (performance.now() ms); null: none. */
const earliest = (a: number | null, b: number | null): number | null => a === null ? b : b === null ? a : Math.min(a, b)

/**
 * The one place where changes become builds and builds become messages. Builds never overlap;
 * changes that arrive during one run one follow-up build with all of them; each build ends in
 * exactly one message, sent after its writes; the output events a build causes itself are
 * absorbed, never sent as a second reload. `metrics`, when on, records builds and how long
 * after the watcher reported a change its message went out.
 */
export function createPipeline (options: PipelineOptions, hub: Pick<Hub, 'broadcast'>, log: FastifyBaseLogger, metrics: Metrics | null = null): Pipeline {
  const { builder } = options
  const hashes = createOutputHashes()
  const rules = { quietMs: options.debounce, maxWaitMs: MAX_WAIT_MS }
  const outputs = createCoalescer(rules, changes => { sendOutputChanges(changes).catch(err => log.error({ err }, 'failed to send output changes')) }, undefined, options.root)
  /** What a build wrote, once delivered; nothing to wait for where no output directory is watched. */
  const settleOutputs = async (): Promise<FileChange[]> => {
    if (options.root === null) return []
    const written = await outputs.settle()
    outputsSince = null // a build's writes: its message answers the sources' changes
    return written
  }
  const sources = createCoalescer(rules, onSourcesQuiet)
  const loop = createLoopBreaker({ log, display: path => displayPath(path), onRelease: () => { queue.request(false).catch(/* c8 ignore next */ () => {}) } })
  const closing = new AbortController()
  const queue = createBuildQueue(async job => {
    loop.buildStarted()
    try {
      return await runBuild(job)
    } finally {
      loop.buildEnded()
    }
  }, closedReport, closing.signal)
  const stats: BuildStats = { builds: 0, failures: 0, building: false, paused: false, lastDuration: null, lastErrors: null }
  // A builder that watches on its own builds everything when it starts: that build, while it
  // runs, is the full one asked for (buildOnStart's), not another after it. Undefined: not begun.
  let firstBuild: Promise<BuildReport> | null | undefined
  let current: AbortController | null = null
  let isErrorShowing = false
  let mustReload = false // events were lost during a build: its message must reload, whatever it wrote
  // When the earliest change not yet answered was reported (metrics only): pushed to the
  // sources' coalescer, queued for the next build, pushed to the output's coalescer.
  let sourcesSince: number | null = null
  let queuedSince: number | null = null
  let outputsSince: number | null = null
  // The outputs a builder names are held to the output directory's ignore rules, as its events are.
  const isIgnoredOutput = options.root === null ? () => false : ignoredPaths(options.root, options.ignore)

  function onSourcesQuiet (changes: FileChange[]): void {
    // Decided on the save or burst as a whole, not on each watcher batch: a late copy of the
    // change that started the build, or a change `supersede` does not care for, lets it run.
    if (current !== null && options.supersede(changes)) current.abort()
    const since = sourcesSince
    sourcesSince = null
    if (builder === null) {
      const message = sourceMessage(changes, options)
      const action = message.type === 'css' ? 'swapping stylesheets' : 'reloading'
      log.info({ type: message.type, changes: changes.length, files: named(changes) }, `sources changed: ${named(changes)}; ${action}`)
      hub.broadcast(message)
      metrics?.answered(message.type, since)
      return
    }
    const isWanted = loop.admit(changes) // the builder's own writes may wait for another change
    queue.add(changes)
    queuedSince = earliest(queuedSince, since)
    if (isWanted) queue.request(false).catch(/* c8 ignore next */ () => {}) // the report is in the log and in onBuildEnd
  }

  /**
   * The changes whose content differs. Many are answered at the first that needs a reload (a
   * checkout: its first page): the message is then "reload everything" whatever the rest holds,
   * and they all count. Reading 2,000 files first cost ~130 ms of every burst's tail.
   */
  async function contentChanges (changes: FileChange[]): Promise<FileChange[]> {
    const isEnough = changes.length > MAX_PATHS ? (soFar: readonly FileChange[]) => messageFor(soFar, options)?.type === 'reload' : undefined
    const { changed, isPartial } = await hashes.changed(changes, isEnough)
    return isPartial ? changes : changed
  }

  async function sendOutputChanges (changes: FileChange[]): Promise<void> {
    const since = outputsSince
    outputsSince = null
    const changed = await contentChanges(changes)
    if (changed.length === 0 || closing.signal.aborted) return
    const message = messageFor(changed, options)
    if (message === null) return
    log.info({ type: message.type, changes: changed.length, files: named(changed) }, `output changed: ${named(changed)}; sent ${message.type}`)
    hub.broadcast(message)
    metrics?.answered(message.type, since)
  }

  async function runBuild ({ full, changes }: BuildJob): Promise<BuildReport | null> {
    const since = queuedSince // the queue hands every queued change to this build
    queuedSince = null
    const controller = new AbortController()
    current = controller
    const abort = (): void => controller.abort()
    closing.signal.addEventListener('abort', abort)
    const ctx: BuildContext = { changes, full, signal: controller.signal, log: log.child({ builder: builder?.name ?? 'build' }) }
    const display = changes.map(change => displayPath(change.path))
    outputs.hold()
    stats.building = true
    hub.broadcast({ type: 'building', changes: display.slice(0, MAX_BUILDING_PATHS) })
    metrics?.answered('building', since)
    log.info({ full, changes: display.length, files: named(changes) }, 'build started')
    await callHook('onBuildStart', options.onBuildStart, ctx)

    const started = performance.now()
    const { outcome, errors } = await callBuilder(ctx)
    const elapsed = performance.now() - started
    const duration = Math.round(elapsed)
    loop.builderDone()
    closing.signal.removeEventListener('abort', abort)
    current = null
    stats.building = false
    if (closing.signal.aborted || controller.signal.aborted) metrics?.built('aborted', elapsed)
    if (closing.signal.aborted) return { ...closedReport(), full, changes: display, duration }
    if (controller.signal.aborted) {
      log.info({ ms: duration }, 'build superseded by newer changes')
      queuedSince = earliest(queuedSince, since) // its changes go back to the queue
      await settleOutputs() // the next build reports what this one wrote
      return null
    }

    stats.builds++
    stats.lastDuration = duration
    let sent: BuildReport['sent']
    let outputPaths: string[] = []
    if (errors.length > 0) {
      stats.failures++
      stats.lastErrors = errors
      isErrorShowing = true
      sent = send({ type: 'error', errors }, since)
      log.error({ ms: duration, errors: errors.length, err: errors[0] }, 'build failed')
      await hashes.changed(await settleOutputs()) // partial writes: absorbed, the overlay stands
    } else {
      stats.lastErrors = null
      const delivered = await deliver(outcome, since)
      sent = delivered.sent
      outputPaths = delivered.paths
      // Nothing changed: `clear` still ends the build for the browsers (their building notice).
      if (sent === 'none') send({ type: 'clear' }, since)
      log.info({ ms: duration, sent }, 'build finished')
    }
    const report: BuildReport = { ok: errors.length === 0, full, changes: display, outputs: outputPaths, errors, duration, sent }
    metrics?.built(report.ok ? 'ok' : 'failed', elapsed)
    await callHook('onBuildEnd', options.onBuildEnd, report)
    return report
  }

  async function callBuilder (ctx: BuildContext): Promise<{ outcome: BuildOutcome, errors: BuildErrorInfo[] }> {
    if (builder === null) return { outcome: { reload: 'page' }, errors: [] }
    // Superseded or closed during onBuildStart: the builder would only see an aborted signal,
    // which a listener added now never hears, and run to the end for nothing.
    if (ctx.signal.aborted) return { outcome: {}, errors: [] }
    try {
      const outcome = (await builder.build(ctx)) ?? {}
      return { outcome, errors: outcome.errors !== undefined && outcome.errors.length > 0 ? normalizeErrors(outcome.errors) : [] }
    } catch (err) {
      return { outcome: {}, errors: ctx.signal.aborted ? [] : normalizeErrors(err) }
    }
  }

  /** The one message of a successful build, sent after its writes. */
  async function deliver (outcome: BuildOutcome, since: number | null): Promise<{ sent: BuildReport['sent'], paths: string[] }> {
    const mode = outcome.reload ?? 'auto'
    // The builder did not say what it wrote: its own output events tell, once they go quiet.
    const written = outcome.outputs === undefined
      ? (mode === 'auto' ? await settleOutputs() : [])
      : outcome.outputs.filter(path => !isIgnoredOutput(path)).map(path => ({ path, type: 'update' as const }))
    const changed = await contentChanges(written)
    const sent = send(buildMessage({ mode, changed, mustReload, isErrorShowing }, options), since)
    isErrorShowing = false
    mustReload = false
    // Whatever else the build wrote arrives now; it is this build's, so it is absorbed.
    if (outcome.outputs !== undefined || mode !== 'auto') await hashes.changed(await settleOutputs())
    return { sent, paths: changed.map(change => urlPath(change.path, options)) }
  }

  /** Broadcasts the message that ends a build; `since`: when the earliest of its changes was reported. */
  function send (message: BroadcastMessage | null, since: number | null): BuildReport['sent'] {
    if (message === null) return 'none'
    hub.broadcast(message)
    metrics?.answered(message.type, since)
    return message.type as BuildReport['sent']
  }

  async function callHook<A> (name: string, hook: ((arg: A) => unknown) | null, arg: A): Promise<void> {
    try {
      await hook?.(arg)
    } catch (err) {
      log.error({ err }, `${name} failed`)
    }
  }

  let closed: Promise<void> | undefined
  return {
    startWatchingBuilder () {
      builder?.watch?.({
        rebuilding () {
          const report = queue.request(false)
          report.catch(/* c8 ignore next */ () => {}) // the report is in the log and in onBuildEnd
          if (firstBuild !== undefined) return
          firstBuild = report
          report.then(() => { firstBuild = null }, /* c8 ignore next */ () => {}) // a full build asked for later is one of its own
        },
        signal: closing.signal,
        log: log.child({ builder: builder.name ?? 'build' })
      })
    },
    pushSource (changes) {
      if (metrics !== null) sourcesSince ??= performance.now()
      loop.notePush(changes)
      sources.push(changes)
    },
    pushOutput (changes) {
      if (metrics !== null) outputsSince ??= performance.now()
      outputs.push(changes)
    },
    outputGone: () => outputs.awaitRoot(),
    sourceActivity: () => sources.feed(),
    outputActivity: () => outputs.feed(),
    build ({ full = false } = {}) {
      loop.reset()
      if (full && firstBuild != null) return firstBuild
      return queue.request(full)
    },
    resync (what) {
      if (closing.signal.aborted) return
      if (what === 'sources' && builder !== null) {
        log.info('rescanning the sources: full build')
        queue.request(true).catch(/* c8 ignore next */ () => {})
      } else if (what === 'output' && stats.building) {
        mustReload = true // the running build's one message becomes a reload
      } else if (what === 'output' && options.root !== null) {
        // The output directory is back, or its watcher recovered: "everything under it changed",
        // one message with the deletions it joins, once what is written into it goes quiet.
        log.info('rescanning the output: reloading once it is written')
        outputs.push([{ path: options.root, type: 'update' }])
      } else {
        log.info('rescanning: reloading')
        hub.broadcast(reloadOf([]))
      }
    },
    stats: () => ({ ...stats, paused: loop.paused }),
    close: () => (closed ??= (async () => {
      closing.abort()
      sources.close()
      outputs.close()
      loop.close()
      await waitAtMost(queue.idle(), CLOSE_GRACE_MS)
      try {
        await builder?.close?.()
      } catch (err) {
        log.error({ err }, 'builder close failed')
      }
    })())
  }
}

function closedReport (): BuildReport {
  return { ok: false, full: false, changes: [], outputs: [], errors: [{ message: 'the server closed' }], duration: 0, sent: 'none' }
}

async function waitAtMost (promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([promise, new Promise(resolve => { timer = setTimeout(resolve, ms).unref() })])
  clearTimeout(timer)
}
