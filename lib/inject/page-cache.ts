// The injected bytes of string pages the app sends again unchanged: the common case of a dev
// server (a page reloaded, opened in several tabs, a template rendered from the same data).

/** Pages whose bytes are more than this are injected afresh each time: the cache holds many small pages, not a few huge ones. */
export const MAX_CACHED_PAGE = 512 * 1024
/** Pages held at most, and their memory at most (a string counted at two bytes a character, the most V8 takes). */
export const MAX_CACHED_PAGES = 32
export const MAX_CACHED_BYTES = 8 * 1024 * 1024

export interface PageCache {
  /** The bytes made for a page equal to `html` earlier, if still held. */
  get: (html: string) => Buffer | undefined
  set: (html: string, bytes: Buffer) => void
}

/**
 * A small cache from a page (its string) to the bytes sent for it, tag included. Looked up by
 * length, then compared whole: the same string object is one pointer comparison; an equal
 * string rendered again is a comparison of its characters, cheaper than the scan, the
 * allocation and the copies it saves. One page per length: two pages of one length take turns
 * in their slot. The page used longest ago goes first.
 *
 * Why it pays: a Buffer made per response is allocated outside V8's heap and freed only after
 * a collection, so the process keeps taking fresh pages from the kernel (about one page fault
 * per 20 KB response), where a page served again costs none of it and no encoding either.
 * Strings only: they cannot change, while a Buffer the app sends may be written to before its
 * next response. The bytes handed out are shared between responses: nothing in Node or
 * Fastify writes into a payload, and an onSend hook must not either (docs/injection.md).
 */
export function createPageCache (): PageCache {
  const pages = new Map<number, { html: string, bytes: Buffer }>()
  let held = 0
  /** The length of the page used last: already at the end of the Map's order. */
  let last = -1

  const size = (entry: { html: string, bytes: Buffer }): number => 2 * entry.html.length + entry.bytes.length

  function evict (length: number): void {
    const entry = pages.get(length)
    if (entry === undefined) return
    pages.delete(length)
    held -= size(entry)
  }

  return {
    get (html) {
      const entry = pages.get(html.length)
      if (entry === undefined || entry.html !== html) return undefined
      if (last !== html.length) { // to the end of the Map's order: used last, evicted last
        pages.delete(html.length)
        pages.set(html.length, entry)
        last = html.length
      }
      return entry.bytes
    },
    set (html, bytes) {
      if (bytes.length > MAX_CACHED_PAGE) return
      evict(html.length)
      const entry = { html, bytes }
      while (pages.size >= MAX_CACHED_PAGES || (pages.size > 0 && held + size(entry) > MAX_CACHED_BYTES)) {
        evict(pages.keys().next().value!) // used longest ago
      }
      pages.set(html.length, entry)
      last = html.length
      held += size(entry)
    }
  }
}
