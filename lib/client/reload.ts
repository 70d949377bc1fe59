import { log } from './log.js'
import { decodePath } from './url-path.js'

/**
 * A burst of reload messages (several builds in a row) becomes one reload. It also joins the two
 * messages the server can still send for one write on a loaded machine (the file truncated, then
 * written: page-names.test.ts reloaded twice in a loaded CI run once this wait was taken out);
 * until the coalescer never splits a write, it stays, at 30 ms of every reload. A patch does not
 * wait (see reloadPage).
 */
const RELOAD_DEBOUNCE_MS = 30
const SCROLL_KEY = 'livereload:scroll:'

/**
 * Brings the page up to date without reloading it (the `patch` option, patch/), or calls
 * `reload`; settles once done or dropped. `isCurrent()` turns false once a newer message has
 * come: what it asks for follows, with the final content.
 */
export type Patcher = (reason: string, isCurrent: () => boolean) => Promise<void>

/**
 * True in the bundles with the patcher, false in the others (scripts/build.js defines it), which
 * then carry none of what is under `if (PATCHER)`: the client alone stays within its 3 KB.
 */
declare const PATCHER: boolean

let pending: ReturnType<typeof setTimeout> | undefined
/** Whether every message of the burst waiting for its quiet 30 ms could be patched. */
let isPatchable = true
let patcher: Patcher | undefined
/** Counts the messages that asked for a patch or a reload: a patch is current while it was the last. */
let asked = 0
/** A patch under way, and the reason of a message that came meanwhile: one more patch follows it. */
let patching: Promise<void> | undefined
let patchAgain: string | undefined

/** Patches the page, where a reload would only bring the HTML of this page up to date. */
export function usePatcher (patch: Patcher): void {
  patcher = patch
}

/**
 * Reloads the page soon, keeping its scroll position across the reload; or, when every message
 * of the burst `canPatch` and there is a patcher, patches it in place, at once: a patch loses
 * nothing to a message that follows (its fetch is dropped, and one more patch, of the final
 * content, follows the one under way), where a reload would throw the page away twice. A
 * reload waits for a quiet 30 ms.
 */
export function reloadPage (reason: string, canPatch?: boolean): void {
  clearTimeout(pending)
  if (PATCHER) {
    asked++
    isPatchable &&= canPatch === true
    if (isPatchable && patcher !== undefined) return patchNow(reason)
    patchAgain = undefined
  }
  pending = setTimeout(() => {
    if (PATCHER) isPatchable = true
    reload(reason)
  }, RELOAD_DEBOUNCE_MS)
}

/** Patches now, or once the patch under way has settled (it is no longer current then). */
function patchNow (reason: string): void {
  if (patching !== undefined) {
    patchAgain = reason
    return
  }
  const mine = asked
  // The patcher reloads on what goes wrong: nothing is left to reject with.
  patching = patcher!(reason, () => mine === asked).catch(() => {}).finally(() => {
    patching = undefined
    const again = patchAgain
    patchAgain = undefined
    if (again !== undefined && isPatchable) patchNow(again)
  })
}

/** Reloads the page now, keeping its scroll position. */
export function reload (reason: string): void {
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
 * spell a name otherwise than the message. When the paths are HTML pages only, this one among
 * them, a patcher may bring the page up to date instead.
 */
export function reloadIfShown (paths: string[]): void {
  const here = decodePath(location.pathname)
  const names = here.endsWith('/') ? [`${here}index.html`, `${here}index.htm`] : [here, `${here}.html`, `${here}/index.html`]
  const other = paths.length > 0 ? paths.find(path => !/\.html?$/i.test(path)) : 'files'
  const cause = paths.find(path => names.includes(decodePath(path))) ?? other
  if (cause !== undefined) reloadPage(`${cause} changed`, other === undefined)
}

function scrollKey (): string {
  return SCROLL_KEY + location.pathname + location.search
}
