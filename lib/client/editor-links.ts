// Places in errors (`file:line:column`) as links that open the person's editor: those of the
// overlay, and those of the route error page the server sends (inject/error-page.ts), whose
// `<a data-livereload-file>` have no href until the token is here. See docs/client.md.
import { log } from './log.js'

/** The channel, beside this script: read while the script runs (document.currentScript is null later). */
const channel = ((document.currentScript as HTMLScriptElement | null)?.src ?? `${location.origin}/__livereload/client.js`).replace(/\/client\.js(?:[?#].*)?$/, '')

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

/** Gives the place links under `root` that have none an href, and a click that opens the editor there. */
export function enableEditorLinks (root: ParentNode): void {
  const links = [...root.querySelectorAll<HTMLAnchorElement>('a[data-livereload-file]:not([data-livereload-bound])')]
  if (links.length === 0) return
  for (const link of links) link.dataset.livereloadBound = '' // a second copy of the client leaves them
  editorToken().then(value => {
    if (value === null) return
    for (const link of links) {
      link.href = '#'
      link.addEventListener('click', event => {
        event.preventDefault()
        openPlace(link)
      })
    }
  })
}

function openPlace (link: HTMLAnchorElement): void {
  const { livereloadFile: file, livereloadLine: line, livereloadColumn: column } = link.dataset
  editorToken().then(async value => {
    const res = await fetch(`${channel}/open-in-editor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ file, line: Number(line), column: column === undefined ? undefined : Number(column), token: value })
    })
    if (res.ok) return
    const { message } = await res.json().catch(() => ({ message: res.statusText })) as { message: string }
    link.title = message
    log(`cannot open ${String(file)} in the editor: ${message}`)
  }).catch(() => log(`cannot open ${String(file)} in the editor: the server is not reachable`))
}

// The route error page's places: the page is parsed when this deferred script runs.
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => enableEditorLinks(document))
else enableEditorLinks(document)
