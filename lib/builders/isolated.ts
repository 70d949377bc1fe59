import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { FastifyBaseLogger } from 'fastify'
import type { BuildContext, Builder, BuildOutcome, IsolatedBuilderOptions } from '../../types/index.js'
import { builtFile } from '../built.js'
import { option, resolveDeclared, type Option } from '../option.js'
import { flagsOption, integerOption, modulePath as toModulePath } from '../validate.js'
import { decideAfter, realWorld } from '../world.js'
import { DEFAULT_BUILD_TIMEOUT_MS } from './command.js'
import { envDeclaration, timeoutOption } from './options.js'
import { KILL_GRACE_MS, killGroup, signalGroup } from './process-group.js'
import type { ChildMessage, ParentMessage } from './isolated-messages.js'

const RUNNER = fileURLToPath(builtFile('builders/isolated-child.js'))
/** The end of the child's stderr kept for the error of a crash. */
const MAX_STDERR = 8192

export const ISOLATED_OPTIONS = {
  timeout: timeoutOption('isolatedBuilder', DEFAULT_BUILD_TIMEOUT_MS),
  /** MB; undefined: V8's default. */
  maxMemory: option<number | undefined, unknown>(undefined, value => value === undefined ? undefined : integerOption('isolatedBuilder.maxMemory', value, { unit: 'MB' })),
  /** The child's Node.js flags, with the heap limit of `maxMemory`. */
  execArgv: option<string[], { maxMemory?: number }>('[]', (value, { maxMemory }) =>
    [...(flagsOption('isolatedBuilder.execArgv', value) ?? []), ...(maxMemory === undefined ? [] : [`--max-old-space-size=${maxMemory}`])]),
  env: envDeclaration('isolatedBuilder')
} satisfies Record<keyof IsolatedBuilderOptions, Option<unknown, never>>

interface Pending {
  id: number
  log: FastifyBaseLogger
  settle: (outcome: BuildOutcome) => void
}

/**
 * Runs a builder module in a child process that stays warm between builds. A crash,
 * process.exit(), an uncaught exception, an out-of-memory or a hang fails that build only; the
 * next build starts a fresh child.
 */
export function isolatedBuilder (modulePath: string | URL, options: IsolatedBuilderOptions = {}): Builder {
  const file = toModulePath('isolatedBuilder.modulePath', modulePath)
  const { timeout, execArgv, env } = resolveDeclared('isolatedBuilder', ISOLATED_OPTIONS, options)
  const state: IsolatedState = { file, execArgv, env, timeout, child: null, stderrOf: new WeakMap(), timedOut: new WeakSet(), pending: null, nextId: 0, closed: undefined }
  return {
    name: 'isolated',
    build: ctx => build(state, ctx),
    close: () => close(state)
  }
}

/** What an isolated builder's parts share: how its child starts, the child, and the build it runs. */
interface IsolatedState {
  readonly file: string
  readonly execArgv: string[]
  readonly env: NodeJS.ProcessEnv
  readonly timeout: number
  child: ChildProcess | null
  /**
   * The end of each child's own stderr: a dead child's stream may still deliver after its exit,
   * once the next child runs (an OOM report landed in the next child's, whose SIGSEGV then read
   * as running out of memory).
   */
  readonly stderrOf: WeakMap<ChildProcess, string>
  /** The children killed for a build's timeout: what their death says, whatever their stderr does. */
  readonly timedOut: WeakSet<ChildProcess>
  pending: Pending | null
  nextId: number
  closed: Promise<void> | undefined
}

function addStderr (state: IsolatedState, worker: ChildProcess, text: string): void {
  state.stderrOf.set(worker, `${state.stderrOf.get(worker) ?? ''}${text}`.slice(-MAX_STDERR))
}

function start (state: IsolatedState): ChildProcess {
  // detached: the child leads a process group, so what its builder starts dies with it.
  const started = fork(RUNNER, [state.file], { execArgv: state.execArgv, env: state.env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true })
  started.on('error', err => { state.pending?.settle({ errors: [{ message: `the builder process failed: ${err.message}` }] }) })
  started.stderr?.on('data', (chunk: Buffer) => { addStderr(state, started, chunk.toString()) })
  started.on('message', (message: ChildMessage) => {
    if (state.pending === null || message.id !== state.pending.id) return
    if (message.type === 'result') state.pending.settle(message.outcome)
    else state.pending.log[message.level](message.obj, message.msg)
  })
  started.on('exit', (code, signal) => {
    if (state.child === started) state.child = null
    killGroup(started.pid) // what the builder started and left running
    const stderr = state.stderrOf.get(started) ?? ''
    const message = state.timedOut.has(started) ? `the builder timed out after ${state.timeout} ms and was killed` : describeExit(code, signal, stderr)
    state.pending?.settle({ errors: [{ message, stack: stderr === '' ? undefined : stderr }] })
  })
  return started
}

function build (state: IsolatedState, { changes, full, signal, log }: BuildContext): Promise<BuildOutcome> {
  return new Promise<BuildOutcome>(resolve => {
    const worker = (state.child ??= start(state))
    state.stderrOf.set(worker, '') // what a death shows is this build's: an earlier one's warnings are not its cause
    const id = ++state.nextId
    let isSettled = false
    // Not a build whose answer came in time while our event loop was held up (decideAfter).
    const timer = decideAfter(realWorld, () => {
      if (isSettled) return
      addStderr(state, worker, `\n[timed out after ${state.timeout} ms]`)
      state.timedOut.add(worker)
      signalGroup(worker.pid, 'SIGKILL')
    }, state.timeout)
    const onAbort = (): void => {
      send(worker, { type: 'abort', id })
      setTimeout(() => { if (!isSettled) signalGroup(worker.pid, 'SIGKILL') }, KILL_GRACE_MS).unref()
    }
    signal.addEventListener('abort', onAbort)
    state.pending = {
      id,
      log,
      settle (outcome) {
        if (isSettled) return
        isSettled = true
        state.pending = null
        realWorld.clearTimer(timer)
        signal.removeEventListener('abort', onAbort)
        resolve(outcome)
      }
    }
    send(worker, { type: 'build', id, changes, full })
  })
}

function close (state: IsolatedState): Promise<void> {
  state.closed ??= new Promise<void>(resolve => {
    const worker = state.child
    if (worker === null) return resolve()
    const kill = setTimeout(() => signalGroup(worker.pid, 'SIGKILL'), KILL_GRACE_MS).unref()
    worker.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    send(worker, { type: 'close' })
  })
  return state.closed
}

function send (child: ChildProcess, message: ParentMessage): void {
  child.send(message)
}

/** What a dead child says about how it died. */
function describeExit (code: number | null, signal: NodeJS.Signals | null, stderr: string): string {
  if (/heap out of memory|Allocation failed/i.test(stderr)) return 'the builder ran out of memory (raise maxMemory?)'
  if (signal !== null) return `the builder process was killed by ${signal}`
  return `the builder process exited with code ${String(code)} before the build finished`
}
