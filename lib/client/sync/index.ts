// Synchronized browsing, in the tab: dist/sync.js, loaded by the client only when the server's
// `hello` says `sync` is on. Browser code only; it reaches the connection through the bridge.
import type { SyncEvent } from '../../../types/index.js'
import { BRIDGE, type SyncBridge } from '../sync-bridge.js'
import { mirrorClicks } from './clicks.js'
import { mirrorForms } from './forms.js'
import { showIndicator } from './indicator.js'
import { mirrorNavigation } from './navigation.js'
import { mirrorScroll } from './scroll.js'
import { createTab } from './tab.js'

const bridge = (window as unknown as Record<symbol, SyncBridge | undefined>)[BRIDGE]
if (bridge !== undefined && bridge.onEvent === undefined) start(bridge)

function start (bridge: SyncBridge): void {
  const { settings } = bridge
  const tab = createTab(bridge)
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
  bridge.onEvent = (path, event) => {
    // Sent for the page this tab showed when the server last heard of it: it may have moved on since.
    if (path === tab.path()) tab.apply(() => apply(event))
  }
  const connected = (): void => {
    tab.join()
    navigation?.arrived()
  }
  bridge.onConnected = connected
  connected()
  showIndicator()
}
