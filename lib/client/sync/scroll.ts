// Scroll, mirrored proportionally: a tab sends how far along its scrollable range it is, so a
// phone and a desktop land at the same relative place. The window, and the elements the
// `scrollElements` option names.
import type { SyncEvent } from '../../../types/index.js'
import { query } from './selector.js'
import type { Tab } from './tab.js'

/** At most one scroll event a tab sends per this long (ms), and the last position always. */
const THROTTLE_MS = 50

type ScrollEvent = Extract<SyncEvent, { kind: 'scroll' }>

/** Starts sending this tab's scrolling; returns what applies another tab's. */
export function mirrorScroll (tab: Tab, selectors: readonly string[]): (event: ScrollEvent) => void {
  /** Where applying another tab's scroll put each scroller: the scroll event it fires is not sent back. */
  const applied = new Map<number, { left: number, top: number }>()
  const timers = new Map<number, ReturnType<typeof setTimeout>>()
  const sentAt = new Map<number, number>()

  function send (index: number): void {
    const scroller = scrollerAt(index, selectors)
    if (scroller === null) return
    const [x, y] = fractions(scroller)
    sentAt.set(index, performance.now())
    tab.send({ kind: 'scroll', element: index, x, y })
  }

  function onScroll (index: number): void {
    const scroller = scrollerAt(index, selectors)
    if (scroller === null) return
    const mark = applied.get(index)
    if (mark !== undefined) {
      applied.delete(index)
      if (Math.abs(scroller.scrollLeft - mark.left) <= 1 && Math.abs(scroller.scrollTop - mark.top) <= 1) return // ours
    }
    clearTimeout(timers.get(index))
    const wait = THROTTLE_MS - (performance.now() - (sentAt.get(index) ?? -Infinity))
    if (wait <= 0) send(index)
    else timers.set(index, setTimeout(() => send(index), wait)) // the trailing edge: where the scroll stopped
  }

  // Capturing: an element's scroll event does not bubble, but passes the document on its way.
  document.addEventListener('scroll', event => {
    if (!event.isTrusted) return
    const isWindow = event.target === document
    const index = isWindow ? -1 : selectors.findIndex(selector => query(selector) === event.target)
    if (isWindow || index !== -1) onScroll(index)
  }, { capture: true, passive: true })

  return ({ element, x, y }) => {
    const scroller = scrollerAt(element, selectors)
    if (scroller === null) return
    clearTimeout(timers.get(element)) // this tab's own pending send would undo it
    const left = Math.round(x * (scroller.scrollWidth - scroller.clientWidth))
    const top = Math.round(y * (scroller.scrollHeight - scroller.clientHeight))
    // Instant: a smooth scroll (CSS scroll-behavior) would fire at every step on the way.
    scroller.scrollTo({ left, top, behavior: 'instant' as ScrollBehavior })
    applied.set(element, { left: scroller.scrollLeft, top: scroller.scrollTop })
  }
}

/** The window's scroller (-1), or the one element the selector at `index` finds. */
function scrollerAt (index: number, selectors: readonly string[]): Element | null {
  return index === -1 ? document.scrollingElement : query(selectors[index]!)
}

function fractions (scroller: Element): [number, number] {
  const fraction = (at: number, range: number): number => range <= 0 ? 0 : Math.min(1, Math.max(0, at / range))
  return [
    fraction(scroller.scrollLeft, scroller.scrollWidth - scroller.clientWidth),
    fraction(scroller.scrollTop, scroller.scrollHeight - scroller.clientHeight)
  ]
}
