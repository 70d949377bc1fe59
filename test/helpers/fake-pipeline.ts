import type { BroadcastMessage, BuildContext, BuildOutcome, FileChange, LiveReloadOptions } from '../../types/index.js'
import { resolveOptions } from '../../lib/options.js'
import type { PipelineEvent } from '../../lib/pipeline/events.js'
import { createPipeline } from '../../lib/pipeline/pipeline.js'
import { fakeWorld } from './fake-world.js'
import { collectingLogger } from './log.js'

export const SRC = '/project/src'
export const DIST = '/project/dist'
/** The files the project has at the start: a save writes one of them in place. */
export const PROJECT = ['a.md', 'b.md', 'c.md'].map(name => `${SRC}/${name}`).concat(['index.html', 'about.html', 'site.css'].map(name => `${DIST}/${name}`))

/** A build the test holds: it ends when the test says, with what the test says. */
export interface HeldBuild {
  readonly ctx: BuildContext
  readonly startedAt: number
  /** Whether the test ended it. */
  readonly isDone: boolean
  finish (outcome?: BuildOutcome): Promise<void>
  fail (err: Error): Promise<void>
}

/**
 * The whole pipeline on a fake clock: two coalescers, the build queue, the loop breaker, the
 * builder (held by the test), the hub (a list of messages). The watcher is the test: `write`
 * is what the activity sees, `deliver` a batch of the watcher's.
 */
export function fakePipeline (extra: LiveReloadOptions & { hasBuilder?: boolean } = {}) {
  const { hasBuilder = true, ...rest } = extra
  const fake = fakeWorld()
  for (const path of PROJECT) fake.write(path, 1, 'x')
  const sent: Array<BroadcastMessage & { at: number }> = []
  const events: PipelineEvent[] = []
  const builds: HeldBuild[] = []
  const { log, lines } = collectingLogger()
  const builder = async (ctx: BuildContext): Promise<BuildOutcome> => await new Promise<BuildOutcome>((resolve, reject) => {
    ctx.signal.addEventListener('abort', () => resolve({})) // it honours its signal: stops at once
    const build = {
      ctx,
      startedAt: fake.now,
      isDone: false,
      finish: async (outcome?: BuildOutcome) => { build.isDone = true; resolve(outcome ?? {}); await settle() },
      fail: async (err: Error) => { build.isDone = true; reject(err); await settle() }
    }
    builds.push(build)
  })
  const options = resolveOptions({ root: DIST, watch: SRC, debounce: 75, ...(hasBuilder ? { builder, buildOnStart: false } : {}), ...rest })
  const pipeline = createPipeline(options, { broadcast: message => sent.push({ ...message, at: fake.now }) }, log, event => events.push(event), fake.world)
  const sources = pipeline.sourceActivity()
  const outputs = pipeline.outputActivity()
  sources.onReady()
  outputs.onReady()

  /** Runs what is due: deferred decisions, timers due now, and the promises they resolve. */
  async function settle (): Promise<void> {
    for (let i = 0; i < 20; i++) {
      fake.turn()
      await new Promise(resolve => setImmediate(resolve)) // every pending promise continuation
    }
  }
  /** Lets `ms` pass, timer by timer, everything due on the way run in order. */
  async function advance (ms: number): Promise<void> {
    const end = fake.now + ms
    await settle()
    for (let i = 0; i < 100_000; i++) {
      const next = Math.max(fake.now, Math.min(fake.nextTimerAt(), end))
      fake.advance(next - fake.now)
      await settle()
      if (next >= end) return
    }
    throw new Error('the pipeline did not settle in 100,000 timers')
  }
  /** Lets fake time pass a millisecond at a time until `isDone()`, or `maxMs` have passed. */
  async function advanceUntil (isDone: () => boolean, maxMs: number): Promise<void> {
    for (let ms = 0; ms < maxMs && !isDone(); ms++) await advance(1)
  }
  const isRunning = (build: HeldBuild): boolean => !build.isDone && !build.ctx.signal.aborted
  const feedOf = (path: string): typeof sources => path.startsWith(DIST) ? outputs : sources
  /** A write the activity sees at once. */
  const write = (path: string, content = `${path} at ${fake.now}`): void => {
    const isNew = fake.world.stat(path) === undefined
    fake.write(path, content.length, content)
    feedOf(path).onActivity(path, isNew ? 'rename' : 'change')
  }
  /** A batch of the watcher's, with what the disk says of each path. */
  const deliver = async (...paths: string[]): Promise<void> => {
    const changes: FileChange[] = paths.map(path => ({ path, type: fake.world.stat(path) === undefined ? 'delete' : 'update' }))
    if (paths[0].startsWith(DIST)) pipeline.pushOutput(changes)
    else pipeline.pushSource(changes)
    await settle()
  }
  /** A save: written, seen, delivered by the watcher's first batch. */
  const save = async (path: string, content?: string): Promise<void> => {
    write(path, content)
    await deliver(path)
  }
  /** Closes the pipeline, time passing until it has (a builder that ignores its abort is waited for, up to a grace). */
  const close = async (): Promise<void> => {
    const state = { isClosed: false }
    const closing = pipeline.close().then(() => { state.isClosed = true })
    await advanceUntil(() => state.isClosed, 3000)
    await closing
  }
  return {
    fake,
    close,
    pipeline,
    sent,
    types: () => sent.map(message => message.type),
    events,
    builds,
    lines,
    settle,
    advance,
    advanceUntil,
    write,
    deliver,
    save,
    /** Whether the builder is running `build` (one aborted stopped at once). */
    isRunning,
    /** The build the builder is running, if any. */
    running: () => builds.find(isRunning),
    /** The files each build carried, by name. */
    built: () => builds.map(build => build.ctx.changes.map(change => change.path.slice(SRC.length + 1)).sort())
  }
}
