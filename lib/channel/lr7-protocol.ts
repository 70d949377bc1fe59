// LiveReload protocol 7, as livereload-js and the LiveReload browser extensions speak it: what
// each of our messages becomes. Pure: no sockets here.
import type { BuildErrorInfo, ServerMessage } from '../../types/index.js'
import type { Framing } from './peers.js'

/** The LiveReload protocol 7 WebSocket route, where livereload-js and the extensions connect. */
export const LR7_PATH = '/livereload'
/** livereload-js's own script, served beside it. */
export const LR7_SCRIPT_PATH = '/livereload.js'

export const LR7_PROTOCOL = 'http://livereload.com/protocols/official-7'

/** The server's answer to the client's `hello`. */
export const LR7_HELLO = JSON.stringify({ command: 'hello', protocols: [LR7_PROTOCOL], serverName: 'fastify-livereload' })

/** The only commands a protocol 7 server may send after the handshake; anything else is a protocol error to livereload-js. */
export type Lr7Command =
  | { command: 'reload', path: string, liveCSS: true, liveImg: true }
  | { command: 'alert', message: string }

/** Paths livereload-js handles in place (liveCSS, liveImg, its LESS plugin) rather than by reloading the page. */
const IN_PLACE = /\.(?:css|css\.map|less|jpe?g|png|gif|svg)$/i
const MAX_ALERT_CHARS = 2000

/**
 * Our message as protocol 7 commands: a page reload is one `reload` whose path livereload-js
 * cannot handle in place; a stylesheet or image change is one `reload` per path, which it
 * swaps (the file paths of a `css` with `files: true` too: protocol 7 paths were file paths,
 * and livereload-js matches them to the `<link>` with the most trailing names in common, as our
 * client does, though it swaps every stylesheet where ours reloads when none matches); a build
 * error is an `alert`. `hello` is answered in the handshake instead, and
 * `building` and `clear` have no protocol 7 equivalent: nothing is sent for them.
 */
export function lr7Commands (message: ServerMessage): Lr7Command[] {
  switch (message.type) {
    case 'reload':
      return [reload(message.paths.find(path => !IN_PLACE.test(path)) ?? '/')]
    case 'css':
    case 'img':
      return message.paths.length > 0 ? message.paths.map(reload) : [reload('/')]
    case 'error':
      return [{ command: 'alert', message: alertText(message.errors) }]
    default:
      return []
  }
}

export const lr7Frames: Framing = message => lr7Commands(message).map(command => JSON.stringify(command))

/** Whether a client frame is the protocol 7 handshake: `hello` offering official-7. */
export function isLr7Hello (data: string): boolean {
  try {
    const message = JSON.parse(data) as { command?: unknown, protocols?: unknown }
    return message.command === 'hello' && Array.isArray(message.protocols) && message.protocols.includes(LR7_PROTOCOL)
  } catch {
    return false
  }
}

/**
 * A reload of `path`, decoded: protocol 7 paths were file paths, and livereload-js compares the
 * one it is sent, as it is, with each `<link>`'s and `<img>`'s URL path decoded.
 */
function reload (path: string): Lr7Command {
  return { command: 'reload', path: decoded(path), liveCSS: true, liveImg: true }
}

function decoded (path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    return path // not ours (`fastify.liveReload.reload()` sends what it is given)
  }
}

/** A build error as one line of plain text for `alert()`: the first error, and how many more. */
function alertText (errors: BuildErrorInfo[]): string {
  const [first] = errors
  if (first === undefined) return 'Build failed'
  const where = [first.file, first.line, first.column].filter(part => part !== undefined).join(':')
  const more = errors.length > 1 ? `\n(and ${errors.length - 1} more)` : ''
  const text = `Build failed${where === '' ? '' : ` in ${where}`}:\n${first.message}`
  return (text.length > MAX_ALERT_CHARS ? `${text.slice(0, MAX_ALERT_CHARS)}…` : text) + more
}
