import type { Phase } from './coalesce-rules.js'
import type { Transitions } from './machine.js'

/** The coalescer's phases: the rules' four (coalesce-rules.ts), and closed, after which nothing happens. */
export type CoalescerPhase = Phase | 'closed'

/**
 * What moves the coalescer from phase to phase. Writes the activity sees and a poller's sweeps
 * change no phase (they are evidence, taken in any phase); a watcher batch that holds only stale
 * copies is dropped before it is one.
 * - batch: a watcher batch taken in, with news in it
 * - flush: the rules said the save or burst is over (in idle: writes the watcher lost), or a
 *   settling build's writes are all in
 * - hold: a build starts; settle: it ended, its writes are wanted
 * - answered: a build that carried every change so far ended (the sources' coalescer)
 * - close: the plugin closes
 */
export type CoalescerEvent = 'batch' | 'flush' | 'hold' | 'settle' | 'answered' | 'close'

export const COALESCER_PHASES: Transitions<CoalescerPhase, CoalescerEvent> = {
  idle: { batch: 'open', flush: 'idle', hold: 'held', answered: 'idle', close: 'closed' },
  open: { batch: 'open', flush: 'idle', hold: 'held', answered: 'open', close: 'closed' },
  held: { batch: 'held', settle: 'settling', close: 'closed' },
  settling: { batch: 'settling', flush: 'idle', close: 'closed' },
  closed: {}
}
