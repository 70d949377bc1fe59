// Where the command's upstream stopped answering (a Flask, Django or Rails dev server restarting on
// its own code change), the tabs it left on an error page come back by themselves: the upstream is
// asked again, paced, until it answers anything at all, and then every tab reloads. Nothing is
// asked while it answers: only a request it did not answer starts the asking.
import { request as httpsRequest } from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import { request as httpRequest } from './node-http.js'

/** The first wait, doubled after each unanswered question up to MAX_MS: a restart is back within a second or two. */
const FIRST_MS = 250
const MAX_MS = 2000
/** How long one question may go unanswered (ms). */
const ASK_MS = 2000
/** How long the upstream is asked for at most (ms); the next request it does not answer asks again. */
const GIVE_UP_MS = 30 * 60_000

export interface UpstreamReturn {
  /** A request got no answer: ask the upstream until it answers (once at a time), then `onBack`. */
  lost (): void
  close (): void
}

/** `upstream()` of the moment is asked; `isInsecure` as the proxy's own: a self-signed upstream answers too. */
export function upstreamReturn (upstream: () => URL | null, isInsecure: boolean, onBack: (target: URL) => void): UpstreamReturn {
  let asking: AbortController | null = null
  let isClosed = false

  async function ask (signal: AbortSignal): Promise<void> {
    const started = Date.now()
    for (let wait = FIRST_MS; !signal.aborted && Date.now() - started < GIVE_UP_MS; wait = Math.min(MAX_MS, wait * 2)) {
      await sleep(wait, undefined, { signal }).catch(() => {})
      const target = upstream()
      if (signal.aborted || target === null) continue
      if (await answers(target, isInsecure, signal)) return onBack(target)
    }
  }

  return {
    lost () {
      if (isClosed || asking !== null) return
      const own = asking = new AbortController()
      ask(own.signal).catch(() => {}).finally(() => { if (asking === own) asking = null })
    },
    close () {
      isClosed = true
      asking?.abort()
    }
  }
}

/** Whether `target` answers a HEAD request with anything (any status). */
async function answers (target: URL, isInsecure: boolean, signal: AbortSignal): Promise<boolean> {
  return await new Promise(resolve => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest
    const request = send(target, { method: 'HEAD', agent: false, rejectUnauthorized: !isInsecure, signal: AbortSignal.any([signal, AbortSignal.timeout(ASK_MS)]) }, response => {
      response.resume()
      resolve(true)
    })
    request.on('error', () => resolve(false))
    request.end()
  })
}
