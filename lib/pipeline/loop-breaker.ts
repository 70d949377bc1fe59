import type { FastifyBaseLogger } from 'fastify'
import type { FileChange } from '../../types/index.js'
import { attribute, decide, isWrittenOutside, judge, SUSPECT_AFTER, type BuildWindow, type PathRecord, type Verdict } from './loop-evidence.js'
import { transition, type Transitions } from './machine.js'
import type { Files } from '../world.js'

/** A builder that rewrites a watched source on every build is stopped within this many builds. */
export const LOOP_LIMIT = SUSPECT_AFTER + 1
/**
 * Builds are held at least this long (ms), or twice the last build, to see whether anything but
 * the builder writes a suspect file: a person saving during every build saves again meanwhile.
 */
export const OBSERVE_MS = 2000
export const OBSERVE_MAX_MS = 60_000
/** Changes of one batch that are looked at (a stat each); the rest go with their verdict. */
export const MAX_JUDGED = 64
/** Builds remembered: a watcher that reports late (polling) still finds the build that wrote. */
const WINDOWS = 4
/** Suspects up to this size (bytes) are hashed; a larger one counts as changed whenever rewritten. */
const HASH_MAX_BYTES = 64 * 1024

/**
 * Whether builds are held to see who writes the suspects: free (not held), pending (suspects
 * found during a build: held once it ends), holding (a timer runs; at its end the suspects are
 * observed and the build that tells is asked for). A build that starts anyway, a build asked for
 * by hand and close end a hold; pending lasts only while a build runs, so no build starts in it.
 */
export type HoldPhase = 'free' | 'pending' | 'holding'
export type HoldEvent = 'suspect' | 'hold' | 'release' | 'buildStarted' | 'reset' | 'close'

export const HOLD_PHASES: Transitions<HoldPhase, HoldEvent> = {
  free: { suspect: 'pending', buildStarted: 'free', reset: 'free', close: 'free' },
  pending: { suspect: 'pending', hold: 'holding', reset: 'free', close: 'free' },
  holding: { suspect: 'holding', release: 'free', buildStarted: 'free', reset: 'free', close: 'free' }
}

export interface LoopBreakerOptions {
  log: FastifyBaseLogger
  /** How a path is named in the log. */
  display: (path: string) => string
  /** The hold ended: ask for a build of what is queued. */
  onRelease: () => void
  /** The wall clock (ms since the epoch), which mtimes share. */
  now: () => number
  files: Pick<Files, 'mtime' | 'hashNow'>
  /** Runs `fn` after `ms`; returns a cancel function. */
  later: (fn: () => void, ms: number) => () => void
}

export interface LoopBreaker {
  buildStarted (): void
  builderDone (): void
  buildEnded (): void
  /** Source changes as the watcher reports them: a delete during a build is judged by this time. */
  notePush (changes: readonly FileChange[]): void
  /** A quiet batch of source changes: true when it starts a build. Either way, queue all of them. */
  admit (changes: readonly FileChange[]): boolean
  /** Whether writes of the builder into its sources have stopped starting builds. */
  readonly paused: boolean
  /** A build asked for by hand: forget every suspicion. */
  reset (): void
  close (): void
}

/**
 * Stops a builder that writes into its own sources, and only that. Each source change is
 * judged by loop-evidence.ts; when paths were rewritten during SUSPECT_AFTER builds in a row,
 * the next build is held while nothing builds: a write from anyone then clears them and builds
 * at once; if none comes, the build runs, and if it rewrites them again, builds of those paths
 * pause with a warning naming them. Nothing is dropped: held changes stay queued and go with the
 * next build that anything else starts (or `fastify.liveReload.build()`).
 */
export function createLoopBreaker (options: LoopBreakerOptions): LoopBreaker {
  const { log, display, onRelease, now, files, later } = options
  const windows: BuildWindow[] = []
  const records = new Map<string, PathRecord>()
  const pushedAt = new Map<string, number>()
  let builds = 0
  /** Builds held to see who writes the suspects: its phase, and the timer that ends the hold. */
  const observation: { phase: HoldPhase, cancel: (() => void) | null } = { phase: 'free', cancel: null }
  const enter = (event: HoldEvent): void => { observation.phase = transition('loop breaker', HOLD_PHASES, observation.phase, event) }

  const isBuilding = (): boolean => windows.at(-1)?.ended === null
  const isPaused = (): boolean => [...records.values()].some(record => record.phase === 'convicted')

  function observe (): void {
    const wasFree = observation.phase === 'free'
    enter('suspect')
    if (wasFree && !isBuilding()) startObserving()
  }

  /** Holds builds for a while, then marks the suspects observed and asks for the build that tells. */
  function startObserving (): void {
    enter('hold')
    const ms = holdMs(windows.at(-1))
    log.debug({ ms, paths: suspects(records).map(display) }, 'sources rewritten build after build: holding builds to see who writes them')
    observation.cancel = later(() => {
      enter('release')
      observation.cancel = null
      readHold(records, windows, files)
      onRelease()
    }, ms)
  }

  function stopObserving (event: 'buildStarted' | 'reset' | 'close'): void {
    observation.cancel?.()
    observation.cancel = null
    enter(event)
  }

  return {
    buildStarted () {
      stopObserving('buildStarted') // a build runs anyway: it carries what was held
      const wasPaused = isPaused()
      windows.push({ index: ++builds, start: now(), builderDone: null, ended: null })
      if (windows.length > WINDOWS) windows.shift()
      forget(windows[0].start, builds, pushedAt, records)
      if (wasPaused && !isPaused()) log.info('builds resumed: the builder no longer rewrites its sources')
    },
    builderDone: () => mark(windows, { builderDone: now() }),
    buildEnded () {
      mark(windows, { ended: now() })
      if (observation.phase === 'pending') startObserving()
    },
    notePush (changes) {
      if (!isBuilding()) return // a push time only matters inside a build
      const at = now()
      for (const change of changes) pushedAt.set(change.path, at)
    },
    admit (changes) {
      if (windows.length === 0) return true // no build yet: nothing can be the builder's
      const wasPaused = isPaused()
      const { verdicts, convicted, streak } = judgeAll(changes, { files, windows, records, pushedAt })
      for (const change of changes) pushedAt.delete(change.path)
      if (convicted.length > 0) warnPaused(log, convicted.map(display), streak)
      if (wasPaused && !isPaused()) log.info('builds resumed: a paused source was written from outside a build')
      const decision = decide(verdicts)
      if (decision === 'observe') observe()
      return decision === 'build'
    },
    get paused () { return isPaused() },
    reset () {
      stopObserving('reset')
      if (isPaused()) log.info('builds resumed')
      records.clear()
    },
    close: () => stopObserving('close')
  }
}

/**
 * A hold's result, on the disk: a suspect written while builds were held was written by someone
 * else, whether or not the watcher's report of it is in yet (steady saves under load can stay one
 * open batch for seconds, and the next one's mtime hides it), and is no suspect; the others are
 * observed.
 */
function readHold (records: Map<string, PathRecord>, windows: readonly BuildWindow[], files: Pick<Files, 'mtime'>): void {
  for (const path of suspects(records)) {
    if (isWrittenOutside(files.mtime(path), windows)) records.delete(path)
    else records.set(path, { ...records.get(path)!, phase: 'observed' })
  }
}

/**
 * Judges each change (the first MAX_JUDGED), updating `records`: the verdicts, the paths
 * convicted, and the longest streak among them.
 */
function judgeAll (changes: readonly FileChange[], known: { files: Pick<Files, 'mtime' | 'hashNow'>, windows: readonly BuildWindow[], records: Map<string, PathRecord>, pushedAt: ReadonlyMap<string, number> }): { verdicts: Verdict[], convicted: string[], streak: number } {
  const { files, windows, records, pushedAt } = known
  const verdicts: Verdict[] = []
  const convicted: string[] = []
  let streak = 0
  for (const change of changes.slice(0, MAX_JUDGED)) {
    const mtimeMs = change.type === 'delete' ? null : files.mtime(change.path)
    const build = attribute({ mtimeMs, pushedAt: pushedAt.get(change.path) ?? null }, windows)
    const fingerprint = build === null || change.type === 'delete' ? null : (files.hashNow(change.path, HASH_MAX_BYTES) ?? null)
    const { record, verdict } = judge(records.get(change.path), build, fingerprint)
    if (record === undefined) records.delete(change.path)
    else records.set(change.path, record)
    verdicts.push(verdict)
    if (verdict === 'convicted') {
      convicted.push(change.path)
      streak = Math.max(streak, record?.streak ?? 0)
    }
  }
  return { verdicts, convicted, streak }
}

function warnPaused (log: FastifyBaseLogger, names: readonly string[], streak: number): void {
  const list = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ')
  log.warn({ paths: names, builds: streak }, `builds paused: the builder rewrote ${list} in each of its last ${streak} builds, ` +
    'and nothing else wrote them while builds were held. Those writes no longer start builds; they go with the next build ' +
    'that another change starts. Write the builder\'s output outside the watched sources, or add it to `ignore`; ' +
    'fastify.liveReload.build() resumes.')
}

/** Builds are held twice as long as the last build took, within OBSERVE_MS and OBSERVE_MAX_MS. */
function holdMs (last: BuildWindow | undefined): number {
  const cycle = last?.ended != null ? last.ended - last.start : 0
  return Math.min(OBSERVE_MAX_MS, Math.max(OBSERVE_MS, 2 * cycle))
}

/** The paths rewritten SUSPECT_AFTER builds in a row and not observed yet. */
function suspects (records: ReadonlyMap<string, PathRecord>): string[] {
  return [...records].filter(([, record]) => record.phase === 'watching' && record.streak >= SUSPECT_AFTER).map(([path]) => path)
}

/** At the start of build `builds`, what no longer matters: pushes from before the oldest build remembered, paths the last two builds did not write. */
function forget (oldestStart: number, builds: number, pushedAt: Map<string, number>, records: Map<string, PathRecord>): void {
  // Reports never admitted (a file created and deleted within the quiet window) go with their build.
  for (const [path, at] of pushedAt) if (at < oldestStart) pushedAt.delete(path)
  // A path the last two builds did not write is no longer rewritten build after build.
  for (const [path, record] of records) if (record.lastBuild < builds - 2) records.delete(path)
}

/** Completes the latest build's window. */
function mark (windows: BuildWindow[], patch: Partial<BuildWindow>): void {
  const last = windows.at(-1)
  if (last !== undefined) windows[windows.length - 1] = { ...last, ...patch }
}
