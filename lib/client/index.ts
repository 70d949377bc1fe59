// The browser client: one connection to the channel, and what each message does to the page.
// Browser code only (no node: imports); console lines carry the [livereload] prefix.
import type { ServerMessage } from '../../types/index.js'
import { swapImages, swapStylesheets } from './assets.js'
import { connect } from './connection.js'
import { hideBuilding, showBuilding } from './badge.js'
import { hideOverlay, showOverlay } from './overlay.js'
import { isShownPage, reloadPage, restoreScroll } from './reload.js'
import { syncConnected, syncReceived } from './sync-loader.js'

const kStarted = Symbol.for('fastify-livereload')
const host = window as unknown as Record<symbol, boolean>

// A page may carry the tag twice (a template and the injector); one client is enough.
if (host[kStarted] !== true) {
  host[kStarted] = true
  restoreScroll()
  const script = document.currentScript as HTMLScriptElement | null
  const connection = connect(channelUrl(script?.src ?? '/__livereload/client.js'), (message, restarted) => {
    if (message.type === 'hello' && message.sync !== undefined && !restarted) syncConnected(message.sync, script, connection.send)
    handle(message, restarted)
  })
}

/** The channel sits beside this script, so a prefix or a reverse proxy needs no configuration. */
function channelUrl (scriptSrc: string): URL {
  const url = new URL(scriptSrc, location.href)
  url.pathname = url.pathname.replace(/\/client\.js$/, '')
  url.search = ''
  url.hash = ''
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  return url
}

function handle (message: ServerMessage, restarted: boolean): void {
  // Every message but `building` (and another tab's `sync`) ends a build, or says nothing is building (a new connection).
  if (message.type !== 'building' && message.type !== 'sync') hideBuilding()
  switch (message.type) {
    case 'hello':
      // Reconnected to a different server instance: it restarted, and its code may have changed.
      if (restarted) reloadPage('the server restarted')
      break
    case 'reload':
      if (isShownPage(message.paths)) reloadPage(message.paths.length > 0 ? `${message.paths[0]} changed` : 'files changed')
      break
    case 'css':
      hideOverlay()
      swapStylesheets(message.paths)
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
    case 'sync':
      syncReceived(message.path, message.event)
      break
    default:
      message satisfies never
  }
}
