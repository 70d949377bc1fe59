// What the client puts on a page (the error overlay, the building badge): an element of its own
// with a shadow root, so the page's CSS does not reach in, styled by a constructed sheet, which a
// strict style-src policy allows where an inline <style> or style attribute would be blocked.

/**
 * Puts a new `tag` element on the page, in place of any there before, and returns its shadow
 * root (whose `host` it is), styled by `css`.
 */
export function showHost (tag: string, css: string): ShadowRoot {
  removeAll(tag)
  if (customElements.get(tag) === undefined) customElements.define(tag, class extends HTMLElement {})
  const host = document.createElement(tag)
  const root = host.attachShadow({ mode: 'open' })
  const sheet = new CSSStyleSheet() // one per element shown: a few a minute at most
  sheet.replaceSync(css)
  root.adoptedStyleSheets = [sheet]
  document.documentElement.append(host)
  return root
}

/** Removes every `tag` element from the page. */
export function removeAll (tag: string): void {
  for (const host of document.querySelectorAll(tag)) host.remove()
}
