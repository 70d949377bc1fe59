// The processes that run the user's app (dev.ts): each version of the code boots in a child of its
// own, from a standby that has imported Fastify ahead; the supervisor forwards to the current one.
import type { ChildProcess } from 'node:child_process'
import { on, once } from 'node:events'
import type { BuildErrorInfo } from '../../types/index.js'
import { signalGroup } from '../builders/process-group.js'
import type { AppLogger, ChildMessage, Kept, SupervisorMessage } from './messages.js'
import { contentHash } from './content-hash.js'
import type { SchemaEntries } from './schema-cache.js'
import { spawnChild, type Child, type EarlyChild } from './spawn-child.js'
/** A generation being retired gets this long (ms) to finish its requests after SIGTERM, then SIGKILL. */
export const RETIRE_GRACE_MS = 5000
/** How long (ms) the generation serving gets to save what its app keeps for the one booting: past it, the new one starts without. */
export const KEEP_SAVE_MS = 5000

/** A version of the app that listens. */
export interface Generation {
  /** Where it listens: `http://127.0.0.1:<port>`. */
  readonly url: URL
  /** The files it loaded: a change to one of these needs a new generation. */
  readonly files: ReadonlySet<string>
  /** The content of its own ES modules as it loaded them (sha1, base64), by file path. */
  readonly hashes: ReadonlyMap<string, string>
  /** The files of the app's directory it wrote as it booted, with their content once it listened (null: gone). */
  readonly written: ReadonlyMap<string, string | null>
}

export type Boot =
  | { readonly kind: 'listening', readonly generation: Generation }
  | { readonly kind: 'failed', readonly error: BuildErrorInfo, readonly files: ReadonlySet<string> }
  | { readonly kind: 'aborted' }

export interface Generations {
  /** Boots the code as it is now in a new generation; the current one keeps serving meanwhile. */
  boot (signal: AbortSignal): Promise<Boot>
  /** Makes `generation` the one requests go to, and retires the one before it. */
  promote (generation: Generation): void
  /** Retires `generation`, which listened but is not to serve. */
  discard (generation: Generation): void
  /**
   * A request forwarded to the generation at `url`; what it returns is called once its response is
   * over. A generation retired is closed once the requests sent to it are over (or the grace is).
   */
  hold (url: URL): () => void
  /** The generation requests go to; null before the first was promoted, or once it stopped by itself. */
  readonly current: Generation | null
  /** The generation promoted last, serving or stopped: the code that ran last (null before any). */
  readonly latest: Generation | null
  /**
   * Whether `file` holds what a boot wrote itself: one under way said it writes it, or the boot
   * that ended last (listening or failed) wrote it and it has not changed since.
   */
  isOwnWrite (file: string): boolean
  /**
   * A request waits for a version (none serves yet, or the one serving stopped): the standby for
   * the boot after the one under way is forked only once every request that waited for it is over
   * (what this returns is called then), so that a Node starting beside them does not slow the
   * answers they wait for. A request still open when the next boot starts (a stream, a WebSocket)
   * holds back nothing after that: that boot forks its own child, as it would without a standby.
   */
  waiting (): () => void
  /** Every generation and the standby ended: no child process left. */
  close (): Promise<void>
}

/** A generation's process, and the requests forwarded to it still under way. */
interface Running {
  readonly process: ChildProcess
  inFlight: number
  /** Set once retired: closes it when the last request is over. */
  drained?: () => void
}

export interface GenerationsOptions {
  /** Node flags for each child (a TypeScript loader). */
  readonly execArgv?: readonly string[]
  /** The app's logger as the flags set it, if they do. */
  readonly logger?: AppLogger | null
  /** The generation serving ended by itself (it threw, exited, was killed by someone else), with why; it is no longer `current`. */
  readonly onStopped?: (error: BuildErrorInfo) => void
  /** What the app keeps under these names did not reach the version booting, and why. */
  readonly onNotKept?: (names: readonly string[], reason: string) => void
  /** A child forked already (the command's `dev`): the first standby, when it was forked as these generations fork theirs. */
  readonly early?: EarlyChild | null
}

/** What the functions below share: the options, and the generations as they stand. */
interface State {
  /** The app's module. */
  readonly entry: string
  readonly execArgv: readonly string[]
  readonly logger: AppLogger | null
  readonly onStopped: (error: BuildErrorInfo) => void
  readonly onNotKept: (names: readonly string[], reason: string) => void
  readonly live: Map<Generation, Running>
  /** Generations that listened, then ended before they were promoted: why. */
  readonly stoppedEarly: Map<Generation, BuildErrorInfo>
  current: Generation | null
  latest: Generation | null
  isClosed: boolean
  /** The code of the schemas the last generation that listened compiled: each new child evaluates it ahead. */
  schemas: SchemaEntries
  standby: Child | null
  /** The requests that waited for the boot under way (or the last one), not over yet. */
  waiters: Set<object>
  /** The files each boot under way said it writes. */
  readonly writing: Set<Set<string>>
  /** What the boot that ended last wrote. */
  written: ReadonlyMap<string, string | null>
}

/** `entry`: the app's module. The first child boots at once, without being asked: the first boot() is its. */
export function createGenerations (entry: string, { execArgv = [], logger = null, onStopped = () => {}, onNotKept = () => {}, early = null }: GenerationsOptions = {}): Generations {
  const state: State = {
    entry,
    execArgv,
    logger,
    onStopped,
    onNotKept,
    live: new Map(),
    stoppedEarly: new Map(),
    current: null,
    latest: null,
    isClosed: false,
    schemas: {},
    standby: null,
    waiters: new Set(),
    writing: new Set(),
    written: new Map()
  }
  state.standby = early?.take(state) ?? spawnChild({ ...state, bootsAtOnce: true })
  return {
    boot: signal => boot(state, signal),
    promote: generation => { promote(state, generation) },
    discard: generation => { retire(state, generation) },
    hold: url => hold(state, url),
    get current () { return state.current },
    get latest () { return state.latest },
    isOwnWrite: file => isOwnWrite(state, file),
    waiting: () => waiting(state),
    close: () => close(state)
  }
}

async function boot (state: State, signal: AbortSignal): Promise<Boot> {
  const child = state.standby ?? spawnChild(state)
  state.standby = null
  state.waiters = new Set() // those that waited for an earlier boot hold back no standby from now on
  const onAbort = (): void => { signalGroup(child.process.pid, 'SIGKILL') }
  signal.addEventListener('abort', onAbort)
  const announced = new Set<string>()
  state.writing.add(announced)
  /** The next message but the announcements of writes, which are noted. */
  const next = async (): Promise<ChildMessage | null> => {
    let message = await child.next()
    for (; message?.type === 'writing'; message = await child.next()) announced.add(message.path)
    return message
  }
  try {
    let message = await next()
    if (message?.type === 'standby') {
      if (!child.bootsAtOnce) child.process.send({ type: 'boot' } satisfies SupervisorMessage)
      message = await next()
    }
    if (message?.type === 'keeping') {
      child.process.send({ type: 'restore', state: await saved(state, message.names, signal) } satisfies SupervisorMessage)
      message = await next()
    }
    if (signal.aborted) return { kind: 'aborted' }
    if (message?.type === 'listening' || message?.type === 'failed') state.written = new Map(Object.entries(message.written))
    if (message?.type === 'listening') {
      state.schemas = message.schemas
      const generation: Generation = { url: new URL(`http://127.0.0.1:${message.port}`), files: new Set(message.files), hashes: new Map(Object.entries(message.hashes)), written: state.written }
      state.live.set(generation, { process: child.process, inFlight: 0 })
      // 'close' comes after 'exit' and after every message the process sent: its `stopped` is in.
      child.process.once('close', () => { ended(state, generation, child) })
      return { kind: 'listening', generation }
    }
    signalGroup(child.process.pid, 'SIGKILL')
    if (message?.type === 'failed') return { kind: 'failed', error: message.error, files: new Set(message.files) }
    if (message?.type === 'stopped') return { kind: 'failed', error: message.error, files: new Set() }
    return { kind: 'failed', error: { message: `the app's process exited (${child.process.exitCode ?? child.process.signalCode}) before it listened` }, files: new Set() }
  } finally {
    state.writing.delete(announced)
    signal.removeEventListener('abort', onAbort)
    standBy(state) // the next boot's, started once this one is over and the requests that waited for it are
  }
}

/** Forks the next boot's child, unless there is one, or a request that waited for this boot is not over yet (waiting). */
function standBy (state: State): void {
  if (!state.isClosed && state.waiters.size === 0) state.standby ??= spawnChild(state)
}

function waiting (state: State): () => void {
  const { waiters } = state
  const waiter = {}
  waiters.add(waiter)
  return () => {
    if (waiters.delete(waiter) && waiters.size === 0 && waiters === state.waiters) standBy(state)
  }
}

/**
 * What the generation serving keeps, saved for one booting that keeps `names`: nothing when none
 * serves, and nothing when it does not answer within KEEP_SAVE_MS (or ends, or the boot is aborted).
 */
async function saved (state: State, names: readonly string[], signal: AbortSignal): Promise<Kept> {
  const running = state.current === null ? undefined : state.live.get(state.current)
  if (running === undefined) return {}
  const { process: serving } = running
  const ended = new AbortController()
  const onExit = (): void => { ended.abort() }
  serving.once('exit', onExit)
  try {
    serving.send({ type: 'save' } satisfies SupervisorMessage)
    for await (const [message] of on(serving, 'message', { signal: AbortSignal.any([signal, ended.signal, AbortSignal.timeout(KEEP_SAVE_MS)]) }) as AsyncIterable<[ChildMessage]>) {
      if (message.type !== 'saved') continue
      for (const [name, reason] of Object.entries(message.failures)) state.onNotKept([name], reason)
      return message.state
    }
  } catch {
    // aborted: the boot, the end of the version serving, or the time
  } finally {
    serving.off('exit', onExit)
  }
  if (!signal.aborted) state.onNotKept(names, ended.signal.aborted ? 'the version serving ended before it saved them' : `the version serving did not save them within ${KEEP_SAVE_MS} ms`)
  return {}
}

/** A generation's process ended: by its own doing unless it was retired (or all closed) first. */
function ended (state: State, generation: Generation, child: Child): void {
  if (!state.live.has(generation)) return
  state.live.delete(generation)
  signalGroup(child.process.pid, 'SIGKILL') // what it started goes with it
  const said = [...child.messages].reverse().find(message => message.type === 'stopped')
  const { exitCode, signalCode } = child.process
  const error = said?.type === 'stopped' ? said.error : { message: signalCode === null ? `the app's process exited (${exitCode}) while serving` : `the app's process was killed (${signalCode}) while serving` }
  if (generation === state.current) stopped(state, error)
  else state.stoppedEarly.set(generation, error)
}

function stopped (state: State, error: BuildErrorInfo): void {
  state.current = null
  state.onStopped(error)
}

function promote (state: State, generation: Generation): void {
  const before = state.current
  state.current = generation
  state.latest = generation
  if (before !== null) retire(state, before)
  const error = state.stoppedEarly.get(generation)
  state.stoppedEarly.delete(generation)
  if (error !== undefined) stopped(state, error) // it served for no time: as if it stopped at once
}

function retire (state: State, generation: Generation): void {
  state.stoppedEarly.delete(generation)
  const running = state.live.get(generation)
  state.live.delete(generation)
  if (running === undefined) return
  const { pid } = running.process
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), RETIRE_GRACE_MS)
  timer.unref()
  running.process.once('exit', () => { clearTimeout(timer); signalGroup(pid, 'SIGKILL') }) // what it started dies with it
  // Closed once the requests sent to it are over: a keep-alive connection it closed as idle
  // could be carrying one of them already (the proxy's write on its way), which would fail.
  const close = (): void => { signalGroup(pid, 'SIGTERM') }
  if (running.inFlight === 0) close()
  else running.drained = close
}

function hold (state: State, url: URL): () => void {
  const running = [...state.live].find(([generation]) => generation.url === url)?.[1]
  if (running === undefined) return () => {}
  running.inFlight++
  let isOver = false
  return () => {
    if (isOver) return
    isOver = true
    if (--running.inFlight === 0) running.drained?.()
  }
}

function isOwnWrite (state: State, file: string): boolean {
  for (const paths of state.writing) if (paths.has(file)) return true
  return state.written.has(file) && state.written.get(file) === contentHash(file)
}

async function close (state: State): Promise<void> {
  state.isClosed = true
  state.stoppedEarly.clear()
  const children = [...[...state.live.values()].map(running => running.process), ...(state.standby === null ? [] : [state.standby.process])]
  state.standby = null
  state.live.clear()
  state.current = null
  await Promise.all(children.map(async child => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    signalGroup(child.pid, 'SIGTERM')
    const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), RETIRE_GRACE_MS)
    await exited
    clearTimeout(timer)
    signalGroup(child.pid, 'SIGKILL')
  }))
}
