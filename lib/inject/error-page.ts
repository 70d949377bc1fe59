import type { BuildErrorInfo } from '../../types/index.js'
import { framePlace } from '../editor/places.js'
import { STATUS_CODES } from '../node-http.js'
import { scrubPaths } from '../paths.js'

export interface ErrorPageFacts {
  status: number
  method: string
  /** The request's URL as it came: attacker-controlled, shown as text. */
  url: string
  /** What the reply said (see messageOf), if anything. */
  message?: string | undefined
  /**
   * The error the route threw (a 5xx), as the overlay shows a build's (normalizeErrors): its
   * place, the code frame a template engine gives, the stack; paths shown as displayPath() does.
   */
  error?: BuildErrorInfo | undefined
  /**
   * When its places (`file:line:column`, and each stack frame's) are links that open the editor:
   * the module that gives them an href once it holds the token (`{path}/editor.js`), and the
   * response's script nonce. The links are `<a data-livereload-file data-livereload-line
   * data-livereload-column>`, inert until then.
   */
  editor?: { script: string, nonce: string | undefined } | undefined
}

/** Characters of a reply's body shown on the page at most. */
const MAX_MESSAGE = 2000

/**
 * The page a tab gets in place of a reply it could not recover from (a JSON 404 or 500): what
 * happened, as text (for an error a route threw: where, its code frame and its stack), and room
 * for the client tag (a `</head>`). No inline script, no inline style: the response's
 * Content-Security-Policy may allow neither, and every value in it is escaped. With `editor`,
 * the module that makes its places links, a same-origin script with the response's nonce.
 */
export function errorPage ({ status, method, url, message, error, editor }: ErrorPageFacts): string {
  const editorLinks = editor !== undefined && error !== undefined
  const title = escapeHtml(`${status} ${STATUS_CODES[status] ?? 'Error'}`)
  // What the reply said, which an app's own error handler may have put in its own words; else what was thrown.
  const said = message === undefined || message === '' ? error?.message : message
  return '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta name="color-scheme" content="light dark">\n' +
    `<title>${title}</title>\n` +
    (editorLinks ? `<script type="module" src="${escapeHtml(editor.script)}"${editor.nonce === undefined ? '' : ` nonce="${escapeHtml(editor.nonce)}"`}></script>\n` : '') +
    `</head>\n<body>\n<h1>${title}</h1>\n` +
    `<p><code>${escapeHtml(method)} ${escapeHtml(url)}</code></p>\n` +
    (said === undefined || said === '' ? '' : `<pre>${escapeHtml(said)}</pre>\n`) +
    (error === undefined ? '' : details(error, said, editorLinks)) +
    (error === undefined
      ? `<p>${noPage(status)} This page comes from fastify-livereload, in its place, ` +
        'so that this tab reloads by itself once the page is back.</p>\n'
      : '<p>The route failed. This page comes from fastify-livereload, in place of the error reply, ' +
        'so that this tab reloads by itself once the fix is saved.</p>\n') +
    '</body>\n</html>\n'
}

/** Why there is no page, by the status: the app has none, the server behind could not give one, or the app answered an error. */
function noPage (status: number): string {
  if (status === 404) return 'The app has no page for this address.'
  if (status === 502 || status === 504) return 'The server this one forwards to gave no page for it.'
  return `The app answered ${status} without a page.`
}

/** Where an error is, its code frame, and its stack: the frames of the app's own code first, then all of them. */
function details ({ message, file, line, column, frame, stack }: BuildErrorInfo, said: string | undefined, editorLinks: boolean): string {
  let html = message === said ? '' : `<pre>${escapeHtml(message)}</pre>\n`
  if (file !== undefined) {
    const where = escapeHtml([file, line, column].filter(part => part !== undefined).join(':'))
    html += `<p>in <code>${editorLinks && line !== undefined ? placeLink(where, file, line, column) : where}</code></p>\n`
  }
  if (frame !== undefined) html += `<pre>${escapeHtml(frame)}</pre>\n`
  const frames = (stack ?? '').split('\n').filter(text => STACK_FRAME.test(text)).map(text => text.trim())
  if (frames.length === 0) return html
  const own = frames.filter(text => !LIBRARY_FRAME.test(text))
  const shown = (texts: string[]): string => texts.map(text => editorLinks ? frameHtml(text) : escapeHtml(text)).join('\n')
  html += `<h2>Stack</h2>\n<pre>${shown(own.length > 0 ? own : frames)}</pre>\n`
  if (own.length > 0 && own.length < frames.length) html += `<details><summary>All ${frames.length} frames</summary>\n<pre>${shown(frames)}</pre>\n</details>\n`
  return html
}

/** A stack frame, its place a link. Frames are trimmed: put back the indent the pattern wants. */
function frameHtml (text: string): string {
  const place = framePlace(`    ${text}`)
  if (place === null) return escapeHtml(text)
  const where = escapeHtml(`${place.file}:${place.line}:${place.column}`)
  return `${escapeHtml(place.before.trimStart())}${placeLink(where, place.file, place.line, place.column)}${escapeHtml(place.after)}`
}

/** `html` (escaped text) as a link to a place: inert until the client gives it an `href`. */
function placeLink (html: string, file: string, line: number, column: number | undefined): string {
  const columnAttribute = column === undefined ? '' : ` data-livereload-column="${escapeHtml(String(column))}"`
  return `<a data-livereload-file="${escapeHtml(file)}" data-livereload-line="${escapeHtml(String(line))}"${columnAttribute} title="Open in your editor">${html}</a>`
}

/** A frame of a dependency or of Node itself, not of the app's code. */
const LIBRARY_FRAME = /node_modules[\\/]|\(node:|\bat node:|\(<anonymous>\)$/

/**
 * What a reply's body says, for the page: the `message` of a JSON body (Fastify's not-found
 * and error replies), else the body's text; nothing for a body that is not text. Paths are
 * shown as displayPath() shows them and stack frames are left out: the page never carries the
 * layout of the developer's disk.
 */
export function messageOf (payload: unknown, contentType: string): string | undefined {
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return undefined
  if (contentType !== '' && !/^\s*(text\/|application\/([\w.+-]+\+)?(json|xml)\b)/i.test(contentType)) return undefined
  const text = typeof payload === 'string' ? payload.slice(0, MAX_MESSAGE * 2) : payload.toString('utf8', 0, MAX_MESSAGE * 8)
  let message = text
  if (/^\s*\{/.test(text)) {
    try {
      const body = JSON.parse(text) as unknown
      if (body !== null && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') message = (body as { message: string }).message
    } catch { /* cut short, or not JSON after all: shown as text */ }
  }
  const shown = scrubPaths(message).split('\n').filter(line => !STACK_FRAME.test(line)).join('\n').trim()
  return shown.length > MAX_MESSAGE ? `${shown.slice(0, MAX_MESSAGE)}…` : shown
}

/** A line of a V8 stack trace: `    at fn (/path/file.js:1:2)`. */
const STACK_FRAME = /^\s+at\s/

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text as HTML text or attribute value: nothing in it can open or close markup. */
export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => ENTITIES[c]!)
}
