// What the client puts on a page (the error overlay, the building badge): an element of its own
// with a shadow root, so the page's CSS does not reach in, styled by a constructed sheet, which a
// strict style-src policy allows where an inline <style> or style attribute would be blocked.

const sheets = new Map<string, CSSStyleSheet>()

/** A new `tag` element (not yet on the page) and its shadow root, styled by `css`. */
export function shadowHost (tag: string, css: string): [HTMLElement, ShadowRoot] {
  if (customElements.get(tag) === undefined) customElements.define(tag, class extends HTMLElement {})
  const host = document.createElement(tag)
  const root = host.attachShadow({ mode: 'open' })
  let sheet = sheets.get(tag)
  if (sheet === undefined) {
    sheet = new CSSStyleSheet()
    sheet.replaceSync(css)
    sheets.set(tag, sheet)
  }
  root.adoptedStyleSheets = [sheet]
  return [host, root]
}

/** Removes every `tag` element from the page. */
export function removeAll (tag: string): void {
  for (const host of document.querySelectorAll(tag)) host.remove()
}
