// Where the client and the synchronized-browsing script (sync.js, loaded only with the `sync`
// option) meet on the page: two bundles, one connection.
import type { ClientMessage, SyncEvent, SyncSettings } from '../../types/index.js'

export const BRIDGE = Symbol.for('fastify-livereload:sync')

export interface SyncBridge {
  readonly settings: SyncSettings
  send (message: ClientMessage): void
  /** Set by sync.js: runs on every new connection, which the server knows nothing of yet. */
  onConnected?: () => void
  /** Set by sync.js: another tab on the page at `path` did `event`. */
  onEvent?: (path: string, event: SyncEvent) => void
}
