// The dev server's child's side of `keep()` (keep.ts): where the keepers an app registers are
// found. Apart from keep.ts, whose argument checks load the error codes: the child needs none of
// them before it boots.

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

export const keeping = globalThis as typeof globalThis & { [KEEPERS]?: Map<string, Keeper> }

/** The dev server's child: starts listening for keep() calls, and returns what they register. */
export function collectKeepers (): Map<string, Keeper> {
  const keepers = new Map<string, Keeper>()
  keeping[KEEPERS] = keepers
  return keepers
}
