// The tag put into a whole page, a string or a Buffer: the pure part of the injection.
import { HtmlScanner } from './html-scan.js'

/** Whether bytes start with a UTF-16 byte order mark (either order): not ASCII-compatible, left alone. */
export function isUtf16 (bytes: Buffer): boolean {
  return bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
}

/**
 * The page with the tag in place, as a Buffer of its bytes; the payload itself, untouched, when
 * no tag belongs there (it holds one already, or its BOM says UTF-16).
 *
 * A string comes out as a Buffer of its UTF-8 bytes with the tag in place. Node writes a
 * string body by flattening it with the headers and encoding it to UTF-8 a character at a time
 * (`writev`); a Buffer it hands to the socket as it is. An ASCII page (its UTF-8 length is its
 * length) is copied into the Buffer as Latin-1, which is a plain memory copy, so injecting costs
 * less than the encoding it saves: no string is rebuilt, flattened or encoded per response.
 */
export function withTag<T extends string | Buffer> (payload: T, tag: Buffer, clientSrc: string): T | Buffer {
  if (typeof payload === 'string') {
    const at = findInsertion(payload, clientSrc)
    return at === -1 ? payload : encodeWithTag(payload, at, tag)
  }
  const bytes = payload as Buffer
  if (isUtf16(bytes)) return payload
  const at = findInsertion(bytes.toString('latin1'), clientSrc)
  return at === -1 ? payload : Buffer.concat([bytes.subarray(0, at), tag, bytes.subarray(at)])
}

/** The UTF-8 bytes of `html` with `tag` before the character at `at` (never inside a surrogate pair: it is a '<' or the end). */
function encodeWithTag (html: string, at: number, tag: Buffer): Buffer {
  const bytes = Buffer.byteLength(html)
  const out = Buffer.allocUnsafe(bytes + tag.length)
  if (bytes === html.length) { // ASCII: Latin-1 bytes are the UTF-8 bytes, and offsets agree
    out.write(html, 0, at, 'latin1')
    tag.copy(out, at)
    out.write(html.slice(at), at + tag.length, 'latin1')
    return out
  }
  const head = out.write(html.slice(0, at), 0)
  tag.copy(out, head)
  out.write(html.slice(at), head + tag.length)
  return out
}

/**
 * The part of the client's URL to look for in a whole page before scanning all of it for an
 * existing tag: from its first '_' or '.' on. V8 finds a string by looking for its first
 * character first, and '/' (every end tag has one) makes that crawl; '_' is rare in HTML, so
 * the default '__livereload/client.js' is found (or not) in a 20 KB page about 20 times faster.
 * Any part of the URL will do: a false hit only costs the full scan that decides.
 */
function needleOf (clientSrc: string): string {
  const underscore = clientSrc.indexOf('_')
  return clientSrc.slice(underscore !== -1 ? underscore : Math.max(0, clientSrc.lastIndexOf('.')))
}

/**
 * Where the tag goes in a whole document: before the real </head>, else after <body…>, else
 * before </html>, else at the end. -1 when the document already holds the tag.
 */
export function findInsertion (html: string, clientSrc: string): number {
  const scanner = new HtmlScanner(clientSrc, html.includes(needleOf(clientSrc)))
  scanner.scan(html, 0, true)
  if (scanner.hasTag) return -1
  if (scanner.found >= 0) return scanner.found
  return scanner.htmlEnd >= 0 ? scanner.htmlEnd : html.length
}
