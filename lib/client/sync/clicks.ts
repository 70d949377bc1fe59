// Clicks, mirrored on the element found again in the other tabs. Not on form controls (forms
// mirrors what they do: a click on a checkbox there would tick it twice) nor on a link that
// leaves the page (navigation takes the tabs along once the page it opens has loaded).
import type { SyncEvent } from '../../../types/index.js'
import { isPrivate } from './private.js'
import { elementAt, selectorOf } from './selector.js'
import type { Tab } from './tab.js'

const FORM_CONTROLS = 'input, select, textarea, label, option'

/** Starts sending this tab's clicks; returns what applies another tab's. */
export function mirrorClicks (tab: Tab): (event: Extract<SyncEvent, { kind: 'click' }>) => void {
  // On the window, bubbling: after the page's own listeners, which may have prevented a link's navigation.
  addEventListener('click', event => {
    const target = event.target
    if (!event.isTrusted || tab.isApplying || !(target instanceof Element) || isPrivate(target)) return
    if (target.closest(FORM_CONTROLS) !== null || isSubmitter(target) || leavesPage(target, event)) return
    tab.send({ kind: 'click', target: selectorOf(target) })
  })
  return event => {
    const target = elementAt(event.target)
    if (target instanceof HTMLElement && !isPrivate(target)) target.click()
    else if (target instanceof SVGElement && !isPrivate(target)) target.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }))
  }
}

/** A button that submits its form: the form's submit is mirrored instead. */
function isSubmitter (target: Element): boolean {
  const button = target.closest('button')
  return button !== null && button.type === 'submit' && button.form !== null
}

/** A click that follows a link to another page (or another window), which the page did not take over. */
function leavesPage (target: Element, event: MouseEvent): boolean {
  const link = target.closest('a[href], area[href]') as HTMLAnchorElement | HTMLAreaElement | null
  if (link === null || event.defaultPrevented) return false
  if (link.target !== '' && link.target !== '_self') return true
  const url = new URL(link.href, location.href)
  return url.origin !== location.origin || url.pathname !== location.pathname || url.search !== location.search
}
