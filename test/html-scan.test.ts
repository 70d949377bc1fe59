import t from 'tap'
import { findInsertion, HtmlScanner, injectTag } from '../lib/inject/html-scan.js'

const SRC = '/__livereload/client.js'
const TAG = `<script src="${SRC}" defer></script>`

t.test('injectTag puts the tag in the one right place', async t => {
  const cases: Array<[string, string, string]> = [
    ['before </head>', '<html><head><title>x</title></head><body></body></html>', `<html><head><title>x</title>${TAG}</head><body></body></html>`],
    ['any case', '<HTML><HEAD></HEAD></HTML>', `<HTML><HEAD>${TAG}</HEAD></HTML>`],
    ['after <body…> without </head>', '<body class="a">x</body>', `<body class="a">${TAG}x</body>`],
    ['before </html> without head or body', '<html><p>x</p></html>', `<html><p>x</p>${TAG}</html>`],
    ['appended to a fragment', '<p>x</p>', `<p>x</p>${TAG}`],
    ['empty', '', TAG],
    ['not a </head> in a script', '<head><script>"</head>"</script></head>', `<head><script>"</head>"</script>${TAG}</head>`],
    ['not in a comment', '<head><!-- </head> --></head>', `<head><!-- </head> -->${TAG}</head>`],
    ['not in an attribute', '<head><meta content="</head>"></head>', `<head><meta content="</head>">${TAG}</head>`],
    ['not in a single-quoted attribute', "<head><meta content='<body>'></head>", `<head><meta content='<body>'>${TAG}</head>`],
    ['not in style, textarea or title', '<head><style>a{}</head></style><title></head></title></head>', `<head><style>a{}</head></style><title></head></title>${TAG}</head>`],
    ['not <body inside a script string', '<script>"<body>"</script><body>', `<script>"<body>"</script><body>${TAG}`],
    ['a script end tag in any case', '<head><script>x</SCRIPT></head>', `<head><script>x</SCRIPT>${TAG}</head>`],
    ['not <headline>', '<head></headline></head>', `<head></headline>${TAG}</head>`],
    ['a doctype and processing instruction', '<!doctype html><?xml x?><head></head>', `<!doctype html><?xml x?><head>${TAG}</head>`],
    ['a BOM and multibyte text', '\uFEFF<head><title>é漢</title></head>', `\uFEFF<head><title>é漢</title>${TAG}</head>`]
  ]
  for (const [name, html, expected] of cases) t.equal(injectTag(html, TAG, SRC), expected, name)
})

t.test('a page that holds the tag already is left alone', async t => {
  for (const html of [
    `<head>${TAG}</head>`,
    `<head></head><body><script defer src='${SRC}'></script></body>`,
    `<head><script src=http://localhost:3000${SRC}></script></head>`
  ]) {
    t.equal(findInsertion(html, SRC), -1, html)
  }
  t.not(findInsertion(`<head></head><p>${SRC} is our client</p>`, SRC), -1, 'the path in text is not the tag')
})

t.test('the scanner finds the same place when fed one byte at a time', async t => {
  const html = '<!doctype html><html><head><!-- </head> --><script>if (a</b) "</head>"</script><style>x</style><meta content="</head>"></head><body>'
  const expected = findInsertion(html, SRC)
  const scanner = new HtmlScanner(SRC)
  let pending = ''
  let base = 0
  for (const char of html) {
    const text = pending + char
    const settled = scanner.scan(text, base, false)
    if (scanner.found >= 0) break
    pending = text.slice(settled - base)
    base = settled
    t.ok(pending.length <= 20, 'only a few characters are ever held back')
  }
  if (scanner.found === -1) scanner.scan(pending, base, true) // the end of the stream
  t.equal(scanner.found, expected)
})
