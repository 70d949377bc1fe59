import type { FastifyBaseLogger } from 'fastify'

/** This many builds in a row, each triggered by changes made while the previous one ran. */
export const LOOP_LIMIT = 10
/** Source changes that arrive this soon after a build ended may still be its own writes. */
export const LOOP_WINDOW_MS = 250
/** Paused builds resume after this long without source changes. */
export const LOOP_COOLDOWN_MS = 2000

export interface LoopBreaker {
  noteStart (): void
  noteEnd (): void
  /** Whether changes first seen at `since` make the streak too long; if so, builds pause. */
  trips (since: number): boolean
  /** While paused, every change extends the pause and is dropped. */
  isPaused (): boolean
  readonly paused: boolean
  reset (): void
  close (): void
}

/**
 * Detects a builder that writes into its own sources: every build then triggers the next, with
 * no change from outside. After LOOP_LIMIT such builds in a row, automatic builds pause until
 * the sources have been quiet for LOOP_COOLDOWN_MS (or a build is asked for by hand).
 */
export function createLoopBreaker (debounce: number, log: FastifyBaseLogger): LoopBreaker {
  let startedAt = 0
  let endedAt = 0
  let isBuilding = false
  let streak = 0
  let paused = false
  let cooldown: NodeJS.Timeout | undefined

  function pause (): void {
    paused = true
    log.warn({ builds: streak }, `builds paused: ${streak} builds in a row were triggered by changes made during the build before. ` +
      'The builder seems to write into a watched source; write its output elsewhere or add it to `ignore`. ' +
      `Builds resume after ${LOOP_COOLDOWN_MS} ms without source changes, or on fastify.liveReload.build().`)
    restartCooldown()
  }

  function restartCooldown (): void {
    clearTimeout(cooldown)
    cooldown = setTimeout(() => {
      log.info('builds resumed')
      reset()
    }, LOOP_COOLDOWN_MS).unref()
  }

  function reset (): void {
    clearTimeout(cooldown)
    paused = false
    streak = 0
  }

  return {
    noteStart () {
      isBuilding = true
      startedAt = Date.now()
    },
    noteEnd () {
      isBuilding = false
      endedAt = Date.now()
    },
    trips (since) {
      const isSelfTriggered = startedAt > 0 && since >= startedAt && (isBuilding || since - endedAt <= debounce + LOOP_WINDOW_MS)
      streak = isSelfTriggered ? streak + 1 : 0
      if (streak >= LOOP_LIMIT) pause()
      return paused
    },
    isPaused () {
      if (paused) restartCooldown()
      return paused
    },
    get paused () { return paused },
    reset,
    close: () => clearTimeout(cooldown)
  }
}
