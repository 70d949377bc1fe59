// A generation's process (generations.ts): the app's child (child.ts) forked, and its messages
// queued until the supervisor asks for the next one.
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { builtFile } from '../built.js'
import type { AppLogger, ChildMessage, SupervisorMessage } from './messages.js'
import type { SchemaEntries } from './schema-cache.js'

const CHILD = fileURLToPath(builtFile('dev/child.js'))

/** A generation's process; `messages`: those it sent that `next()` has not taken yet. */
export interface Child {
  readonly process: ChildProcess
  readonly messages: ChildMessage[]
  next (): Promise<ChildMessage | null>
}

/** What a child is started with. */
export interface ChildOptions {
  /** The app's module. */
  readonly entry: string
  /** Node flags (a TypeScript loader). */
  readonly execArgv: readonly string[]
  /** The app's logger as the flags set it, if they do. */
  readonly logger: AppLogger | null
  /** The code of the schemas the last generation that listened compiled: the child evaluates it ahead. */
  readonly schemas: SchemaEntries
}

/** A child for the app at `entry`, sent the schemas' code ahead when there is any. */
export function spawnChild ({ entry, execArgv, logger, schemas }: ChildOptions): Child {
  // Its own process group: whatever the app starts goes with it. stdout and stderr are the
  // supervisor's own, so every line of the app's logs reaches the terminal, across swaps too.
  const child = fork(CHILD, logger === null ? [entry] : [entry, JSON.stringify(logger)], {
    execArgv: [...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
    serialization: 'advanced' // what an app keeps across reloads is structured-clone data (keep.ts)
  })
  const messages: ChildMessage[] = []
  let wake: (() => void) | undefined
  // 'close', not 'exit': 'exit' can come before the last messages the process sent (a loaded run
  // lost an app's `stopped`, and with it where it called process.exit); 'close' comes after them.
  let isClosed = false
  child.on('message', (message: ChildMessage) => { messages.push(message); wake?.() })
  child.once('close', () => { isClosed = true; wake?.() })
  child.on('error', () => {}) // an IPC send to a child that just died: its close tells
  if (Object.keys(schemas).length > 0) child.send({ type: 'schemas', entries: schemas } satisfies SupervisorMessage)
  return {
    process: child,
    messages,
    async next () {
      while (messages.length === 0) {
        if (isClosed) return null
        await new Promise<void>(resolve => { wake = resolve })
      }
      return messages.shift()!
    }
  }
}
