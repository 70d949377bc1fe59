// The client's side of synchronized browsing: on the first `hello` that says it is on, the sync
// script is loaded beside this one (with its nonce, for a page under a CSP), and from then on
// messages pass between it and the connection through the bridge.
import type { SyncEvent, SyncSettings } from '../../types/index.js'
import { log } from './log.js'
import { BRIDGE, type SyncBridge } from './sync-bridge.js'

let bridge: SyncBridge | undefined

/** A connection said `hello` with `settings`: the first time, load sync.js; later, tell it. */
export function syncConnected (settings: SyncSettings, script: HTMLScriptElement | null, send: (data: string) => void): void {
  if (bridge !== undefined) return bridge.onConnected?.()
  bridge = { settings, send: message => send(JSON.stringify(message)) }
  ;(window as unknown as Record<symbol, SyncBridge>)[BRIDGE] = bridge
  const sync = document.createElement('script')
  const src = new URL('sync.js', script?.src ?? new URL('/__livereload/client.js', location.href)).href
  try {
    sync.src = src
  } catch { // a page that requires Trusted Types
    try {
      sync.src = trusted(src)
    } catch (err) {
      return log(`synchronized browsing is off on this page: its Trusted Types policy refuses the script (${(err as Error).message})`)
    }
  }
  sync.nonce = script?.nonce ?? ''
  document.head.append(sync)
}

/**
 * `url` as a page that requires Trusted Types takes a script's URL: through a policy of ours,
 * which its `trusted-types` directive must allow (else this throws, and nothing is loaded).
 */
function trusted (url: string): string {
  const types = (window as unknown as { trustedTypes: { createPolicy (name: string, rules: { createScriptURL (url: string): string }): { createScriptURL (url: string): string } } }).trustedTypes
  return types.createPolicy('fastify-livereload', { createScriptURL: url => url }).createScriptURL(url)
}

export function syncReceived (path: string, event: SyncEvent): void {
  bridge?.onEvent?.(path, event)
}
