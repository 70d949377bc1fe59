// dist/client-editor.js, served at `{path}/editor.js`: places in errors (`file:line:column`) as
// links that open the person's editor. A module of its own, so the client stays within its
// budget: the overlay imports it when it shows errors (overlay.ts), and the route error page
// (inject/error-page.ts) loads it with a script tag. It turns the overlay's place headings into
// links, now and in every overlay shown later, and gives the route error page's
// `<a data-livereload-file>`, which have none, an href. Console lines carry the [livereload] prefix.
import { log } from '../log.js'

/** The channel: this module sits at `{path}/editor.js`. */
const channel = new URL('.', import.meta.url).href.replace(/\/$/, '')

/** `file:line` or `file:line:column`, as the overlay writes a place (the file may hold colons: C:\…). */
const PLACE = /^(.+?):(\d+)(?::(\d+))?$/

let token: Promise<string | null> | undefined

/** The server's token, from a route only this page's origin can read; null when it has no editor route for this page. */
async function editorToken (): Promise<string | null> {
  token ??= fetch(`${channel}/editor`, { cache: 'no-store' })
    .then(async res => res.ok ? (await res.json() as { token: string }).token : null)
    .catch(() => null)
  const value = await token
  if (value === null) token = undefined // off, or not reached: asked again next time
  return value
}

/**
 * Makes the places under `root` links to the editor: the overlay's headings (`h2` children of
 * its section) and the route error page's `<a data-livereload-file>`. Once the token is here.
 */
function link (root: ParentNode): void {
  for (const heading of root.querySelectorAll(':scope > h2')) {
    const match = PLACE.exec(heading.textContent ?? '')
    if (match === null || heading.firstElementChild !== null) continue
    const anchor = document.createElement('a')
    anchor.textContent = match[0]
    anchor.dataset.livereloadFile = match[1]
    anchor.dataset.livereloadLine = match[2]
    if (match[3] !== undefined) anchor.dataset.livereloadColumn = match[3]
    anchor.style.color = 'inherit' // CSSOM, which a strict style-src allows
    heading.replaceChildren(anchor)
  }
  const links = [...root.querySelectorAll<HTMLAnchorElement>('a[data-livereload-file]:not([data-livereload-bound])')]
  for (const anchor of links) anchor.dataset.livereloadBound = '' // a second copy of the client leaves them
  if (links.length === 0) return
  editorToken().then(value => {
    if (value === null) return
    for (const anchor of links) {
      anchor.href = '#'
      anchor.title = 'Open in your editor'
      anchor.addEventListener('click', event => {
        event.preventDefault()
        openPlace(anchor)
      })
    }
  }).catch(() => {})
}

function openPlace (anchor: HTMLAnchorElement): void {
  const { livereloadFile: file, livereloadLine: line, livereloadColumn: column } = anchor.dataset
  editorToken().then(async value => {
    const res = await fetch(`${channel}/open-in-editor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ file, line: Number(line), column: column === undefined ? undefined : Number(column), token: value })
    })
    if (res.ok) return
    const { message } = await res.json().catch(() => ({ message: res.statusText })) as { message: string }
    anchor.title = message
    log(`cannot open ${String(file)} in the editor: ${message}`)
  }).catch(() => log(`cannot open ${String(file)} in the editor: the server is not reachable`))
}

/** The overlays on the page (overlay.ts puts each in a shadow root on the root element). */
function linkOverlays (): void {
  for (const host of document.querySelectorAll('livereload-overlay')) {
    const section = host.shadowRoot?.querySelector('section')
    if (section != null) link(section)
  }
}

// Evaluated once per page, however often it is imported: the overlays shown from now on are
// watched for. An overlay replaces the one before on the root element.
linkOverlays()
new MutationObserver(linkOverlays).observe(document.documentElement, { childList: true })
link(document)
