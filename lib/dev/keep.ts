// fastify-livereload/keep: what an app keeps across the dev server's code reloads (docs/dev.md,
// "State across a reload"). Outside `dev`, keep() checks its arguments and does nothing else.
import { FST_LIVERELOAD_INVALID_OPTION } from '../errors.js'

/** How one piece of the app's state goes from a version to the next. */
export interface Keeper {
  /** The old version's state, as structured-clone data (Map, Set, Date… pass; functions, sockets, timers do not). */
  save (): unknown
  /** The new version takes it, once it has booted and before it serves: a throw is a failed boot. */
  restore (saved: unknown): void | Promise<void>
}

/**
 * Where the dev server's child looks for the keepers: on the process, not in this module, so that
 * an app whose fastify-livereload is another copy than the dev server's (a global command) is heard.
 */
export const KEEPERS = Symbol.for('fastify-livereload.keepers')

const global = globalThis as typeof globalThis & { [KEEPERS]?: Map<string, Keeper> }

/** Keeps `name` across reloads: the version after this one gets what `save` returns, through `restore`. A name kept again is replaced. */
export function keep (name: string, keeper: Keeper): void {
  if (typeof name !== 'string' || name === '') throw new FST_LIVERELOAD_INVALID_OPTION('keep(name)', 'must be a non-empty string')
  if (typeof keeper?.save !== 'function' || typeof keeper.restore !== 'function') throw new FST_LIVERELOAD_INVALID_OPTION(`keep("${name}")`, 'must be given { save () {}, restore (saved) {} }')
  global[KEEPERS]?.set(name, keeper)
}

/** The dev server's child: starts listening for keep() calls, and returns what they register. */
export function collectKeepers (): Map<string, Keeper> {
  const keepers = new Map<string, Keeper>()
  global[KEEPERS] = keepers
  return keepers
}
