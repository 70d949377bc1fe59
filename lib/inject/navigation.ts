import type { IncomingHttpHeaders } from 'node:http'

/** Where a navigation puts what it loads: a tab, or a frame in one. */
const DOCUMENT_DESTINATIONS = new Set(['document', 'iframe', 'frame'])

/**
 * Whether a request is a browser loading a document into a tab or a frame: what it gets is
 * what the tab shows. Browsers say so in `Sec-Fetch-Mode: navigate` (and `Sec-Fetch-Dest`),
 * whatever the method (a form's POST navigates too). A request with Sec-Fetch headers that do
 * not say so is not one (fetch(), XHR, a script, an `<object>`), whatever its Accept. A client
 * that sends none (older browsers, curl, an API client) is taken for a browser when it is a GET
 * or HEAD whose Accept ranks HTML above JSON, as browsers' navigations do; an Accept of any type alone (curl's) does not.
 */
export function isNavigation (method: string, headers: IncomingHttpHeaders): boolean {
  const mode = headers['sec-fetch-mode']
  const dest = headers['sec-fetch-dest']
  if (typeof mode === 'string') return mode.toLowerCase() === 'navigate' && (typeof dest !== 'string' || DOCUMENT_DESTINATIONS.has(dest.toLowerCase()))
  if (typeof dest === 'string') return DOCUMENT_DESTINATIONS.has(dest.toLowerCase())
  return (method === 'GET' || method === 'HEAD') && prefersHtml(headers.accept)
}

/** Whether an Accept header ranks `text/html` above `application/json` (and accepts it at all). */
export function prefersHtml (accept: string | undefined): boolean {
  if (accept === undefined || accept === '') return false
  const ranges = parseAccept(accept)
  const html = qualityOf(ranges, 'text', 'html')
  return html > 0 && html > qualityOf(ranges, 'application', 'json')
}

interface MediaRange { type: string, subtype: string, q: number }

function parseAccept (accept: string): MediaRange[] {
  const ranges: MediaRange[] = []
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';')
    const [type, subtype] = range.trim().toLowerCase().split('/')
    if (type === undefined || type === '' || subtype === undefined || subtype === '') continue
    let q = 1
    for (const param of params) {
      const [name, value] = param.split('=').map(s => s.trim())
      if (name?.toLowerCase() === 'q') q = Number(value)
    }
    ranges.push({ type, subtype, q: Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0 })
  }
  return ranges
}

/** The quality of a media type: that of the most specific range that matches it (RFC 9110 §12.5.1), 0 for none. */
function qualityOf (ranges: MediaRange[], type: string, subtype: string): number {
  let best = -1
  let q = 0
  for (const range of ranges) {
    const specificity = range.type === type && range.subtype === subtype ? 2 : range.type === type && range.subtype === '*' ? 1 : range.type === '*' && range.subtype === '*' ? 0 : -1
    if (specificity > best) {
      best = specificity
      q = range.q
    } else if (specificity === best && specificity >= 0) {
      q = Math.max(q, range.q)
    }
  }
  return q
}
