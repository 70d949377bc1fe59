import t from 'tap'
import { HtmlScanner } from '../../lib/inject/html-scan.js'
import { findInsertion } from '../../lib/inject/whole.js'

const SRC = '/__livereload/client.js'
const TAG = `<script src="${SRC}" defer></script>`

t.test('findInsertion finds the one right place (‸ marks it)', async t => {
  const cases: Array<[string, string]> = [
    ['before </head>', '<html><head><title>x</title>‸</head><body></body></html>'],
    ['any case', '<HTML><HEAD>‸</HEAD></HTML>'],
    ['after <body…> without </head>', '<body class="a">‸x</body>'],
    ['before </html> without head or body', '<html><p>x</p>‸</html>'],
    ['appended to a fragment', '<p>x</p>‸'],
    ['empty', '‸'],
    ['not a </head> in a script', '<head><script>"</head>"</script>‸</head>'],
    ['not in a comment', '<head><!-- </head> -->‸</head>'],
    ['not in an attribute', '<head><meta content="</head>">‸</head>'],
    ['not in a single-quoted attribute', "<head><meta content='<body>'>‸</head>"],
    ['not in style, textarea or title', '<head><style>a{}</head></style><title></head></title>‸</head>'],
    ['not <body inside a script string', '<script>"<body>"</script><body>‸'],
    ['a script end tag in any case', '<head><script>x</SCRIPT>‸</head>'],
    ['not <headline>', '<head></headline>‸</head>'],
    ['a doctype and processing instruction', '<!doctype html><?xml x?><head>‸</head>'],
    ['a BOM and multibyte text', '\uFEFF<head><title>é漢</title>‸</head>']
  ]
  for (const [name, marked] of cases) t.equal(findInsertion(marked.replace('‸', ''), SRC), marked.indexOf('‸'), name)
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

/** Feeds `html` to a scanner one character at a time, as a stream would; where it put the tag, and the most it held back. */
function scanByteAtATime (html: string): { found: number, held: number } {
  const scanner = new HtmlScanner(SRC)
  let pending = ''
  let base = 0
  let held = 0
  for (const char of html) {
    const text = pending + char
    const settled = scanner.scan(text, base, false)
    if (scanner.found >= 0) break
    pending = text.slice(settled - base)
    base = settled
    held = Math.max(held, pending.length)
  }
  if (scanner.found === -1) scanner.scan(pending, base, true) // the end of the stream
  return { found: scanner.found, held }
}

t.test('the scanner finds the same place when fed one byte at a time', async t => {
  const html = '<!doctype html><html><head><!-- </head> --><script>if (a</b) "</head>"</script><style>x</style><meta content="</head>"></head><body>'
  const { found, held } = scanByteAtATime(html)
  t.ok(held <= 20, 'only a few characters are ever held back')
  t.equal(found, findInsertion(html, SRC))
})

t.test('a raw-text end tag is the name followed by whitespace, "/" or ">", as the HTML tokenizer reads it', async t => {
  const cases: Array<[string, string]> = [
    ["a string '</script'+'>' does not end the script", '<head><script>var s = \'</script\' + \'>\'; var t = "</head>"</script>‸</head>'],
    ['"</script" then a quote does not end it', '<head><script>"</script"; "</head>"</script>‸</head>'],
    ['nor a longer name', '<head><script>"</scripts>"; "</head>"</script>‸</head>'],
    ['whitespace after the name ends it', '<head><script>x</script\n>‸</head>'],
    ['"/" after the name ends it', '<head><script>x</script/>‸</head>'],
    ['the same rule for style', '<head><style>a::after { content: "</style" } b { content: "</head>" }</style>‸</head>'],
    ['and for title', '<head><title></title-x></head></title>‸</head>'],
    ['a script escaped by <!-- ends at </script>', '<head><script><!-- x </script>‸</head>'],
    ['<!--<script> inside a script: the next </script> does not end it', '<head><script><!--<script></script>"</head>"--></script>‸</head>'],
    ['--> leaves the double escape', '<head><script><!--<script>-->"</head>"</script>‸</head>'],
    ['</script> leaves the double escape for the escape', '<head><script><!--<script>"</head>"</script>-->"</head>"</script>‸</head>'],
    ['<!--> is an escape opened and closed', '<head><script><!--><script></script>‸</head>'],
    ['an escape far into a long script', `<head><script>${'x = "</p>";\n'.repeat(500)}<!--<script></script>"</head>"--></script>‸</head>`]
  ]
  for (const [name, marked] of cases) t.equal(findInsertion(marked.replace('‸', ''), SRC), marked.indexOf('‸'), name)
})

t.test('template contents are skipped: a </head>, <body> or </html> there is not the document\'s', async t => {
  const cases: Array<[string, string]> = [
    ['</head> inside a template', '<head><template><p>x</p></head></template>‸</head><body>'],
    ['<body> inside a template in head', '<html><head><template><body>x</template><title>t</title>‸</head>'],
    ['<body> inside a template without </head>', '<template><body class="t"></template><body>‸'],
    ['nested templates', '<head><template><template></template></head></template>‸</head>'],
    ['any case', '<head><TEMPLATE></HEAD></Template>‸</head>'],
    ['</html> inside a template', '<html><template></html></template><p>x</p>‸</html>'],
    ['a stray </template> changes nothing', '<head></template>‸</head>']
  ]
  for (const [name, marked] of cases) t.equal(findInsertion(marked.replace('‸', ''), SRC), marked.indexOf('‸'), name)
  t.not(findInsertion(`<head><template>${TAG}</template></head>`, SRC), -1, 'a client tag inside a template never runs: not the tag')
})

t.test('the raw-text and template rules hold when the scanner is fed one byte at a time', async t => {
  const pages = [
    '<head><script>var s = \'</script\' + \'>\'; var t = "</head>"</script></head>',
    '<head><script><!--<script></script>"</head>"--></script></head>',
    '<head><template><template></template></head><body></template></head>'
  ]
  for (const html of pages) {
    const { found } = scanByteAtATime(html)
    t.equal(found, findInsertion(html, SRC), html)
    t.equal(found, html.lastIndexOf('</head>'), `${html}: the real </head>`)
  }
})
