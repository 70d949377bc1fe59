// A property of the injector: for generated documents, on every payload kind (string, Buffer,
// stream in random chunks of 1 B to 64 KB with and without a Content-Length, and gzip, br and
// deflate streams), the response is the document plus exactly one tag where the browser would
// run it, or the document untouched where no tag belongs. The generator knows by construction
// where that is: documents are made of pieces whose meaning to the HTML tokenizer is known
// (decoys that hold "</head>" or "<body>" as text, and the real markers). Seeded: a failure
// names its seed and case; INJECT_SEED=<n> replays it.
import { Readable } from 'node:stream'
import { brotliCompressSync, brotliDecompressSync, constants, deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib'
import t from 'tap'
import { harness } from './helpers/harness.js'

const SRC = '/__livereload/client.js'
const TAG = `<script src="${SRC}" defer></script>`
const SEED = Number(process.env.INJECT_SEED ?? 18)
const CASES = 200

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = Math.imul(state ^ (state >>> 15), 1 | state)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

type Random = () => number
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!

/** Pieces that hold markup as text only: no real </head>, <body>, </html> or client script among them. */
const DECOYS: ReadonlyArray<(random: Random) => string> = [
  random => pick(random, ['x', 'héllo', '漢字', '😀', 'a > b', 'a < b', '1 / 2', '&amp;', ' ', '\n', '</header>', '<headline>', '<bodyguard>']),
  random => 'y'.repeat(Math.floor(random() < 0.1 ? random() * 70_000 : random() * 300)),
  random => pick(random, ['<!-- </head> <body> </html> -->', '<!---->', '<!-- a -- b -->', `<!-- ${TAG} -->`, '<!--->x-->']),
  random => pick(random, [
    '<script>var s = \'</script\' + \'>\'; var t = "</head><body>"</script>',
    '<script type="module">const x = "<body>"</script>',
    '<script><!--<script></script>"</head>"--></script>',
    '<script><!-- "</html>" --></script>',
    '<SCRIPT>x = "</SCRIPT" + ">"</SCRIPT >',
    `<script>document.write("<script src='${SRC}'><\\/script>")</script>`,
    '<script><!--<script>-->"</head>"</script>'
  ]),
  // a long script: its escapes and "</" decoys fall across the scanner's windows
  random => `<script>${'x = "</p>" - 1;\n'.repeat(Math.floor(random() * 600))}${pick(random, ['<!--<script>"</head>"</script>-->', '<!-- "<body>" ', ''])}${'y = "</head>";\n'.repeat(Math.floor(random() * 300))}</script>`,
  random => pick(random, ['<style>a::after { content: "</head><body>" } b { content: "</style" }</style>', '<title>a </head> <body> b</title>',
    '<textarea></head><body></html></textarea>', '<noscript><body></noscript>']),
  random => pick(random, ['<meta content="</head><body>">', "<meta content='<body>'>", '<p title="</html>">x</p>', `<img alt='${TAG}'>`, '<br/>', '<div class="a">']),
  random => pick(random, [`<template></head><body></html>${TAG}</template>`, '<template><template></head></template><body></template>', '<TEMPLATE></HEAD></Template>'])
]
const HEAD_END = ['</head>', '</HEAD>', '</head >', '</head\n>']
const BODY_START = ['<body>', '<BODY class="a">', '<body data-x="<head>">']
const HTML_END = ['</html>', '</HTML>']
const OWN_TAGS = [TAG, `<script defer src='${SRC}'></script>`, `<script src=http://localhost:3000${SRC}></script>`]

interface Doc {
  text: string
  /** Index in `text` where the tag goes, or -1 when the document holds its own. */
  at: number
  /** The document's own tag comes after where ours would go: a stream of unknown length cannot know (docs/injection.md). */
  ownTagLate: boolean
  /** The index where ours would go were it not for the document's own tag. */
  place: number
  utf16: 'utf16le' | 'utf16be' | null
}

function generate (random: Random): Doc {
  const parts: string[] = [pick(random, ['', '<!doctype html>\n', '\uFEFF<!DOCTYPE html>', '<?xml version="1.0"?>'])]
  const decoys = (): void => { for (let n = Math.floor(random() * 5); n > 0; n--) parts.push(pick(random, DECOYS)(random)) }
  let place = -1
  const mark = (): void => { place = parts.join('').length }
  const structure = pick(random, ['full', 'noHeadEnd', 'bodyOnly', 'htmlOnly', 'fragment'])
  switch (structure) {
    case 'full':
      parts.push('<html><head>'); decoys(); mark(); parts.push(pick(random, HEAD_END), pick(random, BODY_START)); decoys(); parts.push('</body>', pick(random, HTML_END), pick(random, ['', '\n', '<!-- after -->']))
      break
    case 'noHeadEnd':
      parts.push('<html><head>'); decoys(); parts.push(pick(random, BODY_START)); mark(); decoys(); parts.push(pick(random, HTML_END), '\n')
      break
    case 'bodyOnly':
      decoys(); parts.push(pick(random, BODY_START)); mark(); decoys()
      break
    case 'htmlOnly':
      parts.push('<html>'); decoys(); mark(); parts.push(pick(random, HTML_END), pick(random, ['', '\n', '<!-- after -->\n']))
      break
    default:
      decoys(); mark()
  }
  let text = parts.join('')
  let at = place
  let ownTagLate = false
  if (random() < 0.15) { // the document's own tag, between two pieces
    const boundaries = [0]
    for (let i = 0, sum = 0; i < parts.length; i++) boundaries.push(sum += parts[i]!.length)
    const where = pick(random, boundaries.filter(b => b >= parts[0]!.length))
    text = text.slice(0, where) + pick(random, OWN_TAGS) + text.slice(where)
    // A stream puts ours in as soon as it meets </head> or <body…>: an own tag past that comes too late.
    // (Before </html> or at the end it holds back, and sees it.)
    const isBodyPlace = structure === 'noHeadEnd' || structure === 'bodyOnly'
    ownTagLate = (structure === 'full' || isBodyPlace) && (where > place || (where === place && isBodyPlace))
    if (where < place || (where === place && !isBodyPlace)) place += text.length - parts.join('').length
    at = -1
  }
  const utf16 = random() < 0.08 ? pick(random, ['utf16le', 'utf16be'] as const) : null
  return { text, at, ownTagLate, place, utf16 }
}

function bytesOf (doc: Doc): Buffer {
  if (doc.utf16 === null) return Buffer.from(doc.text)
  const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc.text, 'utf16le')])
  if (doc.utf16 === 'utf16be') bytes.swap16()
  return bytes
}

/** Random chunk sizes, log-uniform from 1 B to 64 KB. */
function chunks (random: Random, bytes: Buffer): Buffer[] {
  const out: Buffer[] = []
  for (let at = 0; at < bytes.length;) {
    const size = Math.max(1, Math.floor(Math.exp(random() * Math.log(65_536))))
    out.push(bytes.subarray(at, at + size))
    at += size
  }
  return out
}

const KINDS = ['string', 'buffer', 'stream', 'sized stream', 'gzip stream', 'br stream', 'deflate stream'] as const
type Kind = typeof KINDS[number]
const CODINGS: Partial<Record<Kind, [string, (b: Buffer) => Buffer, (b: Buffer) => Buffer]>> = {
  'gzip stream': ['gzip', b => gzipSync(b), gunzipSync],
  'br stream': ['br', b => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }), brotliDecompressSync],
  'deflate stream': ['deflate', b => deflateSync(b), inflateSync]
}

t.test(`the response is the document plus one tag where it runs, on every payload kind (seed ${SEED})`, async t => {
  let current: { doc: Doc, bytes: Buffer, random: Random } | undefined
  const { app } = await harness(t, {
    options: { root: false },
    setup: server => {
      server.get('/:kind', (request, reply) => {
        const { doc, bytes, random } = current!
        const kind = (request.params as { kind: Kind }).kind
        reply.type('text/html')
        if (kind === 'string') return reply.send(doc.text)
        if (kind === 'buffer') return reply.send(bytes)
        const coding = CODINGS[kind]
        const body = coding === undefined ? bytes : coding[1](bytes)
        if (coding !== undefined) reply.header('content-encoding', coding[0])
        if (kind === 'sized stream') reply.header('content-length', body.length)
        return reply.send(Readable.from(chunks(random, body), { objectMode: false }))
      })
    },
    listen: false
  })

  const random = prng(SEED)
  const failures: Record<string, string[]> = {}
  const seen = { tagged: 0, own: 0, utf16: 0, late: 0 }
  for (let n = 0; n < CASES; n++) {
    const doc = generate(random)
    const bytes = bytesOf(doc)
    current = { doc, bytes, random }
    seen[doc.utf16 !== null ? 'utf16' : doc.at === -1 ? (doc.ownTagLate ? 'late' : 'own') : 'tagged']++
    for (const kind of KINDS) {
      if (kind === 'string' && doc.utf16 !== null) continue // a string is UTF-8 on the wire
      const res = await app.inject({ url: `/${encodeURIComponent(kind)}`, headers: { 'accept-encoding': 'gzip, br, deflate' } })
      const coding = CODINGS[kind]
      const body = coding === undefined ? res.rawPayload : coding[2](res.rawPayload)
      const at = doc.utf16 !== null ? -1 : kind === 'stream' && doc.ownTagLate ? doc.place : doc.at
      const expected = at === -1 ? bytes : Buffer.concat([Buffer.from(doc.text.slice(0, at)), Buffer.from(TAG), Buffer.from(doc.text.slice(at))])
      const problems = [
        res.statusCode !== 200 && `status ${res.statusCode}`,
        !body.equals(expected) && 'body',
        coding !== undefined && res.headers['content-encoding'] !== coding[0] && `content-encoding ${String(res.headers['content-encoding'])}`,
        res.headers['content-length'] !== undefined && Number(res.headers['content-length']) !== res.rawPayload.length && 'content-length'
      ].filter(Boolean)
      if (problems.length > 0) {
        (failures[kind] ??= []).push(`case ${n} (${problems.join(', ')}): ${JSON.stringify(doc.text.length > 300 ? doc.text.slice(0, 300) + '…' : doc.text)}${doc.utf16 ?? ''}`)
      }
    }
  }
  for (const kind of KINDS) t.same(failures[kind]?.slice(0, 5) ?? [], [], `${kind}: every case`)
  t.ok(seen.tagged > CASES / 2 && seen.own > 0 && seen.utf16 > 0 && seen.late > 0, `the generator made each kind of document: ${JSON.stringify(seen)}`)
})
