import type { ServerMessage } from '../../types/index.js'
import { MESSAGE_TYPES } from '../message-types.js'
import { log } from './log.js'

const FIRST_RETRY_MS = 100
const MAX_RETRY_MS = 3000
/** While on Server-Sent Events, a WebSocket is tried again after this, doubling up to the cap. */
const FIRST_PROBE_MS = 1000
const MAX_PROBE_MS = 60_000
/**
 * A WebSocket attempt that has not said `hello` by then has failed: a proxy or firewall may hold
 * its upgrade open without an answer, and the browser would wait minutes. The server says `hello`
 * at once, so only a stuck attempt takes this long. Not an event stream: a proxy that buffers one
 * delivers its `hello` late, and late is still live reload.
 */
const HELLO_TIMEOUT_MS = 5000

/** An open connection: a WebSocket, or an EventSource (Server-Sent Events, which go one way). */
export type Link = WebSocket | EventSource

// The page's one connection (a page runs one client): its state, shared by the functions below.
let channel: string
let deliver: (message: ServerMessage, restarted: boolean) => void
let instance: string | undefined
let attempt = 0
let probes = 0
let timer: ReturnType<typeof setTimeout> | undefined
let probeTimer: ReturnType<typeof setTimeout> | undefined
let current: Link | undefined
let isSse = false
let isWaiting = false
let isUnloading = false

/**
 * Keeps one connection open to the channel at `url` (its http: or https: URL), for the life of
 * the page: a WebSocket there (ws: or wss:), or Server-Sent Events at `{url}/events` when a
 * WebSocket cannot open (a failed WebSocket
 * attempt is followed by an SSE attempt, and the other way round). An attempt fails however the
 * browser says so: its constructor throws, it fires `error` or `close`, or no `hello` comes in
 * time. While on SSE it tries a WebSocket again now and then, and moves back as soon as one says
 * `hello`. Reconnects with capped exponential backoff and jitter, waits while the tab is hidden
 * and retries at once when it is shown again. `restarted` is true for a `hello` from a
 * different server instance than before, whatever the transport.
 */
export function connect (url: string, onMessage: (message: ServerMessage, restarted: boolean) => void): () => Link | undefined {
  channel = url
  deliver = onMessage
  // A close caused by leaving the page is not a disconnect: do not retry, do not log.
  addEventListener('pagehide', () => { isUnloading = true })
  addEventListener('pageshow', event => {
    isUnloading = false
    if (event.persisted) reopen() // back from the back-forward cache, which closed the connection
  })
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && isWaiting) reopen()
  })
  open(false)
  return () => current
}

/** One attempt over one transport; the first to say `hello` becomes the connection. */
function open (useSse: boolean, isProbe?: boolean): void {
  let hasHello = false
  let hasEnded = false
  let link: Link | undefined
  const receive = (event: MessageEvent): void => {
    // Only the server writes to the channel, JSON it serialised: no guard (the 3 KB budget).
    const message = JSON.parse(event.data as string) as ServerMessage
    let restarted = false
    if (message.type === 'hello' && !hasHello) {
      hasHello = true
      clearTimeout(timer)
      clearTimeout(probeTimer)
      current?.close()
      current = link
      if (isSse !== useSse || instance === undefined) log(`connected${useSse ? ' (server-sent events)' : ''}`)
      isSse = useSse
      attempt = 0
      if (useSse) probe(probes = 0)
      restarted = instance !== undefined && instance !== message.instance
      instance = message.instance
    }
    deliver(message, restarted)
  }
  // Once per attempt: a WebSocket that fails may fire `error` and then `close`, or (Chromium,
  // when a CSP's connect-src forbids ws:) `error` alone.
  const end = (): void => {
    if (hasEnded) return
    hasEnded = true
    link?.close()
    if (isUnloading || (hasHello && link !== current)) return // replaced by another connection
    if (isProbe && !hasHello) {
      if (current !== undefined) probe(++probes) // still on SSE: try again later
      return
    }
    clearTimeout(probeTimer)
    current = undefined
    if (!hasHello) {
      isSse = !useSse // failed before hello: the other transport next, at the same delay
      if (useSse) attempt++ // both failed: back off
    }
    retry()
  }
  try {
    if (useSse) {
      const source = link = new EventSource(`${channel}/events`) // `channel` has no query and no fragment
      // Messages are MessageEvents; EventSource's own `error` event (a failure) is not.
      const listener = (event: Event): void => event instanceof MessageEvent ? receive(event) : end()
      // SSE event names are the message types (`error` also names EventSource's own failure event).
      for (const type of MESSAGE_TYPES) source.addEventListener(type, listener)
    } else {
      const ws = link = new WebSocket(channel.replace(/^http/, 'ws'))
      ws.onmessage = receive
      ws.onerror = ws.onclose = end
      setTimeout(() => hasHello || end(), HELLO_TIMEOUT_MS) // stuck: no error, no close, no hello
    }
  } catch {
    // Firefox throws from `new WebSocket()` when a CSP's connect-src forbids ws:
    // (NS_ERROR_CONTENT_BLOCKED, not a DOMException, and with no message).
    end()
  }
}

function probe (n: number): void {
  probeTimer = setTimeout(() => open(false, true), Math.min(MAX_PROBE_MS, FIRST_PROBE_MS * 2 ** n))
}

function retry (): void {
  isWaiting = true
  if (document.hidden) return // visibilitychange resumes
  const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt)
  timer = setTimeout(reopen, delay * (1 + Math.random()) / 2) // jitter: between half and all of it
}

function reopen (): void {
  clearTimeout(timer)
  isWaiting = false
  open(isSse)
}
