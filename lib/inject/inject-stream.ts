import { Transform, type TransformCallback } from 'node:stream'
import { HtmlScanner } from './html-scan.js'
import { isUtf16 } from './whole.js'

/** Bytes of a stream chunk turned into a string and scanned at a time. */
const SCAN_WINDOW = 4096
const EMPTY = Buffer.alloc(0)

/**
 * Passes a stream of unknown length through (streamed rendering), putting the tag in once where
 * findInsertion() would: before </head> or after <body…> when they come (found across chunk
 * boundaries; only a few bytes are ever held back), else before the first </html> (what follows
 * it is held until the end: usually a newline), else at the end. Memory stays constant and the
 * first byte is not delayed. A page whose BOM says UTF-16 passes untouched.
 *
 * What it cannot do without holding the rest of the page: see a client tag of the page's own
 * that comes after the insertion point. Pages of known length never come here (hooks.ts).
 */
export class InjectStream extends Transform {
  private readonly scanner: HtmlScanner
  /** Received bytes not yet pushed: they start at absolute offset `sent`. */
  private unsent: Buffer = EMPTY
  private sent = 0
  /** Absolute offset up to which the scanner has settled the page. */
  private scanned = 0
  private state: 'start' | 'scanning' | 'done' = 'start'

  constructor (private readonly tag: Buffer, clientSrc: string) {
    super()
    this.scanner = new HtmlScanner(clientSrc)
  }

  override _transform (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.state === 'done') return callback(null, chunk)
    this.unsent = this.unsent.length > 0 ? Buffer.concat([this.unsent, chunk]) : chunk
    if (this.state === 'start') {
      if (this.unsent.length < 2) return callback()
      if (isUtf16(this.unsent)) return callback(null, this.finish())
      this.state = 'scanning'
    }
    this.scan(false)
    callback()
  }

  override _flush (callback: TransformCallback): void {
    if (this.state !== 'done' && !this.scan(true)) {
      const { htmlEnd } = this.scanner
      this.insertAt(htmlEnd >= 0 ? htmlEnd : this.sent + this.unsent.length)
    }
    callback()
  }

  /**
   * Scans what is unscanned, a window at a time (</head> is usually in the first, and the rest of
   * a large chunk is then never turned into a string). True once the tag is in.
   */
  private scan (isFinal: boolean): boolean {
    const data = this.unsent
    for (let from = this.scanned - this.sent; ;) {
      const to = Math.min(data.length, from + SCAN_WINDOW)
      const settled = this.scanner.scan(data.toString('latin1', from, to), this.sent + from, isFinal && to === data.length)
      if (this.scanner.found >= 0) {
        this.insertAt(this.scanner.found)
        return true
      }
      this.scanned = settled
      if (to === data.length || settled - this.sent <= from) break
      from = settled - this.sent
    }
    // Everything settled goes on, except from a real </html> on: the tag may yet go before it.
    const { htmlEnd } = this.scanner
    const upTo = (htmlEnd >= 0 ? Math.min(htmlEnd, this.scanned) : this.scanned) - this.sent
    if (upTo > 0) {
      this.push(this.unsent.subarray(0, upTo))
      this.unsent = this.unsent.subarray(upTo)
      this.sent += upTo
    }
    return false
  }

  /** Pushes what is held with the tag at absolute offset `at` (nothing when the page has its own), and passes the rest through. */
  private insertAt (at: number): void {
    const cut = at - this.sent
    this.push(this.unsent.subarray(0, cut))
    if (!this.scanner.hasTag) this.push(this.tag)
    const rest = this.finish().subarray(cut)
    if (rest.length > 0) this.push(rest)
  }

  private finish (): Buffer {
    const held = this.unsent
    this.unsent = EMPTY
    this.state = 'done'
    return held
  }
}
