// The injected bytes of string pages the app sends again unchanged: the common case of a dev
// server (a page reloaded, opened in several tabs, a template rendered from the same data).

/** Pages longer than this are injected afresh each time: the cache holds many small pages, not a few huge ones. */
export const MAX_CACHED_PAGE = 512 * 1024
/** Pages held at most, and their bytes at most (string and Buffer counted once each). */
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
 * allocation and the copies it saves. Two pages of one length take turns in their slot.
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

  function evict (length: number): void {
    const entry = pages.get(length)
    if (entry === undefined) return
    pages.delete(length)
    held -= entry.html.length + entry.bytes.length
  }

  return {
    get (html) {
      const entry = pages.get(html.length)
      return entry !== undefined && entry.html === html ? entry.bytes : undefined
    },
    set (html, bytes) {
      if (html.length > MAX_CACHED_PAGE) return
      evict(html.length)
      while (pages.size >= MAX_CACHED_PAGES || (pages.size > 0 && held + html.length + bytes.length > MAX_CACHED_BYTES)) {
        evict(pages.keys().next().value!) // the oldest
      }
      pages.set(html.length, { html, bytes })
      held += html.length + bytes.length
    }
  }
}
