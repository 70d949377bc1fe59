// Clicks, mirrored on the element found again in the other tabs. Not on form controls (forms
// mirrors what they do: a click on a checkbox there would tick it twice) nor on a link that
// leaves the page (navigation takes the tabs along once the page it opens has loaded).
import type { SyncEvent } from '../../../types/index.js'
import { destinationOf, linkAt } from './links.js'
import { isPrivate } from './private.js'
import { elementAt, selectorOf } from './selector.js'
import type { Tab } from './tab.js'

const FORM_CONTROLS = 'input, select, textarea, label, option'

/** Starts sending this tab's clicks; returns what applies another tab's. */
export function mirrorClicks (tab: Tab): (event: Extract<SyncEvent, { kind: 'click' }>) => void {
  // A client-side router changes the URL (pushState) in its own click handler: the click was made on the page before.
  let clickedOn = tab.path()
  addEventListener('click', () => { clickedOn = tab.path() }, true)
  // On the window, bubbling: after the page's own listeners, which may have prevented a link's navigation.
  addEventListener('click', event => {
    const target = event.target
    if (!event.isTrusted || tab.isApplying || !(target instanceof Element) || isPrivate(target)) return
    if (isLeftToOthers(target) || leavesPage(target, event.defaultPrevented)) return
    tab.send({ kind: 'click', target: selectorOf(target) }, clickedOn)
  })
  // The same rules on arrival: another tab cannot click here what this tab would not have sent.
  return event => {
    const target = elementAt(event.target)
    if (target === null || isPrivate(target) || isLeftToOthers(target) || leavesPage(target, false, true)) return
    if (target instanceof HTMLElement) target.click()
    else target.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }))
  }
}

/** Form controls and submit buttons (forms mirrors what they do), which clicks leave alone. */
function isLeftToOthers (target: Element): boolean {
  return target.closest(FORM_CONTROLS) !== null || isSubmitter(target)
}

/** A button that submits its form: the form's submit is mirrored instead. */
function isSubmitter (target: Element): boolean {
  const button = target.closest('button')
  return button !== null && button.type === 'submit' && button.form !== null
}

/**
 * A click that follows a link (HTML or SVG) to another page, another window or a download, which
 * the page did not take over (`isPrevented`: a router did). Arriving from another tab
 * (`isArriving`), a link to another page of this origin in this window passes: the tab that sent
 * it saw the page take it over.
 */
function leavesPage (target: Element, isPrevented: boolean, isArriving = false): boolean {
  const link = linkAt(target)
  if (link === null || isPrevented) return false
  const url = destinationOf(link)
  if (url === null || url.origin !== location.origin) return true
  return !isArriving && (url.pathname !== location.pathname || url.search !== location.search)
}
