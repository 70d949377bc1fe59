import { log } from './log.js'
import { decodePath } from './url-path.js'

/**
 * A burst of reload messages (several builds in a row) becomes one reload. It also joins the two
 * messages the server can still send for one write on a loaded machine (the file truncated, then
 * written: page-names.test.ts reloaded twice in a loaded CI run once this wait was taken out);
 * until the coalescer never splits a write, it stays, at 30 ms of every reload.
 */
const RELOAD_DEBOUNCE_MS = 30
const SCROLL_KEY = 'livereload:scroll:'

let pending: ReturnType<typeof setTimeout> | undefined

/** Reloads the page soon, keeping its scroll position across the reload. */
export function reloadPage (reason: string): void {
  clearTimeout(pending)
  pending = setTimeout(() => {
    log(`reloading: ${reason}`)
    try {
      sessionStorage.setItem(scrollKey(), JSON.stringify([scrollX, scrollY]))
      // The browser's own restoration would race ours on a page that grows as it loads.
      history.scrollRestoration = 'manual'
    } catch { /* storage disabled: reload without keeping the position */ }
    location.reload()
  }, RELOAD_DEBOUNCE_MS)
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
