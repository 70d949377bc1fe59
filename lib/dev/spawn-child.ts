// A generation's process (generations.ts): the app's child (child.ts) forked, and its messages
// queued until the supervisor asks for the next one. The command's `dev` forks the first one
// before it loads the supervisor (cli/early-child.ts), which takes it over.
import type { ChildProcess } from 'node:child_process'
import * as nodeModule from 'node:module'
import { fileURLToPath } from 'node:url'
import { builtFile } from '../built.js'
import { signalGroup } from '../builders/process-group.js'
import type { AppLogger, ChildMessage, ChildSettings, SupervisorMessage } from './messages.js'
import type { SchemaEntries } from './schema-cache.js'

const CHILD = fileURLToPath(builtFile('dev/child.js'))
/** Where Node has no module hooks in the loading thread, the first version reads the ES modules it loaded from the loader's own cache (child.ts). */
const READS_LOADER = 'registerHooks' in nodeModule ? [] : ['--expose-internals']

/** A generation's process; `messages`: those it sent that `next()` has not taken yet. */
export interface Child {
  readonly process: ChildProcess
  /** It boots once it stands by, without being asked (ChildSettings). */
  readonly bootsAtOnce: boolean
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
  /** It boots once it stands by, without being asked (the first version's: generations.ts); else when asked. */
  readonly bootsAtOnce?: boolean
}

/** A child for the app at `entry`, sent the schemas' code ahead when there is any. */
export function spawnChild ({ entry, execArgv, logger, schemas, bootsAtOnce = false }: ChildOptions): Child {
  // Loaded here, not imported: the command's entry bundles this module, and child_process takes
  // ~3 ms to load on Node 24, which --help need not spend.
  const { fork } = process.getBuiltinModule('node:child_process')
  // Its own process group: whatever the app starts goes with it. stdout and stderr are the
  // supervisor's own, so every line of the app's logs reaches the terminal, across swaps too.
  const child = fork(CHILD, [entry, JSON.stringify({ logger, bootsAtOnce } satisfies ChildSettings)], {
    execArgv: [...(bootsAtOnce ? READS_LOADER : []), ...execArgv],
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
    bootsAtOnce,
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

/** A child forked before the generations that will run it were made, with the options they are expected to have. */
export interface EarlyChild {
  /** The child, once, to generations made with the options it was forked with; null to any other, and it is ended. */
  take (options: ChildOptions): Child | null
  /** Ends the child unless it was taken. */
  end (): void
}

/** The first version's child, forked before the generations that run it (which take it) are made: it boots at once. */
export function forkEarly (options: ChildOptions): EarlyChild {
  let child: Child | null = spawnChild({ ...options, bootsAtOnce: true })
  const forked = sameProcess(options)
  const end = (): void => {
    signalGroup(child?.process.pid, 'SIGKILL') // what its boot started goes with it, as a generation's does
    child = null
  }
  return {
    take (wanted) {
      if (sameProcess(wanted) !== forked) end()
      const taken = child
      child = null
      return taken
    },
    end
  }
}

/** What makes two children the same process: the schemas sent ahead only warm it. */
function sameProcess ({ entry, execArgv, logger }: ChildOptions): string {
  return JSON.stringify([entry, execArgv, logger])
}
