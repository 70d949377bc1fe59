// Finding an element again in another tab: a CSS selector made from the element's place in the
// page, from its nearest ancestor with a unique id. The other tab shows the same page, so the
// same place holds the same element there (a phone's layout moves it, its place stays).

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

/** The element another tab named, if this page has it (a selector is never anything but looked up). */
export function elementAt (selector: string): Element | null {
  try {
    return document.querySelector(selector)
  } catch {
    return null // not a selector this browser reads
  }
}

function placeAmongType (node: Element): number {
  let place = 1
  for (let sibling = node.previousElementSibling; sibling !== null; sibling = sibling.previousElementSibling) {
    if (sibling.localName === node.localName) place++
  }
  return place
}
