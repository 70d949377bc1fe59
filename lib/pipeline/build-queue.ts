import type { FileChange } from '../../types/index.js'
import { mergeChanges } from './coalesce-rules.js'
import { transition, type Transitions } from './machine.js'

export interface BuildJob {
  full: boolean
  changes: FileChange[]
}

/** Runs one build. Null: it was superseded, and runs again with its changes and the newer ones. */
export type RunBuild<R> = (job: BuildJob) => Promise<R | null>

export interface BuildQueue<R> {
  /** Adds changes to the next build, keeping each path's net effect. Starts nothing. */
  add (changes: readonly FileChange[]): void
  /**
   * A build with every change added so far, after the running one. Requests made while a build
   * runs share one follow-up build; each resolves with the report of the build that served it.
   */
  request (full: boolean): Promise<R>
  /** Resolves once no build runs. */
  idle (): Promise<void>
}

/**
 * The queue's phases: idle, or running (builds one after another while requests wait). A
 * request while running joins the next build; a superseded build runs again with the newer
 * changes; served: a build's report went to its requests; drained: none wait (or the signal
 * aborted, and those waiting were told it closed).
 */
export type QueuePhase = 'idle' | 'running'
export type QueueEvent = 'request' | 'superseded' | 'served' | 'drained'

export const QUEUE_PHASES: Transitions<QueuePhase, QueueEvent> = {
  idle: { request: 'running' },
  running: { request: 'running', superseded: 'running', served: 'running', drained: 'idle' }
}

interface Request<R> {
  full: boolean
  resolve: (report: R) => void
}

/**
 * At most one build at a time; the requests made meanwhile are served by one build. Once
 * `signal` aborts no build starts, and requests not yet served resolve with `closed()`.
 */
export function createBuildQueue<R> (run: RunBuild<R>, closed: () => R, signal: AbortSignal): BuildQueue<R> {
  const queued = new Map<string, FileChange['type']>()
  const requests: Array<Request<R>> = []
  let phase: QueuePhase = 'idle'
  let running: Promise<void> = Promise.resolve()
  const enter = (event: QueueEvent): void => { phase = transition('build queue', QUEUE_PHASES, phase, event) }

  function take (): FileChange[] {
    const changes = [...queued].map(([path, type]) => ({ path, type }))
    queued.clear()
    return changes
  }

  async function drain (): Promise<void> {
    while (requests.length > 0 && !signal.aborted) {
      const batch = requests.splice(0)
      const changes = take()
      const report = await run({ full: batch.some(request => request.full), changes })
      if (report === null) { // superseded: its changes come first, then whatever arrived meanwhile
        const newer = take()
        mergeChanges(queued, [...changes, ...newer])
        requests.unshift(...batch)
        enter('superseded')
        continue
      }
      for (const request of batch) request.resolve(report)
      enter('served')
    }
    for (const request of requests.splice(0)) request.resolve(closed())
    enter('drained')
  }

  return {
    add: changes => mergeChanges(queued, changes),
    request (full) {
      return new Promise(resolve => {
        requests.push({ full, resolve })
        const wasIdle = phase === 'idle'
        enter('request')
        if (wasIdle) running = drain()
      })
    },
    idle: async () => { await running }
  }
}
