// Navigation, mirrored: a tab that goes to another page of the site (a link, back or forward,
// a form's result, a typed address) takes the tabs that were on the page it left along. The page
// it arrives at says so, on its first connection: the page it left is remembered when it leaves
// (in this tab's sessionStorage), and a tab that only followed another says nothing on arrival.
// Nor does a tab that a page of another origin opened, and can move by script, unless a person's
// click on a link there led where it arrived.
import type { SyncEvent } from '../../../types/index.js'
import { destinationOf, linkAt } from './links.js'
import { isPrivate } from './private.js'
import { store, take } from './storage.js'
import type { Tab } from './tab.js'

const LEFT_KEY = 'livereload:sync:left'
const FOLLOWED_KEY = 'livereload:sync:followed'
const PRIVATE_KEY = 'livereload:sync:private'
const LED_KEY = 'livereload:sync:led'

/**
 * Starts navigation mirroring; returns what applies another tab's, and `arrived`: what this tab
 * announces on its next connection (the first, or the first after the page came back from the
 * back-forward cache), null when it has nothing to say.
 */
export function mirrorNavigation (tab: Tab): { follow: (event: Extract<SyncEvent, { kind: 'navigate' }>) => void, arrived: () => void } {
  let isLeaving = false
  let arrival = arrivalOf(navigationType())
  const here = (): string => tab.path() + location.hash
  addEventListener('beforeunload', () => { isLeaving = true })
  // A download link or a cancelled leave fires beforeunload too, and the page stays: the user's next move says so.
  for (const type of ['pointerdown', 'keydown']) addEventListener(type, () => { isLeaving = false }, true)
  addEventListener('pagehide', () => { store(LEFT_KEY, tab.path()) })
  addEventListener('pageshow', event => {
    isLeaving = false
    if (event.persisted) arrival = arrivalOf('back_forward')
  })
  // A form with a password (or anything private) whose result page's URL may carry it (GET): that arrival is not announced.
  document.addEventListener('submit', event => {
    if (event.target instanceof HTMLFormElement && [...event.target.elements].some(isPrivate)) store(PRIVATE_KEY, '1')
  }, true)
  // Where a person's click on a link, which the page let through (bubbling, on the window: after its own listeners), takes this tab.
  addEventListener('click', event => {
    const link = event.isTrusted && !event.defaultPrevented && event.target instanceof Element ? linkAt(event.target) : null
    const url = link === null ? null : destinationOf(link)
    if (url?.origin === location.origin) store(LED_KEY, url.pathname + url.search)
  })

  /**
   * The page this tab left, if it came here by going somewhere, not by reloading or following.
   * In a tab another origin opened, only if a person's click on a link here led here (the opener
   * may move it by script; its address bar and back button are the person's too, and go unannounced).
   */
  function arrivalOf (type: string): string | null {
    const left = take(LEFT_KEY)
    const followed = take(FOLLOWED_KEY)
    const wasPrivate = take(PRIVATE_KEY) !== null
    const isLed = take(LED_KEY) === tab.path()
    if (type === 'reload' || left === null || left === tab.path() || followed !== null || wasPrivate) return null
    return isLed || !hasForeignOpener() ? left : null
  }

  return {
    arrived () {
      if (arrival !== null) tab.send({ kind: 'navigate', url: here() }, arrival)
      arrival = null
    },
    follow ({ url }) {
      if (isLeaving) return // on its way already: it mirrored the click or the submit that led there
      const target = new URL(url, location.href)
      if (target.origin !== location.origin || target.pathname + target.search === tab.path()) return
      isLeaving = true
      store(FOLLOWED_KEY, target.pathname + target.search + target.hash)
      location.assign(target.href)
    }
  }
}

/**
 * Whether a page of another origin opened this tab and keeps a hold on it (`window.opener`): it
 * can set this tab's location. Reading another origin's location throws.
 */
function hasForeignOpener (): boolean {
  try {
    return opener !== null && (opener as Window).location.origin !== location.origin
  } catch {
    return true
  }
}

function navigationType (): string {
  return (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.type ?? 'navigate'
}
