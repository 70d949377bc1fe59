// The command's proxy mode in real Chromium: a page of another server (gzip, its own WebSocket)
// gets the client through the proxy, keeps its own socket, and reloads when a watched file changes;
// a watched stylesheet that the page links, at whatever URL, is swapped in place instead.
import { once } from 'node:events'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Page } from 'playwright-core'
import t from 'tap'
import { WebSocketServer } from 'ws'
import { browserContext, colourShown, countLoads, hasMarker, setMarker, sharedTab, survivesSwap, until, visit } from '../helpers/browser.js'
import { serveCommand } from '../helpers/cli.js'
import { fixture } from '../helpers/fixture.js'
import { restartablePort } from '../helpers/restart-port.js'

const tab = await sharedTab(t, await browserContext(t))

/** The upstream's page: it opens a WebSocket to its own server and shows what comes back. */
const PAGE = (title: string): string => `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title}</title></head>
<body><p id="echo">waiting</p><script>
const ws = new WebSocket(location.origin.replace('http', 'ws') + '/echo')
ws.onopen = () => ws.send('ping')
ws.onmessage = event => { document.getElementById('echo').textContent = event.data }
</script></body></html>`

t.test('a proxied page gets the client, keeps its own WebSocket, and reloads on a watched change', async t => {
  const watched = fixture(t, { 'template.html': 'one' })
  let title = 'one'
  const upstream = createServer((_req, res) => {
    const page = gzipSync(PAGE(title))
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip', 'content-length': page.length }).end(page)
  })
  const echo = new WebSocketServer({ server: upstream, path: '/echo' })
  echo.on('connection', ws => ws.on('message', data => ws.send(`upstream says ${String(data)}`)))
  upstream.listen(0, '127.0.0.1')
  await once(upstream, 'listening')
  t.teardown(() => { echo.close(); upstream.closeAllConnections(); upstream.close() })

  const command = await serveCommand(t, ['--proxy', `http://127.0.0.1:${(upstream.address() as { port: number }).port}`, '--watch', watched])
  const connected = (page: Page): Promise<unknown> => page.waitForEvent('console', { predicate: message => message.text() === '[livereload] connected', timeout: 20_000 })
  const page = await visit(t, tab, `${command.url}/`, connected)
  await until(page, () => document.getElementById('echo')?.textContent === 'upstream says ping')
  t.pass('the page\'s own WebSocket reaches the upstream through the proxy')
  await setMarker(page)
  const loads = countLoads(page)

  const reloaded = page.waitForEvent('load')
  title = 'two'
  writeFileSync(join(watched, 'template.html'), 'two')
  await reloaded
  t.equal(await page.title(), 'two', 'the upstream\'s new page')
  t.notOk(await hasMarker(page), 'a full reload')
  t.equal(loads(), 1)
  await command.line(/reload\s+\S*template\.html → 1 browser/)
})

t.test('behind --proxy, a watched stylesheet the page links under another URL prefix is swapped in place; one it does not link reloads the page', async t => {
  const watched = fixture(t, { public: { css: { 'site.css': 'h1 { color: rgb(255, 0, 0) }' }, 'print.css': '' } })
  // The upstream serves public/ at /static/, as a framework's asset route does: the command never
  // learns that URL, so the client matches the file's names to the page's <link>s.
  const upstream = createServer((req, res) => {
    if (req.url?.startsWith('/static/') === true) {
      res.writeHead(200, { 'content-type': 'text/css', 'cache-control': 'no-store' })
        .end(readFileSync(join(watched, 'public', req.url.slice('/static/'.length).split('?')[0]!)))
      return
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end('<!doctype html><html><head><link rel="icon" href="data:,"><link rel="stylesheet" href="/static/css/site.css"></head><body><h1>styled</h1></body></html>')
  })
  upstream.listen(0, '127.0.0.1')
  await once(upstream, 'listening')
  t.teardown(() => { upstream.closeAllConnections(); upstream.close() })

  const command = await serveCommand(t, ['--proxy', `http://127.0.0.1:${(upstream.address() as { port: number }).port}`, '--watch', watched])
  const connected = (page: Page): Promise<unknown> => page.waitForEvent('console', { predicate: message => message.text() === '[livereload] connected', timeout: 20_000 })
  const page = await visit(t, tab, `${command.url}/`, connected)
  await colourShown(page, 'rgb(255, 0, 0)')
  const loads = countLoads(page)

  t.ok(await survivesSwap(page, join(watched, 'public/css/site.css'), 'rgb(0, 0, 255)'), 'the new colour, in the same document')
  await until(page, () => document.querySelectorAll('link[rel=stylesheet]').length === 1)
  t.match(await page.getAttribute('link[rel=stylesheet]', 'href'), /\/static\/css\/site\.css\?livereload=\d+$/, 'the upstream\'s own URL, busted')
  t.equal(loads(), 0, 'no navigation')
  await command.line(/css\s+\S*public\/css\/site\.css → 1 browser/)

  const reloaded = page.waitForEvent('load')
  const why = page.waitForEvent('console', { predicate: message => message.text().endsWith('/public/print.css changed'), timeout: 20_000 })
  writeFileSync(join(watched, 'public/print.css'), 'h1 { color: rgb(0, 128, 0) }')
  t.match((await why).text(), /^\[livereload\] reloading: \S*public\/print\.css changed$/, 'the console names the file')
  await reloaded
  t.notOk(await hasMarker(page), 'a stylesheet no <link> matches: a full reload')
  t.equal(loads(), 1)
  await colourShown(page, 'rgb(0, 0, 255)')
})

t.test('the upstream restarting: the tab gets a 502 page that names it and the error, and comes back by itself once the upstream answers again', async t => {
  let title = 'before'
  const serve = (): Server => createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html><head><link rel="icon" href="data:,"><title>${title}</title></head><body><p>${title}</p></body></html>`)
  })
  const port = await restartablePort() // the upstream starts again on it
  const first = serve().listen(port, '127.0.0.1')
  await once(first, 'listening')
  const command = await serveCommand(t, ['--proxy', `http://127.0.0.1:${port}`, '--watch', fixture(t, {})])
  const connected = (page: Page): Promise<unknown> => page.waitForEvent('console', { predicate: message => message.text() === '[livereload] connected', timeout: 20_000 })
  const page = await visit(t, tab, `${command.url}/`, connected)
  t.equal(await page.title(), 'before')

  // The upstream stops (a dev server restarting on its own code change), and the tab is loaded again meanwhile.
  first.closeAllConnections()
  await new Promise(resolve => first.close(resolve))
  const onErrorPage = connected(page)
  const response = await page.reload()
  t.equal(response?.status(), 502)
  t.match(await page.textContent('pre'), new RegExp(`http://127\\.0\\.0\\.1:${port} failed: connect ECONNREFUSED`), 'the page names the upstream and the error')
  await onErrorPage
  const down = await fetch(`${command.url}/api`, { headers: { accept: 'application/json' } })
  t.same([down.status, await down.json()], [502, { statusCode: 502, error: 'Bad Gateway', message: `http://127.0.0.1:${port} failed: connect ECONNREFUSED 127.0.0.1:${port}` }], 'an API request: a 502 in JSON')

  title = 'after'
  const back = page.waitForEvent('load')
  const second = serve().listen(port, '127.0.0.1')
  t.teardown(() => { second.closeAllConnections(); second.close() })
  await back
  t.equal(await page.title(), 'after', 'the tab came back by itself, on the upstream\'s page')
  await command.line(new RegExp(`http://127\\.0\\.0\\.1:${port} answers again: reloading the browsers`))
  t.equal((await fetch(`${command.url}/api`)).status, 200, 'and serves again')
})
