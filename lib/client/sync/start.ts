// The client with synchronized browsing, which the server sends as its client.js where the `sync`
// option is on (index.ts; patch/sync.ts with the `patch` option too). Browser code only.
import type { ClientMessage, SyncEvent, SyncSettings } from '../../../types/index.js'
import { startClient, type Interceptor } from '../client.js'
import type { Link } from '../connection.js'
import { log } from '../log.js'
import { SYNC_MAX_FRAME_BYTES } from '../../sync-limits.js'
import { mirrorClicks } from './clicks.js'
import { mirrorForms } from './forms.js'
import { showIndicator } from './indicator.js'
import { mirrorNavigation } from './navigation.js'
import { rememberPasswords } from './private.js'
import { mirrorScroll } from './scroll.js'
import { createTab } from './tab.js'

interface Synced { onConnected (): void, onEvent (path: string, event: SyncEvent): void }
let synced: Synced | undefined

/** Starts the client with synchronized browsing, unless a copy of the client runs already (then false). */
export function startSyncClient (): boolean {
  // From the start, before the tab is synchronized: a password shown as text before then stays one.
  rememberPasswords()
  return startClient(intercept)
}

const intercept: Interceptor = (message, restarted, link) => {
  if (message.type === 'sync') {
    synced?.onEvent(message.path, message.event)
    return true
  }
  // A new connection: the server knows nothing of this tab yet. (A restarted server reloads the page.)
  // Not on Server-Sent Events, which cannot send (a WebSocket that opens later says hello again),
  // nor in a frame: the page around it is the tab.
  if (message.type === 'hello' && message.sync !== undefined && !restarted && link() instanceof WebSocket && window === window.top) {
    if (synced === undefined) synced = start(message.sync, data => send(link(), data))
    else synced.onConnected()
  }
  return false
}

/**
 * Sends on the WebSocket open now, if any. A message larger than the server takes (text pasted
 * into a field) is not sent: the server would close the connection, and live reload with it.
 */
function send (link: Link | undefined, message: ClientMessage): void {
  const json = JSON.stringify(message)
  if (!(link instanceof WebSocket) || link.readyState !== WebSocket.OPEN) return
  if (new TextEncoder().encode(json).length <= SYNC_MAX_FRAME_BYTES) link.send(json)
  else log(`not synchronized: a ${message.type === 'sync' ? message.event.kind : message.type} of more than ${SYNC_MAX_FRAME_BYTES / 1024} KiB`)
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
