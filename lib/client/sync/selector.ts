// Finding an element again in another tab: a CSS selector made from the element's place in the
// page, from its nearest ancestor with a unique id. The other tab shows the same page, so the
// same place holds the same element there (a phone's layout moves it, its place stays).
import { SYNC_SELECTOR } from '../../sync-limits.js'

/** A selector that finds `element` in a copy of this page. */
export function selectorOf (element: Element): string {
  const steps: string[] = []
  for (let node: Element | null = element; node !== null && node !== document.documentElement; node = node.parentElement) {
    if (node.id !== '') {
      const id = `#${CSS.escape(node.id)}`
      if (document.querySelectorAll(id).length === 1) {
        steps.unshift(id)
        return steps.join(' > ')
      }
    }
    steps.unshift(`${CSS.escape(node.localName)}:nth-of-type(${placeAmongType(node)})`)
  }
  steps.unshift(':root')
  return steps.join(' > ')
}

/**
 * The element another tab named, if this page has it. Only a selector of the form `selectorOf`
 * writes is looked up (a costly one would freeze this tab), and it is never anything but looked up.
 */
export function elementAt (selector: string): Element | null {
  return SYNC_SELECTOR.test(selector) ? query(selector) : null
}

/** The first element `selector` finds (the developer's own: `scrollElements`); null for one this browser does not read. */
export function query (selector: string): Element | null {
  try {
    return document.querySelector(selector)
  } catch {
    return null
  }
}

function placeAmongType (node: Element): number {
  let place = 1
  for (let sibling = node.previousElementSibling; sibling !== null; sibling = sibling.previousElementSibling) {
    if (sibling.localName === node.localName) place++
  }
  return place
}
