// The browser client: one connection to the channel, and what each message does to the page.
// Browser code only (no node: imports); console lines carry the [livereload] prefix. Two bundles
// start it: index.ts, the client, and sync/index.ts, the client with synchronized browsing,
// served instead where the `sync` option is on (so that the client alone carries none of it); and
// the same two with patch/ (patch/index.ts, patch/sync.ts), served where the `patch` option is on.
import type { ServerMessage } from '../../types/index.js'
import { swapImages, swapStylesheets } from './assets.js'
import { connect, type Link } from './connection.js'
import { hideBuilding, showBuilding } from './badge.js'
import { hideOverlay, showOverlay } from './overlay.js'
import { reloadIfShown, reloadPage, restoreScroll } from './reload.js'

/**
 * Sees each message before the client does, and says whether it took it: synchronized browsing
 * (sync/index.ts) takes its own messages. `link` is the connection open now.
 */
export type Interceptor = (message: ServerMessage, restarted: boolean, link: () => Link | undefined) => boolean

const kStarted = Symbol.for('fastify-livereload')
const host = window as unknown as Record<symbol, boolean>

/** Starts the client, unless a copy of it runs on the page already: then says false. */
export function startClient (intercept?: Interceptor): boolean {
  // A page may carry the tag twice (a template and the injector); one client is enough.
  if (host[kStarted] === true) return false
  host[kStarted] = true
  restoreScroll()
  const script = document.currentScript as HTMLScriptElement | null
  // The channel sits beside this script (its URL is absolute), so a prefix or a reverse proxy
  // needs no configuration.
  const url = (script?.src ?? `${location.origin}/__livereload/client.js`).replace(/\/client\.js(?:[?#].*)?$/, '')
  const link = connect(url, (message, restarted) => {
    // A `sync` message goes only to a tab that joined a page, which only the sync bundle does.
    if (intercept?.(message, restarted, link) !== true) handle(message as Exclude<ServerMessage, { type: 'sync' }>, restarted)
  })
  return true
}

function handle (message: Exclude<ServerMessage, { type: 'sync' }>, restarted: boolean): void {
  // Every message but `building` ends a build, or says nothing is building (a new connection).
  if (message.type !== 'building') hideBuilding()
  switch (message.type) {
    case 'hello':
      // Reconnected to a different server instance: it restarted, and its code may have changed.
      if (restarted) reloadPage('the server restarted')
      break
    case 'reload':
      hideOverlay() // the build succeeded, whether or not it changed this page
      reloadIfShown(message.paths)
      break
    case 'css':
      hideOverlay()
      // Files that no stylesheet of the page matches: the page may use them some other way.
      if (!swapStylesheets(message.paths, message.files)) reloadIfShown(message.paths)
      break
    case 'img':
      hideOverlay()
      swapImages(message.paths)
      break
    case 'error':
      showOverlay(message.errors)
      break
    case 'clear':
      hideOverlay()
      break
    case 'building':
      showBuilding()
      break
    default:
      message satisfies never
  }
}
