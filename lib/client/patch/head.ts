// A patch's stylesheets: when the head's `<link rel="stylesheet">` and `<style>` elements differ,
// the new ones go in after the old ones, in their order, and the old ones leave once the new
// links have loaded (or failed): no flash of unstyled content, and the cascade in the new order.
import { describe, SHEETS } from './compare.js'

export function swapSheets (next: Document): void {
  const old = sheetsOf(document)
  const fresh = sheetsOf(next)
  if (old.length === fresh.length && old.every((el, i) => describe(el) === describe(fresh[i]))) return
  // The page's policy allows its own nonce, not the new response's.
  const nonce = old.find(el => el instanceof HTMLElement && el.nonce !== '') as HTMLElement | undefined
  const added = fresh.map(el => {
    const copy = document.importNode(el, true) as HTMLElement
    if (el.hasAttribute('nonce') && nonce !== undefined) copy.nonce = nonce.nonce!
    return copy
  })
  const anchor = old[old.length - 1]
  if (anchor === undefined) document.head.append(...added)
  else anchor.after(...added)
  const loading = added.filter(el => el.localName === 'link').map(async el => await new Promise(resolve => { el.onload = el.onerror = resolve }))
  Promise.all(loading).then(() => { for (const el of old) el.remove() }) // never rejects: an error resolves too
}

function sheetsOf (doc: Document): Element[] {
  return [...doc.head?.children ?? []].filter(el => el.matches(SHEETS))
}
