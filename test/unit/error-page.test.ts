// The page a stranded tab gets in place of a JSON 404 or 500: pure, no server.
import { homedir } from 'node:os'
import t from 'tap'
import { errorPage, escapeHtml, messageOf } from '../../lib/inject/error-page.js'
import { findInsertion } from '../../lib/inject/whole.js'

t.test('errorPage: the status, the method and the URL, as text, with a </head> for the tag', async t => {
  const page = errorPage({ status: 404, method: 'GET', url: '/docs/a.html?x=1&y=2' })
  t.match(page, '<title>404 Not Found</title>')
  t.match(page, '<h1>404 Not Found</h1>')
  t.match(page, '<code>GET /docs/a.html?x=1&amp;y=2</code>')
  t.notMatch(page, '<pre>', 'no message: no block for it')
  t.notMatch(page, /<script|<style|\son\w+=/i, 'nothing a Content-Security-Policy could refuse')
  t.equal(page.slice(findInsertion(page, '/__livereload/client.js'), page.indexOf('<body>')), '</head>\n', 'the tag goes before </head>')
})

t.test('errorPage: every value is escaped', async t => {
  const page = errorPage({ status: 500, method: 'P<O>ST', url: '/"><script>alert(1)</script>\'', message: '</pre><img src=x onerror=alert(1)>&' })
  t.notMatch(page, /<script|<img|<\/pre><img/)
  t.match(page, '<code>P&lt;O&gt;ST /&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;</code>')
  t.match(page, '<pre>&lt;/pre&gt;&lt;img src=x onerror=alert(1)&gt;&amp;</pre>')
  t.match(errorPage({ status: 599, method: 'GET', url: '/' }), '<title>599 Error</title>', 'a status without a name')
})

t.test('errorPage: why there is no page, by the status', async t => {
  const why = (status: number): string => /<p>(.*?) This page comes from fastify-livereload/.exec(errorPage({ status, method: 'GET', url: '/' }))![1]!
  t.equal(why(404), 'The app has no page for this address.')
  t.equal(why(502), 'The server this one forwards to gave no page for it.')
  t.equal(why(504), 'The server this one forwards to gave no page for it.')
  t.equal(why(500), 'The app answered 500 without a page.')
})

t.test('errorPage: a thrown error is shown whole, escaped: place, frame, the app\'s frames first, all folded', async t => {
  const stack = ['Error: boom', '    at render (node_modules/eta/dist/eta.js:1:2)', '    at handler (routes/page.js:10:5)', '    at node:internal/process/task_queues:95:5', '    at main (app.js:3:1)'].join('\n')
  const page = errorPage({ status: 500, method: 'GET', url: '/', error: { message: 'boom <b>', file: 'views/a.eta', line: 2, frame: '2 | <p>', stack } })
  t.match(page, '<pre>boom &lt;b&gt;</pre>')
  t.match(page, '<p>in <code>views/a.eta:2</code></p>')
  t.match(page, '<pre>2 | &lt;p&gt;</pre>')
  t.match(page, '<h2>Stack</h2>\n<pre>at handler (routes/page.js:10:5)\nat main (app.js:3:1)</pre>')
  t.match(page, '<details><summary>All 4 frames</summary>\n<pre>at render (node_modules/eta/dist/eta.js:1:2)\n')
  t.notMatch(page, /<script|<style|\son\w+=/i)
  const libraryOnly = errorPage({ status: 500, method: 'GET', url: '/', error: { message: 'x', stack: 'Error: x\n    at f (node_modules/a/b.js:1:1)' } })
  t.match(libraryOnly, '<h2>Stack</h2>\n<pre>at f (node_modules/a/b.js:1:1)</pre>', 'no frame of the app: all of them')
  t.notMatch(libraryOnly, '<details>')
  t.notMatch(errorPage({ status: 500, method: 'GET', url: '/', error: { message: 'x' } }), '<h2>', 'no stack: no section')
})

t.test('escapeHtml: the five characters that can open or close markup', async t => {
  t.equal(escapeHtml('<a href="x" title=\'y\'>&amp;</a>'), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;')
  t.equal(escapeHtml('plain é ✓'), 'plain é ✓')
})

t.test('messageOf: the message of a JSON reply, else its text, paths scrubbed and stack frames left out', async t => {
  const cwd = process.cwd()
  const cases: Array<[unknown, string, string | undefined]> = [
    ['{"statusCode":500,"error":"Internal Server Error","message":"boom"}', 'application/json; charset=utf-8', 'boom'],
    [Buffer.from('{"message":"from a buffer"}'), 'application/json', 'from a buffer'],
    ['{"error":"no message here"}', 'application/json', '{"error":"no message here"}'],
    ['{"message":', 'application/json', '{"message":'],
    ['plain words', 'text/plain; charset=utf-8', 'plain words'],
    ['<problem><message>x</message></problem>', 'application/problem+xml', '<problem><message>x</message></problem>'],
    [`{"message":"cannot read ${cwd}/src/a.md"}`, 'application/json', 'cannot read src/a.md'],
    [`read ${homedir()}/notes.txt`, 'text/plain', 'read ~/notes.txt'],
    [`Error: boom\n    at build (${cwd}/build.js:3:9)\n    at /opt/lib/x.js:1:1`, 'text/plain', 'Error: boom'],
    [Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'image/png', undefined],
    [null, '', undefined],
    [undefined, '', undefined],
    ['', 'text/plain', '']
  ]
  for (const [payload, type, expected] of cases) t.equal(messageOf(payload, type), expected, `${type}: ${String(payload)}`)
  const long = messageOf('x'.repeat(10_000), 'text/plain')!
  t.equal(long.length, 2001, 'a long body is cut short')
  t.ok(long.endsWith('…'))
})

t.test('errorPage with editor: the place and every frame\'s are inert links, escaped, and the module that makes them live is loaded; Node\'s own frames are text', async t => {
  const stack = ['Error: boom', '    at render (node_modules/eta/dist/eta.js:1:2)', '    at handler (routes/"x".js:10:5)', '    at node:internal/process/task_queues:95:5', '    at app.js:3:1']
  const page = errorPage({ status: 500, method: 'GET', url: '/', error: { message: 'boom', file: 'views/a.eta', line: 2, column: 7, stack: stack.join('\n') }, editor: { script: '/__livereload/editor.js', nonce: 'n"1' } })
  t.match(page, '<p>in <code><a data-livereload-file="views/a.eta" data-livereload-line="2" data-livereload-column="7" title="Open in your editor">views/a.eta:2:7</a></code></p>')
  t.match(page, 'at handler (<a data-livereload-file="routes/&quot;x&quot;.js" data-livereload-line="10" data-livereload-column="5" title="Open in your editor">routes/&quot;x&quot;.js:10:5</a>)')
  t.match(page, 'at <a data-livereload-file="app.js" data-livereload-line="3" data-livereload-column="1"')
  t.match(page, 'at render (<a data-livereload-file="node_modules/eta/dist/eta.js"', 'a dependency\'s frame too: the error named it')
  t.match(page, '\nat node:internal/process/task_queues:95:5\n', 'Node\'s own frame stays text')
  t.notMatch(page, /href=/, 'no href: the module gives one once it holds the token')
  t.match(page, '<title>500 Internal Server Error</title>\n<script type="module" src="/__livereload/editor.js" nonce="n&quot;1"></script>\n</head>', 'the module, with the response\'s nonce')
  t.notMatch(errorPage({ status: 404, method: 'GET', url: '/', editor: { script: '/__livereload/editor.js', nonce: undefined } }), '<script', 'no error, no places: no module')
  t.notMatch(errorPage({ status: 500, method: 'GET', url: '/', error: { message: 'x', file: 'a.js' }, editor: { script: '/e.js', nonce: undefined } }), '<a ', 'a file without a line: no link')
  t.notMatch(errorPage({ status: 500, method: 'GET', url: '/', error: { message: 'x', file: 'a.js', line: 1, stack: stack.join('\n') } }), /<a |<script/, 'without editor: none, and no script')
})
