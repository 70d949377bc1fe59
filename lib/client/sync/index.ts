// dist/client-sync.js: the client with synchronized browsing, which the server sends as its
// client.js where the `sync` option is on. Browser code only.
import type { ClientMessage, SyncEvent, SyncSettings } from '../../../types/index.js'
import { startClient } from '../client.js'
import type { Link } from '../connection.js'
import { mirrorClicks } from './clicks.js'
import { mirrorForms } from './forms.js'
import { showIndicator } from './indicator.js'
import { mirrorNavigation } from './navigation.js'
import { mirrorScroll } from './scroll.js'
import { createTab } from './tab.js'

interface Synced { onConnected (): void, onEvent (path: string, event: SyncEvent): void }
let synced: Synced | undefined

startClient((message, restarted, link) => {
  if (message.type === 'sync') {
    synced?.onEvent(message.path, message.event)
    return true
  }
  // A new connection: the server knows nothing of this tab yet. (A restarted server reloads the page.)
  if (message.type === 'hello' && message.sync !== undefined && !restarted) {
    if (synced === undefined) synced = start(message.sync, data => send(link(), data))
    else synced.onConnected()
  }
  return false
})

/** Server-Sent Events go one way: only a WebSocket takes what a tab says. */
function send (link: Link | undefined, message: ClientMessage): void {
  if (link instanceof WebSocket && link.readyState === WebSocket.OPEN) link.send(JSON.stringify(message))
}

function start (settings: SyncSettings, send: (message: ClientMessage) => void): Synced {
  const tab = createTab(send)
  const scroll = settings.scroll ? mirrorScroll(tab, settings.scrollElements) : null
  const click = settings.clicks ? mirrorClicks(tab) : null
  const form = settings.forms ? mirrorForms(tab) : null
  const navigation = settings.navigation ? mirrorNavigation(tab) : null

  const apply = (event: SyncEvent): void => {
    switch (event.kind) {
      case 'scroll': return scroll?.(event)
      case 'click': return click?.(event)
      case 'input':
      case 'select':
      case 'toggle':
      case 'submit': return form?.(event)
      case 'navigate': return navigation?.follow(event)
      default: event satisfies never
    }
  }
  const onConnected = (): void => {
    tab.join()
    navigation?.arrived()
  }
  onConnected()
  showIndicator()
  return {
    onConnected,
    // Sent for the page this tab showed when the server last heard of it: it may have moved on since.
    onEvent: (path, event) => { if (path === tab.path()) tab.apply(() => apply(event)) }
  }
}
