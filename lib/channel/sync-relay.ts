// Synchronized browsing, on the server: what a tab says it did goes to the other tabs on the same
// page. Nothing a tab sends is passed on as it came: each frame is checked field by field and
// rebuilt, so another tab gets only the fields a kind has, of the types and sizes it allows.
import type { ClientMessage, SyncEvent, SyncSettings } from '../../types/index.js'
import type { Peer } from './peers.js'

import { SYNC_MAX_FRAME_BYTES, SYNC_SELECTOR } from '../sync-limits.js'

export { SYNC_MAX_FRAME_BYTES }
/** Frames a tab may send per second, sustained (scroll is throttled to 20 a second in the tab). */
export const SYNC_RATE_PER_S = 50
/** Frames a tab may send at once above the rate; and frames dropped, less 5 a second, before it is closed. */
export const SYNC_BURST = 100
/**
 * Deliveries (one event to one other tab) a page may cause per second, sustained, whoever sends:
 * the fan-out is the cost, and it grows with the square of the tabs (60 tabs, each within its
 * rate, had the server relay ~150,000 a second and `/status` answer in seconds). One delivery
 * costs the server under 7 µs, so a page at this rate costs it under 1.5 % of a core; and it leaves a
 * person room: scrolling (20 a second) and typing (10) at once reach 60 other tabs.
 */
export const SYNC_PAGE_RATE_PER_S = 2000
/** Deliveries a page may cause at once above its rate: two seconds' worth. */
export const SYNC_PAGE_BURST = 2 * SYNC_PAGE_RATE_PER_S
/** How fast dropped frames are forgotten (per second): a tab well over the rate is closed within seconds. */
const FORGIVEN_PER_S = SYNC_RATE_PER_S / 10

const MAX_PATH = 2048
const MAX_SELECTOR = 4096
const MAX_CHOICES = 256

export interface SyncRelay {
  /** A text frame from one of our WebSocket clients. */
  receive (peer: Peer, data: string): void
}

interface Page {
  tabs: Set<Peer>
  /** Deliveries it may cause now. */
  tokens: number
  at: number
}

interface TabState {
  path: string | null
  /** Frames it may send now. */
  tokens: number
  /** Frames dropped for want of tokens, less those forgiven since. */
  dropped: number
  at: number
  isClosed: boolean
}

/**
 * Relays sync messages among `peers` (WebSocket clients): to the other tabs that joined the
 * page an event happened on, never back to its sender. `deliver` is the hub's send (it holds
 * back-pressure); `close` ends a tab that floods. A sender past the rate has its frames dropped;
 * past a burst's worth dropped (forgiven slowly), it is closed (1008). A page past its own budget
 * of deliveries has its events dropped, whoever sends them. A tab is not held to the page it
 * joined: a navigation is announced for the page it left. The rates are kept on `now` (ms, the
 * world's clock).
 */
export function createSyncRelay (settings: Readonly<SyncSettings>, deliver: (peer: Peer, json: string) => void, close: (peer: Peer, reason: string) => void, now: () => number): SyncRelay {
  const tabs = new Map<Peer, TabState>()
  const pages = new Map<string, Page>()

  function leave (peer: Peer, state: TabState): void {
    if (state.path === null) return
    const page = pages.get(state.path)!
    page.tabs.delete(peer)
    if (page.tabs.size === 0) pages.delete(state.path)
    state.path = null
  }

  function stateOf (peer: Peer): TabState {
    let state = tabs.get(peer)
    if (state === undefined) {
      const created: TabState = state = { path: null, tokens: SYNC_BURST, dropped: 0, at: now(), isClosed: false }
      tabs.set(peer, created)
      peer.onClose(() => {
        leave(peer, created)
        tabs.delete(peer)
      })
    }
    return state
  }

  return {
    receive (peer, data) {
      const state = stateOf(peer)
      if (state.isClosed) return // its last frames, in flight while it closes
      if (!isWithinRate(state, now())) {
        if (state.dropped > SYNC_BURST) {
          state.isClosed = true
          close(peer, 'sync events too fast')
        }
        return
      }
      const message = parseClientMessage(data, settings)
      if (message === null) return
      if (message.type === 'join') {
        leave(peer, state)
        state.path = message.path
        let page = pages.get(message.path)
        if (page === undefined) pages.set(message.path, page = { tabs: new Set(), tokens: SYNC_PAGE_BURST, at: now() })
        page.tabs.add(peer)
        return
      }
      const page = pages.get(message.path)
      if (page === undefined || !isWithinPageRate(page, page.tabs.size - (page.tabs.has(peer) ? 1 : 0), now())) return
      const json = JSON.stringify(message)
      for (const other of page.tabs) if (other !== peer) deliver(other, json)
    }
  }
}

/**
 * Takes a delivery's worth of the page's budget per other tab; false when the page is over its
 * rate (the event is dropped: no tab is to blame, nor closed). An event costs at most the burst,
 * so that a page of more tabs than that still hears, if slowly.
 */
function isWithinPageRate (page: Page, deliveries: number, now: number): boolean {
  page.tokens = Math.min(SYNC_PAGE_BURST, page.tokens + (now - page.at) / 1000 * SYNC_PAGE_RATE_PER_S)
  page.at = now
  if (page.tokens < Math.min(deliveries, SYNC_PAGE_BURST)) return false
  page.tokens -= deliveries
  return true
}

/** Takes a token; false when the tab is over its rate (the frame is dropped, and counted). */
function isWithinRate (state: TabState, now: number): boolean {
  const seconds = (now - state.at) / 1000
  state.at = now
  state.tokens = Math.min(SYNC_BURST, state.tokens + seconds * SYNC_RATE_PER_S)
  state.dropped = Math.max(0, state.dropped - seconds * FORGIVEN_PER_S)
  if (state.tokens < 1) {
    state.dropped++
    return false
  }
  state.tokens--
  return true
}

/** `data` as a message a tab may send under `settings`, rebuilt from its checked fields; null if it is not one. */
export function parseClientMessage (data: string, settings: Readonly<SyncSettings>): ClientMessage | null {
  let raw: unknown
  try {
    raw = JSON.parse(data)
  } catch {
    return null
  }
  if (!isObject(raw) || !isPath(raw.path)) return null
  if (raw.type === 'join') return { type: 'join', path: raw.path }
  if (raw.type !== 'sync' || !isObject(raw.event)) return null
  const event = parseEvent(raw.event, settings)
  return event === null ? null : { type: 'sync', path: raw.path, event }
}

function parseEvent (raw: Record<string, unknown>, settings: Readonly<SyncSettings>): SyncEvent | null {
  const { target } = raw
  switch (raw.kind) {
    case 'scroll': {
      const { element, x, y } = raw
      const isElement = Number.isInteger(element) && (element as number) >= -1 && (element as number) < settings.scrollElements.length
      return settings.scroll && isElement && isFraction(x) && isFraction(y) ? { kind: 'scroll', element: element as number, x, y } : null
    }
    case 'click':
      return settings.clicks && isSelector(target) ? { kind: 'click', target } : null
    case 'input':
      return settings.forms && isSelector(target) && typeof raw.value === 'string' ? { kind: 'input', target, value: raw.value } : null
    case 'select': {
      const { values } = raw
      const isChoice = Array.isArray(values) && values.length <= MAX_CHOICES && values.every(value => typeof value === 'string')
      return settings.forms && isSelector(target) && isChoice ? { kind: 'select', target, values: [...values as string[]] } : null
    }
    case 'toggle':
      return settings.forms && isSelector(target) && typeof raw.checked === 'boolean' ? { kind: 'toggle', target, checked: raw.checked } : null
    case 'submit':
      return settings.forms && isSelector(target) ? { kind: 'submit', target } : null
    case 'navigate':
      return settings.navigation && isPath(raw.url) ? { kind: 'navigate', url: raw.url } : null
    default:
      return null
  }
}

function isObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * A path on this origin: `/` but not `//` (another host), and no backslash or control character
 * (browsers read `\` as `/` and drop tabs and newlines, so `/\tevil.test` would be `//evil.test`).
 */
function isPath (value: unknown): value is string {
  // eslint-disable-next-line no-control-regex
  return typeof value === 'string' && value.length <= MAX_PATH && /^\/(?![/\\])[^\\\u0000-\u001f\u007f]*$/.test(value)
}

/** A selector of the form a tab writes: the others are never relayed (see SYNC_SELECTOR). */
function isSelector (value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_SELECTOR && SYNC_SELECTOR.test(value)
}

function isFraction (value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= 1
}
