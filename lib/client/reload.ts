import { log } from './log.js'
import { decodePath } from './url-path.js'

const SCROLL_KEY = 'livereload:scroll:'

/**
 * Reloads the page now, keeping its scroll position across the reload. The server sends one
 * message per build or burst, so there is nothing to wait for: a wait here (30 ms, before) was
 * added to every reload. A second message while the page unloads starts the same reload again;
 * a reload the page's beforeunload prompt kept from happening is still asked for by the next.
 */
export function reloadPage (reason: string): void {
  log(`reloading: ${reason}`)
  try {
    sessionStorage.setItem(scrollKey(), JSON.stringify([scrollX, scrollY]))
    // The browser's own restoration would race ours on a page that grows as it loads.
    history.scrollRestoration = 'manual'
  } catch { /* storage disabled: reload without keeping the position */ }
  location.reload()
}

/** Puts back the scroll position saved by the reload that loaded this page, once it has loaded. */
export function restoreScroll (): void {
  let saved: string | null = null
  try {
    saved = sessionStorage.getItem(scrollKey())
    sessionStorage.removeItem(scrollKey())
  } catch { /* storage disabled */ }
  if (saved === null) return
  const [x, y] = JSON.parse(saved) as [number, number]
  const apply = (): void => {
    scrollTo(x, y)
    history.scrollRestoration = 'auto'
  }
  if (document.readyState === 'complete') apply()
  else addEventListener('load', apply) // once: a page loads once
}

/**
 * Reloads the page when a change to `paths` concerns it: this page's own path, else a file that
 * is not an HTML page (any page may use it), and the console names it; when every path is
 * another page, the page stays as it is. Both sides are compared decoded: the page's URL may
 * spell a name otherwise than the message.
 */
export function reloadIfShown (paths: string[]): void {
  const here = decodePath(location.pathname)
  const names = here.endsWith('/') ? [`${here}index.html`, `${here}index.htm`] : [here, `${here}.html`, `${here}/index.html`]
  const cause = paths.length > 0 ? paths.find(path => names.includes(decodePath(path))) ?? paths.find(path => !/\.html?$/i.test(path)) : 'files'
  if (cause !== undefined) reloadPage(`${cause} changed`)
}

function scrollKey (): string {
  return SCROLL_KEY + location.pathname + location.search
}
