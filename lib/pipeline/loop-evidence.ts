// What the loop breaker concludes from one source change: pure functions, tested with tables.
// A loop is the builder's own writes landing in its watched sources. Timing alone cannot tell
// them from a person saving during long builds, so the evidence is: which build wrote the file
// (its mtime inside the build), the same path in build after build, whether its bytes changed,
// and one experiment: while builds are held, the builder writes nothing, a person still does.

/** Builds in a row that rewrote a path before builds are held to see who writes it. */
export const SUSPECT_AFTER = 9
/** The kernel stamps mtimes from a clock that lags by up to a tick (ms): a window's margin. */
export const MTIME_SLACK_MS = 15

/** One build, as the breaker remembers it (ms on the wall clock, which mtimes share). */
export interface BuildWindow {
  readonly index: number
  /** Before the onBuildStart hook. */
  readonly start: number
  /** When the builder's promise settled; null while it runs. */
  readonly builderDone: number | null
  /** When the build's message was sent and its own output events were in; null until then. */
  readonly ended: number | null
}

/** What is known about one changed source file. */
export interface ChangeFacts {
  /** Its mtime; null when it is gone, or when the file system keeps whole seconds only. */
  readonly mtimeMs: number | null
  /** When the watcher reported it, if that was during a build. */
  readonly pushedAt: number | null
}

/**
 * The build that wrote the file, or null for a write from outside every build. The mtime says
 * when the file was written, however late the watcher reports it (polling: up to an interval).
 * Without one (a delete), the change counts as the build's when it was reported between the
 * build's start and its end.
 */
export function attribute (facts: ChangeFacts, windows: readonly BuildWindow[]): number | null {
  for (let i = windows.length - 1; i >= 0; i--) {
    const w = windows[i]
    if (facts.mtimeMs !== null) {
      if (facts.mtimeMs >= w.start - MTIME_SLACK_MS && facts.mtimeMs <= (w.builderDone ?? Infinity) + MTIME_SLACK_MS) return w.index
    } else if (facts.pushedAt !== null && facts.pushedAt >= w.start && facts.pushedAt <= (w.ended ?? Infinity)) {
      return w.index
    }
  }
  return null
}

/** Whether an mtime proves a write from outside every build remembered (null proves nothing). */
export function isWrittenOutside (mtimeMs: number | null, windows: readonly BuildWindow[]): boolean {
  return mtimeMs !== null && attribute({ mtimeMs, pushedAt: null }, windows) === null
}

/** A path some build wrote: how many builds in a row, with which bytes, and the breaker's view. */
export interface PathRecord {
  readonly lastBuild: number
  readonly streak: number
  /** A hash of its content after the last build that wrote it; null when unknown or gone. */
  readonly fingerprint: string | null
  /**
   * watching: counting. observed: rewritten SUSPECT_AFTER builds in a row, then left alone by
   * everyone while builds were held. convicted: rewritten again by the next build: a loop.
   */
  readonly phase: 'watching' | 'observed' | 'convicted'
}

/**
 * external: written outside every build (a person, a tool): builds, and clears the record.
 * free: written during a build, no loop suspected: builds.
 * same: rewritten with the bytes it had after the previous build: held, nothing to build.
 * suspect: rewritten SUSPECT_AFTER builds in a row: builds are held to see who writes it.
 * convicted: observed, then rewritten by the next build: builds of it pause, with a warning.
 * held: a convicted path rewritten again: held.
 */
export type Verdict = 'external' | 'free' | 'same' | 'suspect' | 'convicted' | 'held'

/** The verdict on one change, and the path's record after it. */
export function judge (record: PathRecord | undefined, build: number | null, fingerprint: string | null): { record: PathRecord | undefined, verdict: Verdict } {
  if (build === null) return { record: undefined, verdict: 'external' }
  const isSameBuild = record?.lastBuild === build
  const isNextBuild = record?.lastBuild === build - 1
  if (record !== undefined && (isSameBuild || isNextBuild) && fingerprint !== null && fingerprint === record.fingerprint) {
    return { record: { ...record, lastBuild: build }, verdict: 'same' }
  }
  const streak = record === undefined ? 1 : isSameBuild ? record.streak : isNextBuild ? record.streak + 1 : 1
  const phase = record !== undefined && (isSameBuild || isNextBuild) ? record.phase : 'watching'
  const next = { lastBuild: build, streak, fingerprint, phase }
  if (phase === 'convicted') return { record: next, verdict: 'held' }
  if (phase === 'observed' && isNextBuild) return { record: { ...next, phase: 'convicted' }, verdict: 'convicted' }
  return { record: next, verdict: streak >= SUSPECT_AFTER ? 'suspect' : 'free' }
}

/** What a batch of changes does: start a build, hold builds to observe, or wait. */
export function decide (verdicts: readonly Verdict[]): 'build' | 'observe' | 'hold' {
  if (verdicts.some(verdict => verdict === 'external' || verdict === 'free')) return 'build'
  return verdicts.includes('suspect') ? 'observe' : 'hold'
}
