import type { ServerMessage } from '../../types/index.js'
import { log } from './log.js'

const FIRST_RETRY_MS = 100
const MAX_RETRY_MS = 3000

/**
 * Keeps one WebSocket open to the channel, for the life of the page: reconnects with capped
 * exponential backoff and jitter, waits while the tab is hidden and retries at once when it is
 * shown again. `restarted` is true for a `hello` from a different server instance than before.
 */
export function connect (url: URL, onMessage: (message: ServerMessage, restarted: boolean) => void): void {
  let instance: string | undefined
  let attempt = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let isWaiting = false
  let isUnloading = false

  // A close caused by leaving the page is not a disconnect: do not retry, do not log.
  addEventListener('pagehide', () => { isUnloading = true })
  addEventListener('pageshow', () => { isUnloading = false })
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && isWaiting) reopen()
  })

  function open (): void {
    const ws = new WebSocket(url)
    ws.onmessage = event => {
      let message: ServerMessage
      try {
        message = JSON.parse(String(event.data)) as ServerMessage
      } catch {
        return
      }
      let restarted = false
      if (message.type === 'hello') {
        attempt = 0
        restarted = instance !== undefined && instance !== message.instance
        if (instance === undefined) log('connected')
        instance = message.instance
      }
      onMessage(message, restarted)
    }
    ws.onclose = () => {
      if (!isUnloading) retry()
    }
  }

  function retry (): void {
    isWaiting = true
    if (document.hidden) return // visibilitychange resumes
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt++)
    timer = setTimeout(reopen, delay / 2 + Math.random() * delay / 2)
  }

  function reopen (): void {
    clearTimeout(timer)
    isWaiting = false
    open()
  }

  open()
}
