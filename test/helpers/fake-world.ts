import type { World } from '../../lib/world.js'

/**
 * A world on a fake clock: files are a map, timers and deferred calls run only when the test
 * advances time, so every rule is exercised with no real timer or file. Whatever waits on it
 * waits for the test: a hub closing on it terminates a client that does not answer its close
 * only once the test moves the clock past the close grace.
 */
export function fakeWorld () {
  let now = 1_000_000
  let nextId = 0
  const timers = new Map<number, { at: number, fn: () => void }>()
  const deferred: Array<() => void> = []
  const files = new Map<string, { size: number, mtime: number, content: string }>()
  /** Threads' waiting for a CPU, summed up to `waitingSince` (null: nobody waits now). */
  let waited = 0
  let waitingSince: number | null = null
  let readyPerCpu = 0.5
  let isDiskBlocked = false
  /** How long (ms) each look at the CPUs takes: time that passes in the middle of a decision. */
  let lag = 0

  /** Runs what is deferred (the rest of this event-loop turn), then the timers due by `now`. */
  function settle (): void {
    for (let rounds = 0; rounds < 1000; rounds++) {
      const fn = deferred.shift()
      if (fn !== undefined) {
        fn()
        continue
      }
      const due = [...timers].filter(([, timer]) => timer.at <= now).sort(([, a], [, b]) => a.at - b.at)[0]
      if (due === undefined) return
      timers.delete(due[0])
      due[1].fn()
    }
    throw new Error('the coalescer did not settle in 1000 steps')
  }

  const world: World = {
    now: () => now,
    setTimer (fn, ms) {
      // Node 24 warns of a negative delay (TimeoutNegativeWarning): a wait decided too late.
      if (!(ms >= 0)) throw new Error(`a timer for ${ms} ms`)
      const id = ++nextId
      timers.set(id, { at: now + ms, fn })
      return id
    },
    clearTimer: id => { timers.delete(id as number) },
    defer: fn => { deferred.push(fn) },
    stat: path => {
      const file = files.get(path)
      return file === undefined ? undefined : { size: file.size, mtimeMs: file.mtime }
    },
    wallNow: () => now,
    files: {
      mtime: path => files.get(path)?.mtime ?? null,
      hashNow (path, maxBytes) {
        const file = files.get(path)
        if (file === undefined) return null
        return file.size > maxBytes ? undefined : file.content
      },
      hashLater: async path => files.get(path)?.content ?? null
    },
    waited: () => waited + (waitingSince === null ? 0 : now - waitingSince),
    load: () => {
      now += lag
      return { readyPerCpu, isDiskBlocked }
    }
  }

  return {
    world,
    /** Writes `path` with `size` bytes now (the file system only: the coalescer hears of it through activity and batches). */
    write (path: string, size = 10, content = `${path} at ${now}`) { files.set(path, { size, mtime: now, content }) },
    remove (path: string) { files.delete(path) },
    /** Lets `ms` pass, running every timer due on the way, in order. */
    advance (ms: number) {
      const end = now + ms
      settle()
      for (;;) {
        const next = Math.min(...[...timers.values()].map(timer => timer.at))
        if (!(next <= end)) break
        now = Math.max(now, next)
        settle()
      }
      now = end
      settle()
    },
    /**
     * From now on, threads wait for a CPU (a writer kept from writing, perhaps), or no longer;
     * `perCpu` threads are ready to run per CPU (above 1: others are at work).
     */
    contend (isWaiting: boolean, perCpu = isWaiting ? 2 : 0.5) {
      readyPerCpu = perCpu
      if (isWaiting) waitingSince ??= now
      else if (waitingSince !== null) {
        waited += now - waitingSince
        waitingSince = null
      }
    },
    /** From now on, a thread is blocked on the disk (a writer the kernel's writeback throttles, perhaps), or none is. */
    blockDisk (isBlocked: boolean) { isDiskBlocked = isBlocked },
    /**
     * From now on, each decision takes `ms` (while it looks at the CPUs, after it has read the
     * clock): on a busy machine, our thread is taken off its CPU in the middle of one.
     */
    slowDown (ms: number) { lag = ms },
    /** When the next timer is due, or Infinity. */
    nextTimerAt: () => Math.min(...[...timers.values()].map(timer => timer.at)),
    /** How many timers are set. */
    get timers () { return timers.size },
    /** Ends the current event-loop turn: deferred calls run, no time passes. */
    turn: settle,
    get now () { return now }
  }
}
