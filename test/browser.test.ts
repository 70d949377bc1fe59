// What only a browser can show: the injected client connects, reloads a page and swaps a
// stylesheet in place. Real chromium, real watcher, real files.
import { realpathSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import liveReload from '../lib/index.js'
import { launchBrowser } from './helpers/browser.js'

const browser = await launchBrowser(t)

async function servedSite (t: Test) {
  const dir = realpathSync(t.testdir({
    'index.html': '<!doctype html><html><head><link rel="stylesheet" href="/site.css"></head><body><h1>one</h1></body></html>',
    'site.css': 'h1 { color: rgb(255, 0, 0) }'
  }))
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(liveReload, { root: dir })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const page = await browser.newPage()
  t.teardown(() => page.close())
  const connected = page.waitForEvent('websocket', ws => ws.url().endsWith('/__livereload'))
  await page.goto(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`)
  // The socket opens, then hello arrives: only then can a change be delivered.
  await (await connected).waitForEvent('framereceived', frame => String(frame.payload).includes('"hello"'))
  return { dir, page }
}

t.test('a page edit reloads the page with the new content', async t => {
  const { dir, page } = await servedSite(t)
  const reloaded = page.waitForEvent('load')
  await writeFile(join(dir, 'index.html'), '<!doctype html><html><head></head><body><h1>two</h1></body></html>')
  await reloaded
  t.equal(await page.textContent('h1'), 'two')
})

t.test('a stylesheet edit swaps the styles without a navigation', async t => {
  const { dir, page } = await servedSite(t)
  await page.evaluate(() => { (window as unknown as { marker: number }).marker = 42 })
  await writeFile(join(dir, 'site.css'), 'h1 { color: rgb(0, 0, 255) }')
  await page.waitForFunction(() => getComputedStyle(document.querySelector('h1')!).color === 'rgb(0, 0, 255)')
  t.equal(await page.evaluate(() => (window as unknown as { marker: number }).marker), 42, 'same document')
  t.equal(await page.locator('link[rel=stylesheet]').count(), 1, 'the old link is gone')
})
