// Whether a new version of the page can be patched onto the page shown: only what the body shows,
// the title and stylesheets may differ. Scripts would have to run again to be up to date, and
// what the rest of the head says (a <base>, a <meta>, a preload, an icon) takes a load to apply.

/** Stylesheets: a patch swaps them (head.ts). */
export const SHEETS = 'link[rel~="stylesheet" i],style'

/** Why `next` cannot be patched onto `live`, or null when it can. */
export function whyNotPatch (live: Document, next: Document): string | null {
  if (!isSame(scripts(live), scripts(next))) return 'a script changed'
  if (describe(live.documentElement, false) !== describe(next.documentElement, false)) return 'the <html> element changed'
  if (!isSame(headRest(live), headRest(next))) return 'the <head> changed'
  return null
}

/**
 * Every script and every inline event handler, in document order. A script's `nonce` is left
 * out: a page's nonce changes with every response, and a running page hides its own.
 */
function scripts (doc: Document): string[] {
  const found: string[] = []
  for (const el of doc.querySelectorAll('*')) {
    if (el.localName === 'script') found.push(describe(el))
    for (const { name, value } of el.attributes) if (/^on/i.test(name)) found.push(`${el.localName} ${name}=${value}`)
  }
  return found
}

/** The head's elements but the title, stylesheets and scripts (compared apart). */
function headRest (doc: Document): string[] {
  return [...doc.head?.children ?? []].filter(el => el.localName !== 'title' && el.localName !== 'script' && !el.matches(SHEETS)).map(el => describe(el))
}

/** An element as a string: its name, its attributes but `nonce` (sorted), and, with `withContent`, its markup. */
export function describe (el: Element, withContent = true): string {
  const attributes = [...el.attributes].filter(({ name }) => name !== 'nonce').map(({ name, value }) => `${name}=${JSON.stringify(value)}`).sort()
  return `<${el.localName} ${attributes.join(' ')}>${withContent ? el.innerHTML : ''}`
}

function isSame (a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i])
}
