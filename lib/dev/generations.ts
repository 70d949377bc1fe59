// The processes that run the user's app (dev.ts): each version of the code boots in a child of its
// own, from a standby that has imported Fastify ahead; the supervisor forwards to the current one.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { BuildErrorInfo } from '../../types/index.js'
import { builtFile } from '../built.js'
import { signalGroup } from '../builders/process-group.js'
import type { ChildMessage, SupervisorMessage } from './messages.js'
import type { SchemaEntries } from './schema-cache.js'

const CHILD = fileURLToPath(builtFile('dev/child.js'))
/** A generation being retired gets this long (ms) to finish its requests after SIGTERM, then SIGKILL. */
export const RETIRE_GRACE_MS = 5000

/** A version of the app that listens. */
export interface Generation {
  readonly port: number
  /** The files it loaded: a change to one of these needs a new generation. */
  readonly files: ReadonlySet<string>
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
  readonly current: Generation | null
  /** Every generation and the standby ended: no child process left. */
  close (): Promise<void>
}

interface Child {
  readonly process: ChildProcess
  readonly messages: ChildMessage[]
  next (): Promise<ChildMessage | null>
}

/** `entry`: the app's module; `execArgv`: Node flags for each child (a TypeScript loader). */
export function createGenerations (entry: string, execArgv: readonly string[]): Generations {
  const live = new Map<Generation, ChildProcess>()
  let current: Generation | null = null
  let isClosed = false
  /** The code of the schemas the last generation that listened compiled: each new child evaluates it ahead. */
  let schemas: SchemaEntries = {}
  let standby: Child | null = spawnChild()

  function spawnChild (): Child {
    // Its own process group: whatever the app starts goes with it. stdout and stderr are the
    // supervisor's own, so every line of the app's logs reaches the terminal, across swaps too.
    const child = fork(CHILD, [entry], { execArgv: [...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true })
    const messages: ChildMessage[] = []
    let wake: (() => void) | undefined
    child.on('message', (message: ChildMessage) => { messages.push(message); wake?.() })
    child.once('exit', () => wake?.())
    child.on('error', () => {}) // an IPC send to a child that just died: its exit tells
    if (Object.keys(schemas).length > 0) child.send({ type: 'schemas', entries: schemas } satisfies SupervisorMessage)
    return {
      process: child,
      messages,
      async next () {
        while (messages.length === 0) {
          if (child.exitCode !== null || child.signalCode !== null) return null
          await new Promise<void>(resolve => { wake = resolve })
        }
        return messages.shift()!
      }
    }
  }

  async function boot (signal: AbortSignal): Promise<Boot> {
    const child = standby ?? spawnChild()
    standby = null
    const onAbort = (): void => { signalGroup(child.process.pid, 'SIGKILL') }
    signal.addEventListener('abort', onAbort)
    try {
      let message = await child.next()
      if (message?.type === 'standby') {
        child.process.send({ type: 'boot' } satisfies SupervisorMessage)
        message = await child.next()
      }
      if (signal.aborted) return { kind: 'aborted' }
      if (message?.type === 'listening') {
        schemas = message.schemas
        const generation: Generation = { port: message.port, files: new Set(message.files) }
        live.set(generation, child.process)
        return { kind: 'listening', generation }
      }
      signalGroup(child.process.pid, 'SIGKILL')
      if (message?.type === 'failed') return { kind: 'failed', error: message.error, files: new Set(message.files) }
      return { kind: 'failed', error: { message: `the app's process exited (${child.process.exitCode ?? child.process.signalCode}) before it listened` }, files: new Set() }
    } finally {
      signal.removeEventListener('abort', onAbort)
      if (!isClosed) standby ??= spawnChild() // the next boot's, started once this one is over
    }
  }

  function retire (generation: Generation): void {
    const child = live.get(generation)
    live.delete(generation)
    if (child === undefined || !signalGroup(child.pid, 'SIGTERM')) return
    const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), RETIRE_GRACE_MS)
    timer.unref()
    child.once('exit', () => { clearTimeout(timer); signalGroup(child.pid, 'SIGKILL') }) // what it started dies with it
  }

  return {
    boot,
    promote (generation) {
      const before = current
      current = generation
      if (before !== null) retire(before)
    },
    get current () { return current },
    async close () {
      isClosed = true
      const children = [...live.values(), ...(standby === null ? [] : [standby.process])]
      standby = null
      live.clear()
      current = null
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
  }
}
