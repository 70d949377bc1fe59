// The version serving stopped by itself (dev.ts): browsers and the terminal are told why, and its
// code starts again in a new generation, so that requests are served again without an edit. A
// version that keeps stopping is started again a few times in a row, then left stopped until
// the next change to the code says so.
import type { FastifyBaseLogger } from 'fastify'
import type { BroadcastMessage, BuildErrorInfo } from '../../types/index.js'
import { normalizeErrors } from '../build-errors.js'
import type { Generations } from './generations.js'

/** Starts again at most this many times in a row with no change to the code between. */
export const MAX_RESTARTS = 3
/** A request waits this long (ms) at most for a start under way, then gets the page that waits for a fix. */
export const RESTART_WAIT_MS = 30_000

export interface Restarts {
  /** The version serving stopped, for `error`: says so, and starts its code again unless a change's boot is under way. */
  stopped (error: BuildErrorInfo): void
  /**
   * A change's boot begins: a start again under way gives way to it, and the count of starts in
   * a row begins again. Call what it returns once that boot is over.
   */
  changeBoots (): () => void
  /** Settles once a start again under way is over (or RESTART_WAIT_MS has passed); at once when none is. */
  settled (): Promise<void>
  /** Ends a start again under way, and starts none from now on. */
  close (): void
}

export function createRestarts (generations: Generations, { send, log }: { send: (message: BroadcastMessage) => void, log: FastifyBaseLogger }): Restarts {
  let inRow = 0
  let changeBooting = 0
  let restart: { controller: AbortController, done: Promise<void> } | null = null
  let isClosed = false

  /** The error browsers are shown, `next` saying what happens now; logged as `msg`. */
  function tell (error: BuildErrorInfo, next: string, msg: string): void {
    const [shown] = normalizeErrors([error]) // the place relative to the working directory, and a frame
    const told = { ...shown!, message: `${shown!.message}\n${next}` }
    send({ type: 'error', errors: [told] })
    log.error({ err: told }, msg)
  }

  async function startAgain (controller: AbortController): Promise<void> {
    const booted = await generations.boot(controller.signal)
    if (booted.kind === 'aborted') return
    if (controller.signal.aborted || isClosed) { // a change's boot took over between its listening and now
      if (booted.kind === 'listening') generations.discard(booted.generation)
      return
    }
    if (booted.kind === 'failed') return tell(booted.error, 'It starts again on the next change to its code.', 'the app did not start again')
    generations.promote(booted.generation)
    log.info('the app started again')
  }

  return {
    stopped (error) {
      if (isClosed) return
      if (changeBooting > 0) return tell(error, 'The version being started takes its place.', 'the app stopped')
      if (inRow >= MAX_RESTARTS) return tell(error, `It stopped again after each of ${MAX_RESTARTS} restarts: it starts again on the next change to its code.`, 'the app stopped')
      inRow++
      tell(error, 'Starting it again.', 'the app stopped')
      const controller = new AbortController()
      const done = startAgain(controller).catch(err => { log.error({ err }, 'the app did not start again') })
      const mine = { controller, done }
      restart = mine
      done.finally(() => { if (restart === mine) restart = null }).catch(() => {})
    },
    changeBoots () {
      restart?.controller.abort()
      restart = null
      inRow = 0
      changeBooting++
      let isOver = false
      return () => {
        if (!isOver) changeBooting--
        isOver = true
      }
    },
    async settled () {
      // A version that stops at once is started again: that start is waited for too, within the same time.
      const deadline = performance.now() + RESTART_WAIT_MS
      for (let starts = 0; starts <= MAX_RESTARTS; starts++) {
        const under = restart
        const left = deadline - performance.now()
        if (under === null || left <= 0) return
        let timer: NodeJS.Timeout | undefined
        await Promise.race([under.done, new Promise<void>(resolve => { timer = setTimeout(resolve, left).unref() })])
        clearTimeout(timer)
      }
    },
    close () {
      isClosed = true
      restart?.controller.abort()
      restart = null
    }
  }
}
