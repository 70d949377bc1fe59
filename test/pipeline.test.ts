import { EventEmitter, once } from 'node:events'
import t from 'tap'
import type { BroadcastMessage } from '../types/index.js'
import { createPipeline, MAX_PATHS, messageFor, urlPath } from '../lib/pipeline.js'
import { collectingLogger } from './helpers/log.js'
import { holdEventLoop } from './helpers/loop.js'

const root = '/site/dist'

t.test('urlPath maps output files to URL paths under the prefix', async t => {
  const cases: Array<[string, string, string]> = [
    ['/site/dist/index.html', '/', '/index.html'],
    ['/site/dist/css/site.css', '/', '/css/site.css'],
    ['/site/dist/css/site.css', '/docs', '/docs/css/site.css'],
    ['/site/dist/css/site.css', '/docs/', '/docs/css/site.css'],
    ['/site/dist/a b/é.html', '/', '/a%20b/%C3%A9.html']
  ]
  for (const [file, prefix, expected] of cases) {
    t.equal(urlPath(file, { root, prefix }), expected, `${file} under ${prefix}`)
  }
})

t.test('messageFor decides between a CSS swap and a reload', async t => {
  const options = { root, prefix: '/', css: true }
  const cases: Array<[string, Parameters<typeof messageFor>[0], BroadcastMessage]> = [
    ['stylesheets only: css', [{ path: `${root}/a.css`, type: 'update' }, { path: `${root}/b.css`, type: 'create' }],
      { type: 'css', paths: ['/a.css', '/b.css'] }],
    ['a page: reload', [{ path: `${root}/index.html`, type: 'update' }], { type: 'reload', paths: ['/index.html'] }],
    ['a stylesheet and a page: reload', [{ path: `${root}/a.css`, type: 'update' }, { path: `${root}/i.html`, type: 'update' }],
      { type: 'reload', paths: ['/a.css', '/i.html'] }],
    ['images only: img', [{ path: `${root}/a.PNG`, type: 'update' }, { path: `${root}/b.svg`, type: 'create' }],
      { type: 'img', paths: ['/a.PNG', '/b.svg'] }],
    ['a stylesheet and an image: reload', [{ path: `${root}/a.css`, type: 'update' }, { path: `${root}/b.svg`, type: 'create' }],
      { type: 'reload', paths: ['/a.css', '/b.svg'] }],
    ['a deleted stylesheet: reload', [{ path: `${root}/a.css`, type: 'delete' }], { type: 'reload', paths: ['/a.css'] }]
  ]
  for (const [name, changes, expected] of cases) t.same(messageFor(changes, options), expected, name)
  t.same(messageFor([{ path: `${root}/a.css`, type: 'update' }], { ...options, css: false }),
    { type: 'reload', paths: ['/a.css'] }, 'css: false reloads')
})

t.test('a reload of more than MAX_PATHS files names no paths: everything', async t => {
  const changes = Array.from({ length: MAX_PATHS + 1 }, (_, i) => ({ path: `${root}/p${i}.html`, type: 'create' as const }))
  t.same(messageFor(changes, { root, prefix: '/', css: true }), { type: 'reload', paths: [] })
})

holdEventLoop(t)

function recordingHub () {
  const events = new EventEmitter()
  const sent: BroadcastMessage[] = []
  return { sent, events, broadcast (message: BroadcastMessage) { sent.push(message); events.emit('message', message) } }
}

t.test('batches arriving within the quiet window become one message', async t => {
  const hub = recordingHub()
  const pipeline = createPipeline({ root, prefix: '/', css: true, debounce: 30 }, hub, collectingLogger().log)
  t.teardown(() => pipeline.close())
  const message = once(hub.events, 'message')
  pipeline.push([{ path: `${root}/a.html`, type: 'update' }])
  pipeline.push([{ path: `${root}/a.html`, type: 'update' }, { path: `${root}/b.css`, type: 'create' }])
  await message
  t.same(hub.sent, [{ type: 'reload', paths: ['/a.html', '/b.css'] }])
})

t.test('a file deleted and created again within a burst counts as updated', async t => {
  const hub = recordingHub()
  const pipeline = createPipeline({ root, prefix: '/', css: true, debounce: 0 }, hub, collectingLogger().log)
  t.teardown(() => pipeline.close())
  const message = once(hub.events, 'message')
  pipeline.push([{ path: `${root}/a.css`, type: 'delete' }, { path: `${root}/a.css`, type: 'create' }])
  await message
  t.same(hub.sent, [{ type: 'css', paths: ['/a.css'] }], 'safe-write editors do not force a reload')
})

t.test('a stream of changes that never goes quiet still flushes', async t => {
  const hub = recordingHub()
  const pipeline = createPipeline({ root, prefix: '/', css: true, debounce: 200 }, hub, collectingLogger().log)
  t.teardown(() => pipeline.close())
  const message = once(hub.events, 'message')
  // Keep pushing every 20 ms, well inside the 200 ms quiet window; the max wait must end it.
  const started = Date.now()
  const pusher = setInterval(() => pipeline.push([{ path: `${root}/a.html`, type: 'update' }]), 20)
  t.teardown(() => clearInterval(pusher))
  await message
  clearInterval(pusher)
  t.ok(Date.now() - started < 5000, 'flushed by the max wait')
  t.equal(hub.sent.length, 1)
})

t.test('close drops pending changes and sends nothing', async t => {
  const hub = recordingHub()
  const pipeline = createPipeline({ root, prefix: '/', css: true, debounce: 0 }, hub, collectingLogger().log)
  pipeline.push([{ path: `${root}/a.html`, type: 'update' }])
  pipeline.close()
  pipeline.close()
  // A timer queued after close would fire within this macrotask turn; give it the chance.
  await new Promise(resolve => setImmediate(resolve))
  await new Promise(resolve => setTimeout(resolve, 5))
  t.same(hub.sent, [])
})
