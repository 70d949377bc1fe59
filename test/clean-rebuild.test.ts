// `rm -rf dist`, then a rebuild a moment later: what most build tools do on every build. No
// browser may be sent to the 404 in between; one reload once the new site is there. Real
// watcher, real files, a real server and a real WebSocket client.
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import t from 'tap'
import { connectLiveReload } from '../lib/testing.js'
import { harness } from './helpers/harness.js'

const SITE = { 'index.html': '<h1>one</h1>', css: { 'site.css': 'h1 {}' }, 'other.html': 'x' }

/** A build tool that cleans, then takes `startMs` to start writing (its own start-up), then writes the site. */
async function cleanRebuild (dist: string, startMs: number): Promise<void> {
  await rm(dist, { recursive: true })
  await delay(startMs) // the scenario's pacing, not a wait for an event
  await mkdir(join(dist, 'css'), { recursive: true })
  await writeFile(join(dist, 'css/site.css'), 'h1 { color: red }')
  await writeFile(join(dist, 'index.html'), '<h1>two</h1>')
  await writeFile(join(dist, 'other.html'), 'x')
}

for (const startMs of [300, 800]) {
  t.test(`rm -rf of the root, rebuilt ${startMs} ms later: one reload, once the new site is served`, async t => {
    const { app, dir } = await harness(t, { files: { dist: SITE }, options: dir => ({ root: join(dir, 'dist') }), listen: false })
    const dist = join(dir, 'dist')
    const client = await connectLiveReload(app, { transport: 'socket', timeout: 60_000 })
    const from = client.messages.length
    const reload = client.next(['reload', 'css'])
    await cleanRebuild(dist, startMs)
    t.same(await reload, { type: 'reload', paths: [] }, 'everything: the tree came back')
    const page = await app.inject('/index.html')
    t.equal(page.statusCode, 200, 'the page is there when the reload arrives')
    t.match(page.body, '<h1>two</h1>')
    // Anything of the rebuild left for a second message would come before this marker's.
    const marker = client.next(['reload', 'css'])
    await writeFile(join(dist, 'other.html'), 'y')
    t.same(await marker, { type: 'reload', paths: ['/other.html'] })
    t.same(client.messages.slice(from).map(message => message.type), ['reload', 'reload'], JSON.stringify(client.messages.slice(from)))
  })
}
