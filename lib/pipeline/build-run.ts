import type { FastifyBaseLogger } from 'fastify'
import type { BroadcastMessage, BuildContext, BuildErrorInfo, BuildOutcome, BuildReport, FileChange, LiveReloadStats } from '../../types/index.js'
import { normalizeErrors } from '../build-errors.js'
import type { Hub } from '../channel/hub.js'
import type { ResolvedOptions } from '../options.js'
import { displayPath } from '../paths.js'
import type { BuildJob, BuildQueue } from './build-queue.js'
import type { Coalescer } from './coalesce.js'
import type { PipelineObserver } from './events.js'
import type { LoopBreaker } from './loop-breaker.js'
import { transition, type Transitions } from './machine.js'
import { buildMessage, MAX_PATHS, messageFor, urlPath } from './messages.js'
import type { OutputHashes } from './output-hashes.js'
import type { World } from '../world.js'

/** `building` names at most this many changed sources. */
export const MAX_BUILDING_PATHS = 20
/** A log line names at most this many changed files, and how many more. */
const NAMED_IN_LOG = 3

export type BuildStats = Pick<LiveReloadStats, 'builds' | 'failures' | 'building' | 'paused' | 'lastDuration' | 'lastErrors'>

export type PipelineOptions = Pick<ResolvedOptions, 'root' | 'prefix' | 'ignore' | 'css' | 'debounce' | 'builder' | 'supersede' | 'onBuildStart' | 'onBuildEnd'>

/**
 * One build's phases: started (its `building` sent, the onBuildStart hook), running (the
 * builder), delivering (the outputs settle, the one message), ending (the onBuildEnd hook).
 * A build superseded by newer changes, or cut off by close, ends when its builder returns.
 */
export type BuildPhase = 'idle' | 'starting' | 'running' | 'delivering' | 'ending'
export type BuildEvent = 'start' | 'run' | 'built' | 'superseded' | 'cut' | 'delivered' | 'ended'

export const BUILD_PHASES: Transitions<BuildPhase, BuildEvent> = {
  idle: { start: 'starting' },
  starting: { run: 'running' },
  running: { built: 'delivering', superseded: 'idle', cut: 'idle' },
  delivering: { delivered: 'ending' },
  ending: { ended: 'idle' }
}

/** What the pipeline is made of: its parts, and the state builds share. */
export interface PipelineParts {
  readonly options: PipelineOptions
  readonly hub: Pick<Hub, 'broadcast'>
  readonly log: FastifyBaseLogger
  readonly world: World
  readonly outputs: Coalescer
  readonly sources: Coalescer
  readonly loop: LoopBreaker
  readonly queue: BuildQueue<BuildReport>
  readonly hashes: OutputHashes
  readonly closing: AbortController
  readonly stats: BuildStats
  readonly observe: PipelineObserver
  readonly isIgnoredOutput: (path: string) => boolean
  readonly state: {
    phase: BuildPhase
    /** The running build's abort, while its builder may still be asked to stop. */
    current: AbortController | null
    isErrorShowing: boolean
    /** Events were lost during a build: its message must reload, whatever it wrote. */
    mustReload: boolean
  }
}

const enter = (p: PipelineParts, event: BuildEvent): void => { p.state.phase = transition('build', BUILD_PHASES, p.state.phase, event) }

/** The first changed files, as the log shows them: `src/a.md, src/b.md and 12 more`. */
export function named (changes: readonly FileChange[]): string {
  const shown = changes.slice(0, NAMED_IN_LOG).map(change => displayPath(change.path)).join(', ')
  return changes.length > NAMED_IN_LOG ? `${shown} and ${changes.length - NAMED_IN_LOG} more` : shown
}

/** One build, from its `building` notice to its one message; null: superseded, run again with newer changes. */
export async function runBuild (p: PipelineParts, { full, changes }: BuildJob): Promise<BuildReport | null> {
  const { log, closing, stats, options, world } = p
  const controller = new AbortController()
  const abort = (): void => controller.abort()
  closing.signal.addEventListener('abort', abort)
  const ctx: BuildContext = { changes, full, signal: controller.signal, log: log.child({ builder: options.builder?.name ?? 'build' }) }
  const display = changes.map(change => displayPath(change.path))
  enter(p, 'start')
  p.state.current = controller
  p.observe({ type: 'build-started' })
  if (options.root !== null) p.outputs.hold()
  stats.building = true
  send(p, { type: 'building', changes: display.slice(0, MAX_BUILDING_PATHS) })
  log.info({ full, changes: display.length, files: named(changes) }, 'build started')
  await callHook(log, 'onBuildStart', options.onBuildStart, ctx)

  enter(p, 'run')
  const started = world.now()
  const { outcome, errors } = await callBuilder(p, ctx)
  const elapsed = world.now() - started
  p.loop.builderDone()
  closing.signal.removeEventListener('abort', abort)
  p.state.current = null
  stats.building = false
  if (closing.signal.aborted || controller.signal.aborted) p.observe({ type: 'build-ended', result: 'aborted', ms: elapsed })
  if (closing.signal.aborted) {
    enter(p, 'cut')
    return { ...closedReport(), full, changes: display, duration: Math.round(elapsed) }
  }
  if (controller.signal.aborted) {
    log.info({ ms: Math.round(elapsed) }, 'build superseded by newer changes')
    p.observe({ type: 'build-superseded' }) // its changes go back to the queue
    await settleOutputs(p) // the next build reports what this one wrote
    enter(p, 'superseded')
    return null
  }
  enter(p, 'built')
  const report = await finish(p, { full, display, outcome, errors, elapsed })
  await callHook(log, 'onBuildEnd', options.onBuildEnd, report)
  enter(p, 'ended')
  return report
}

/** A build's end, its builder done: the message, the stats, the report. */
async function finish (p: PipelineParts, run: { full: boolean, display: string[], outcome: BuildOutcome, errors: BuildErrorInfo[], elapsed: number }): Promise<BuildReport> {
  const { stats, log } = p
  const { full, display, outcome, errors, elapsed } = run
  const duration = Math.round(elapsed)
  stats.builds++
  stats.lastDuration = duration
  let sent: BuildReport['sent']
  let outputPaths: string[] = []
  if (errors.length > 0) {
    stats.failures++
    stats.lastErrors = errors
    p.state.isErrorShowing = true
    sent = send(p, { type: 'error', errors })
    log.error({ ms: duration, errors: errors.length, err: errors[0] }, 'build failed')
    await p.hashes.changed(await settleOutputs(p)) // partial writes: absorbed, the overlay stands
  } else {
    stats.lastErrors = null
    const delivered = await deliver(p, outcome)
    sent = delivered.sent
    outputPaths = delivered.paths
    // Nothing changed: `clear` still ends the build for the browsers (their building notice).
    if (sent === 'none') send(p, { type: 'clear' })
    log.info({ ms: duration, sent }, 'build finished')
  }
  const report: BuildReport = { ok: errors.length === 0, full, changes: display, outputs: outputPaths, errors, duration, sent }
  p.observe({ type: 'build-ended', result: report.ok ? 'ok' : 'failed', ms: elapsed })
  p.sources.answered() // every change it carried is answered: the next save follows a pause
  enter(p, 'delivered')
  return report
}

async function callBuilder (p: PipelineParts, ctx: BuildContext): Promise<{ outcome: BuildOutcome, errors: BuildErrorInfo[] }> {
  const { builder } = p.options
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

/** What a build wrote, once delivered; nothing to wait for where no output directory is watched. */
async function settleOutputs (p: PipelineParts): Promise<FileChange[]> {
  if (p.options.root === null) return []
  const written = await p.outputs.settle()
  p.observe({ type: 'outputs-settled' })
  return written
}

/**
 * The changes whose content differs. Many are answered at the first that needs a reload (a
 * checkout: its first page): the message is then "reload everything" whatever the rest holds,
 * and they all count. Reading 2,000 files first cost ~130 ms of every burst's tail.
 */
export async function contentChanges (p: PipelineParts, changes: FileChange[]): Promise<FileChange[]> {
  const isEnough = changes.length > MAX_PATHS ? (soFar: readonly FileChange[]) => messageFor(soFar, p.options)?.type === 'reload' : undefined
  const { changed, isPartial } = await p.hashes.changed(changes, isEnough)
  return isPartial ? changes : changed
}

/** The one message of a successful build, sent after its writes. */
async function deliver (p: PipelineParts, outcome: BuildOutcome): Promise<{ sent: BuildReport['sent'], paths: string[] }> {
  const { options, state } = p
  const asked = outcome.reload ?? 'auto'
  // Without a root, nothing tells what a build that names no outputs wrote (the app serves it,
  // from wherever it is): 'auto' would find nothing changed, and the page would never show it.
  const mode = asked === 'auto' && outcome.outputs === undefined && options.root === null ? 'page' : asked
  // The builder did not say what it wrote: its own output events tell, once they go quiet.
  const written = outcome.outputs === undefined
    ? (mode === 'auto' ? await settleOutputs(p) : [])
    : outcome.outputs.filter(path => !p.isIgnoredOutput(path)).map(path => ({ path, type: 'update' as const }))
  const changed = await contentChanges(p, written)
  const sent = send(p, buildMessage({ mode, changed, mustReload: state.mustReload, isErrorShowing: state.isErrorShowing }, options))
  state.isErrorShowing = false
  state.mustReload = false
  // Whatever else the build wrote arrives now; it is this build's, so it is absorbed.
  if (outcome.outputs !== undefined || mode !== 'auto') await p.hashes.changed(await settleOutputs(p))
  return { sent, paths: changed.map(change => urlPath(change.path, options)) }
}

/** Broadcasts a message of the running build. */
function send (p: PipelineParts, message: BroadcastMessage | null): BuildReport['sent'] {
  if (message === null) return 'none'
  p.hub.broadcast(message)
  p.observe({ type: 'sent', message: message.type, answers: 'build' })
  return message.type as BuildReport['sent']
}

async function callHook<A> (log: FastifyBaseLogger, name: string, hook: ((arg: A) => unknown) | null, arg: A): Promise<void> {
  try {
    await hook?.(arg)
  } catch (err) {
    log.error({ err }, `${name} failed`)
  }
}

export function closedReport (): BuildReport {
  return { ok: false, full: false, changes: [], outputs: [], errors: [{ message: 'the server closed' }], duration: 0, sent: 'none' }
}
