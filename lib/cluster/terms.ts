// A leader's terms (node.ts), one at a time: lead() and follow() queue their steps, so each
// starts once the one before has ended, whatever order the lease's news comes in.
import type { FastifyBaseLogger } from 'fastify'
import type { BroadcastMessage } from '../../types/index.js'
import { transition, type Transitions } from '../pipeline/machine.js'
import type { Pipeline } from '../pipeline/pipeline.js'

/** A leader's watchers and pipeline, for as long as it holds the lease (term.ts makes one). */
export interface Term {
  readonly pipeline: Pick<Pipeline, 'build' | 'stats'>
  readonly watched: readonly string[]
  /** Stops watching and aborts the running build. */
  close (): Promise<void>
}

/**
 * idle: no term (a follower, or a leader between terms); starting: its watchers start; running;
 * stopping: its build aborts and its watchers close. A start that throws leaves the process
 * leading with nothing watched, and says so (an error in the log, and in the report of every
 * build asked of it).
 */
export type TermPhase = 'idle' | 'starting' | 'running' | 'stopping'
export type TermEvent = 'start' | 'started' | 'failed' | 'stop' | 'stopped'

export const TERM_PHASES: Transitions<TermPhase, TermEvent> = {
  idle: { start: 'starting' },
  starting: { started: 'running', failed: 'idle' },
  running: { stop: 'stopping' },
  stopping: { stopped: 'idle' }
}

export interface TermsDeps {
  readonly hasBuilder: boolean
  readonly buildOnStart: boolean
  readonly log: FastifyBaseLogger
  /** Starts watching and a pipeline whose messages go to `broadcast`. */
  startTerm (broadcast: (message: BroadcastMessage) => void): Promise<Term>
  /** Sends to the browsers of every process. */
  broadcast (message: BroadcastMessage): void
  /** Whether this process holds the lease now. */
  isLeader (): boolean
  /** A takeover's build that rejected (its pipeline closed under it). */
  onBuildRejected (err: unknown): void
}

export interface Terms {
  /** Leads; with `isLate`, it may have held the lease unknowingly for a while, when nobody watched. */
  lead (epoch: number, isLate: boolean): void
  /** Stops leading: the term running (or starting) ends. */
  follow (): void
  /** Another process was seen leading: a term of this one is a takeover from now on. */
  sawLeader (): void
  /** The term as the steps queued so far leave it (null: none runs). */
  settled (): Promise<Term | null>
  /** The term running now (null while one starts or stops, too). */
  readonly current: Term | null
  readonly phase: TermPhase
  /** No term starts after this; resolves once the one running has stopped. */
  close (): Promise<void>
}

interface TermsState {
  readonly deps: TermsDeps
  /** The term as the last of the queued steps left it. */
  queue: Promise<Term | null>
  current: Term | null
  phase: TermPhase
  isClosing: boolean
  /** A leader has been seen before (another, or this one): Redis restarting empty says epoch 1 again. */
  hadLeader: boolean
}

export function createTerms (deps: TermsDeps): Terms {
  const state: TermsState = { deps, queue: Promise.resolve(null), current: null, phase: 'idle', isClosing: false, hadLeader: false }
  return {
    lead: (epoch, isLate) => { lead(state, epoch, isLate) },
    follow: () => { follow(state) },
    sawLeader: () => { state.hadLeader = true },
    settled: async () => await state.queue,
    get current () { return state.current },
    get phase () { return state.phase },
    async close () {
      state.isClosing = true
      follow(state)
      await state.queue
    }
  }
}

const enter = (state: TermsState, event: TermEvent): void => { state.phase = transition('term', TERM_PHASES, state.phase, event) }

function lead (state: TermsState, epoch: number, isLate: boolean): void {
  const isTakeover = epoch > 1 || state.hadLeader || isLate
  state.hadLeader = true
  state.queue = state.queue.then(async () => {
    await endTerm(state)
    if (state.isClosing || !state.deps.isLeader()) return null
    return await beginTerm(state, isTakeover)
  })
}

function follow (state: TermsState): void {
  state.queue = state.queue.then(async () => {
    await endTerm(state)
    return null
  })
}

/** Starts watching and a pipeline; at a takeover (or with `buildOnStart`) builds everything. */
async function beginTerm (state: TermsState, isTakeover: boolean): Promise<Term | null> {
  const { hasBuilder, buildOnStart, startTerm, broadcast, log, onBuildRejected } = state.deps
  enter(state, 'start')
  try {
    state.current = await startTerm(broadcast)
  } catch (err) {
    enter(state, 'failed')
    log.error({ err }, 'cluster: this process leads but its term could not start (the watchers, or the builder\'s own watch): the cluster watches and builds nothing until this process restarts or loses the lease')
    return null
  }
  enter(state, 'started')
  // A takeover: what changed while nobody (or a dying leader) watched is built now.
  if (hasBuilder && (isTakeover || buildOnStart)) state.current.pipeline.build({ full: true }).catch(onBuildRejected)
  else if (!hasBuilder && isTakeover) broadcast({ type: 'reload', paths: [] })
  return state.current
}

/** Ends the running term, if there is one: its build aborted, its watchers closed. */
async function endTerm (state: TermsState): Promise<void> {
  const term = state.current
  if (term === null) return
  state.current = null
  enter(state, 'stop')
  await term.close()
  enter(state, 'stopped')
}
