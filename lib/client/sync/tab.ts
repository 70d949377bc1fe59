// This tab, as the other tabs know it: the page it shows (it joins that page on the server, and
// again whenever it changes), what it sends, and the one rule against echoes: what the tab does
// while it applies another tab's event is not sent back.
import type { ClientMessage, SyncEvent } from '../../../types/index.js'

export interface Tab {
  /** The page shown: path and query (tabs at `/a#x` and `/a#y` are on one page). */
  path (): string
  /** Sends what the user did on this page (`path`: the page it happened on, for a navigation). */
  send (event: SyncEvent, path?: string): void
  /** Runs `apply` with the tab's own listeners deaf: events it fires are not sent. */
  apply (apply: () => void): void
  /** True while `apply` runs: a listener that hears this is hearing us. */
  readonly isApplying: boolean
  /** Joins the page (again) on a new connection: the server forgot this tab. */
  join (): void
}

export function createTab (post: (message: ClientMessage) => void): Tab {
  let joined: string | null = null
  let isApplying = false
  const path = (): string => location.pathname + location.search

  const join = (): void => {
    joined = path()
    post({ type: 'join', path: joined })
  }
  // A page that changes its URL without loading (a client-side router) is on another page now.
  const rejoin = (): void => { if (joined !== null && joined !== path()) join() }
  addEventListener('popstate', rejoin)
  for (const name of ['pushState', 'replaceState'] as const) {
    const original = history[name]
    history[name] = function (this: History, ...args: Parameters<History['pushState']>) {
      original.apply(this, args)
      rejoin()
    }
  }

  return {
    path,
    send (event, from) {
      rejoin()
      post({ type: 'sync', path: from ?? path(), event })
    },
    apply (apply) {
      isApplying = true
      try {
        apply()
      } finally {
        isApplying = false
      }
    },
    get isApplying () { return isApplying },
    join
  }
}
