// Finds where the client tag goes in an HTML document: before the real </head>, else after the
// <body…> start tag. "Real" means outside comments, attribute values, <template> contents (inert:
// nothing there runs) and the raw text of <script>, <style>, <textarea> and friends, where a
// "</head>" is only text. Raw text ends as the HTML tokenizer ends it: at "</name" followed by
// whitespace, "/" or ">", and for a script not inside "<!--<script>" (its escape states). Works on whole
// strings and incrementally on a stream's chunks (as latin1 strings: markup is ASCII and UTF-8
// multi-byte sequences never contain ASCII bytes, so offsets are byte offsets). It jumps with
// indexOf and regexes rather than walking characters: pages are the hot path.

const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript', 'plaintext'])
/** Enough text after a '<' to read any tag name that matters here, and the character after it. */
const LOOKAHEAD = 16
/** A <script> start tag longer than this is not ours (ours is short): stop capturing it. */
const MAX_TAG_CAPTURE = 2048
const QUOTE_OR_END = /["'>]/g
const NAME = /[A-Za-z][A-Za-z0-9:-]*/y
/** In an escaped script (after "<!--"): what changes its state. */
const ESCAPED_SCRIPT = /-->|<\/?script/gi
/** Characters of a script searched for "<!--" at a time. */
const ESCAPE_WINDOW = 2048
/** Longest token whose end decides something in raw text: "</script" and the character after it. */
const RAW_HOLD = 9

/** A script's raw text: plain, escaped (after "<!--") or double escaped (after "<!--<script>"). */
type ScriptState = 0 | 1 | 2

type Mode = 'text' | 'comment' | 'bogus' | 'tag' | 'raw'

export class HtmlScanner {
  /** Absolute offset where the tag goes, once found (-1 before). */
  found = -1
  /** Absolute offset of the first real </html>, or -1. */
  htmlEnd = -1
  /** Whether a <script> whose src is the client was seen. */
  hasTag = false

  private mode: Mode = 'text'
  private quote = ''
  private tagName = ''
  private isEndTag = false
  private raw = ''
  private script: ScriptState = 0
  /** <template> elements open: what they hold is inert. */
  private templates = 0
  private captured: string | null = null

  /**
   * @param clientSrc the client's URL path: a script with this src means the tag is there already
   * @param scanAll keep scanning after the insertion point (to find an existing tag in <body>)
   */
  constructor (private readonly clientSrc: string, private readonly scanAll = false) {}

  /**
   * Scans `text`, which starts at absolute offset `base` in the document, from the state the
   * previous call left. Returns the absolute offset up to which the text is settled: a caller
   * feeding chunks passes the rest (a few bytes at most) back in front of the next chunk.
   */
  scan (text: string, base: number, isFinal: boolean): number {
    const n = text.length
    let i = 0
    while (i < n) {
      if (this.found >= 0 && !this.scanAll) return base + i
      switch (this.mode) {
        case 'text': {
          const lt = text.indexOf('<', i)
          if (lt === -1) return base + n
          if (lt + LOOKAHEAD > n && !isFinal) return base + lt
          i = this.openTag(text, lt, base)
          break
        }
        case 'comment': {
          const end = text.indexOf('-->', i)
          if (end === -1) return base + Math.max(i, n - 2)
          this.mode = 'text'
          i = end + 3
          break
        }
        case 'bogus': {
          const end = text.indexOf('>', i)
          if (end === -1) return base + n
          this.mode = 'text'
          i = end + 1
          break
        }
        case 'tag':
          i = this.inTag(text, i, base)
          break
        case 'raw': {
          const next = this.raw === 'script' ? this.scriptText(text, i, isFinal) : this.rawText(text, i, isFinal)
          if (next < 0) return base + ~next
          i = next
          break
        }
      }
    }
    return base + n
  }

  /** At a '<' in text: what it opens. Returns where to go on. */
  private openTag (text: string, lt: number, base: number): number {
    if (text.startsWith('<!--', lt)) {
      this.mode = 'comment'
      return lt + 4
    }
    const next = text[lt + 1]
    if (next === '!' || next === '?') {
      this.mode = 'bogus'
      return lt + 2
    }
    const isEnd = next === '/'
    NAME.lastIndex = lt + (isEnd ? 2 : 1)
    const name = NAME.exec(text)?.[0]
    if (name === undefined) {
      if (isEnd) this.mode = 'bogus' // "</ x": a bogus comment to the next '>'
      return lt + 1
    }
    const lower = name.toLowerCase()
    if (isEnd && this.templates === 0) {
      if (lower === 'head' && this.found === -1) this.found = base + lt
      if (lower === 'html' && this.htmlEnd === -1) this.htmlEnd = base + lt
    }
    if (isEnd && lower === 'template' && this.templates > 0) this.templates--
    this.startTag(lower, isEnd)
    return NAME.lastIndex
  }

  private startTag (name: string, isEnd: boolean): void {
    this.mode = 'tag'
    this.tagName = name
    this.isEndTag = isEnd
    this.captured = !isEnd && name === 'script' ? '' : null
  }

  /** Inside a tag: attribute values may hold '>' and '<'; only a '>' outside quotes ends it. */
  private inTag (text: string, i: number, base: number): number {
    if (this.quote !== '') {
      const close = text.indexOf(this.quote, i)
      this.capture(text, i, close === -1 ? text.length : close + 1)
      if (close === -1) return text.length
      this.quote = ''
      return close + 1
    }
    QUOTE_OR_END.lastIndex = i
    const match = QUOTE_OR_END.exec(text)
    this.capture(text, i, match === null ? text.length : match.index + 1)
    if (match === null) return text.length
    if (match[0] !== '>') {
      this.quote = match[0]
      return match.index + 1
    }
    this.endTag(base + match.index + 1)
    return match.index + 1
  }

  private capture (text: string, from: number, to: number): void {
    if (this.captured === null) return
    this.captured += text.slice(from, to)
    if (this.captured.length > MAX_TAG_CAPTURE) this.captured = null
  }

  private endTag (after: number): void {
    this.mode = 'text'
    if (this.isEndTag) return
    if (this.templates === 0) {
      if (this.captured !== null && isClientScript(this.captured, this.clientSrc)) this.hasTag = true
      if (this.tagName === 'body' && this.found === -1) this.found = after
    }
    if (this.tagName === 'template') this.templates++
    if (RAW_TEXT.has(this.tagName)) {
      this.mode = 'raw'
      this.raw = this.tagName
      this.script = 0
    }
  }

  /**
   * Raw text from `i` (style, textarea, title…): at its end tag, the index after the tag's name
   * (the tag itself is read as any other). Otherwise ~(where to resume): the text is settled
   * up to there, and the few bytes after it may start the end tag.
   */
  private rawText (text: string, i: number, isFinal: boolean): number {
    const n = text.length
    const length = this.raw.length
    for (let j = text.indexOf('</', i); j !== -1; j = text.indexOf('</', j + 2)) {
      const after = j + 2 + length
      if (after >= n) {
        if (isFinal) break
        return ~j // the character after the name decides: wait for it
      }
      if (isEndTagDelimiter(text.charCodeAt(after)) && text.slice(j + 2, after).toLowerCase() === this.raw) {
        this.startTag(this.raw, true)
        return after
      }
    }
    return ~(isFinal ? n : Math.max(i, n - 3 - length)) // "</", the name and the character after it
  }

  /**
   * A script's text from `i`, through the tokenizer's escape states: "<!--" escapes, "-->"
   * unescapes, "<script" in an escaped script double-escapes (its "</script" then only
   * unescapes once). Returns as rawText does.
   */
  private scriptText (text: string, i: number, isFinal: boolean): number {
    const n = text.length
    let j = i
    let settled = i // no token handled in this call starts after this point: the caller may scan again from there
    // The next "<!--": searched a window at a time (a search of the whole rest of a page, where
    // there is usually none, costs more than the script), and not again for each "</".
    let escapeAt = -1 // a "<!--" found, or -1
    let searchedTo = i // no "<!--" starts in [i, searchedTo) but at escapeAt
    const nextEscape = (from: number, stop: number): number => {
      if (escapeAt >= from) return escapeAt < stop ? escapeAt : -1
      if (searchedTo >= stop) return -1
      const start = Math.max(from, searchedTo)
      const to = Math.min(n, Math.max(stop, start + ESCAPE_WINDOW))
      const k = text.slice(start, Math.min(n, to + 3)).indexOf('<!--')
      if (k !== -1 && start + k < to) {
        escapeAt = start + k
        searchedTo = escapeAt + 1
        return escapeAt < stop ? escapeAt : -1
      }
      searchedTo = to
      return -1
    }
    while (true) {
      let at: number
      let token: string
      if (this.script === 0) {
        const end = text.indexOf('</', j)
        const escape = nextEscape(j, end === -1 ? n : end)
        at = escape !== -1 ? escape : end
        token = escape !== -1 ? '<!--' : '</'
      } else {
        ESCAPED_SCRIPT.lastIndex = j
        const match = ESCAPED_SCRIPT.exec(text)
        at = match === null ? -1 : match.index
        token = match === null ? '' : match[0][1] === '/' ? '</' : match[0] === '-->' ? '-->' : '<'
      }
      if (at === -1 || (!isFinal && at + RAW_HOLD > n && token !== '-->' && !(token === '<!--' && at + 4 <= n))) {
        if (at !== -1 && !isFinal) return ~Math.max(settled, at)
        return ~(isFinal ? n : Math.max(settled, n - RAW_HOLD))
      }
      if (token === '<!--') {
        this.script = 1
        j = at + 2 // "<!-->": the "-->" shares its dashes
      } else if (token === '-->') {
        this.script = 0
        j = at + 3
      } else {
        const nameEnd = at + (token === '</' ? 8 : 7)
        const isScriptTag = nameEnd < n && isEndTagDelimiter(text.charCodeAt(nameEnd)) && text.slice(nameEnd - 6, nameEnd).toLowerCase() === 'script'
        j = at + 2
        if (isScriptTag) {
          if (token === '<') {
            this.script = 2
          } else if (this.script === 2) {
            this.script = 1
          } else {
            this.startTag('script', true)
            return nameEnd
          }
          j = nameEnd
        }
      }
      settled = j
    }
  }
}

/** What may follow an end tag's name: whitespace, "/" or ">". */
function isEndTagDelimiter (code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 12 || code === 13 || code === 47 || code === 62
}

function isClientScript (tagText: string, clientSrc: string): boolean {
  const src = /\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(tagText)
  const value = src?.[1] ?? src?.[2] ?? src?.[3]
  return value !== undefined && (value === clientSrc || value.endsWith(clientSrc))
}
