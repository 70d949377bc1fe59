// fastify-livereload/keep, written by hand (see index.d.ts): what an app keeps across the dev
// server's code reloads (docs/dev.md, "State across a reload").

/** How one piece of the app's state goes from a version of its code to the next. */
export interface Keeper<T = unknown> {
  /**
   * Called in the version serving when the next one has booted: its state as structured-clone
   * data (objects, arrays, Map, Set, Date, typed arrays…). What cannot be cloned (functions,
   * sockets, timers, handles) is not passed: the next version starts without this name, and the
   * dev server's log says why.
   */
  save (): T | Promise<T>
  /**
   * Called in the next version once it has booted (every plugin loaded) and before it serves,
   * with what `save` returned. A throw is a failed boot: its error is shown over the page and the
   * version serving keeps serving.
   */
  restore (saved: T): void | Promise<void>
}

/**
 * Keeps `name` across the dev server's reloads of the app's code: the next version receives what
 * this one's `save` returns, through its own `restore`. Call it as the app boots (in a plugin, or
 * at a module's top level). Outside `fastify-livereload dev` it does nothing but check its
 * arguments (`FST_LIVERELOAD_INVALID_OPTION`), so the app runs unchanged in production. A name
 * kept again replaces the keeper before it.
 */
export declare function keep<T = unknown> (name: string, keeper: Keeper<T>): void
