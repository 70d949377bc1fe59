// The one message of a successful build (messages.ts `buildMessage`): a table, no server.
import t from 'tap'
import type { BroadcastMessage, FileChange } from '../../types/index.js'
import { buildMessage, MAX_PATHS, type BuildResult } from '../../lib/pipeline/messages.js'

const root = '/site/dist'
const options = { root, prefix: '/', css: true }
const page: FileChange = { path: `${root}/index.html`, type: 'update' }
const sheet: FileChange = { path: `${root}/a.css`, type: 'update' }
const image: FileChange = { path: `${root}/logo.png`, type: 'create' }
const map: FileChange = { path: `${root}/a.css.map`, type: 'update' }
const quiet = { mustReload: false, isErrorShowing: false }

t.test('buildMessage: the reload mode, the changed outputs, lost events and a showing error decide', async t => {
  const cases: Array<[string, BuildResult, BroadcastMessage | null]> = [
    ['auto, nothing changed: nothing', { mode: 'auto', changed: [], ...quiet }, null],
    ['auto, a page changed: reload it', { mode: 'auto', changed: [page], ...quiet }, { type: 'reload', paths: ['/index.html'] }],
    ['auto, stylesheets only: swap them', { mode: 'auto', changed: [sheet], ...quiet }, { type: 'css', paths: ['/a.css'] }],
    ['auto, images only: refresh them', { mode: 'auto', changed: [image], ...quiet }, { type: 'img', paths: ['/logo.png'] }],
    ['auto, a stylesheet and a page: reload', { mode: 'auto', changed: [sheet, page], ...quiet }, { type: 'reload', paths: ['/a.css', '/index.html'] }],
    ['page, nothing changed: reload all the same', { mode: 'page', changed: [], ...quiet }, { type: 'reload', paths: [] }],
    ['page, a stylesheet changed: reload, not swap', { mode: 'page', changed: [sheet], ...quiet }, { type: 'reload', paths: ['/a.css'] }],
    ['css, a stylesheet changed: swap', { mode: 'css', changed: [sheet], ...quiet }, { type: 'css', paths: ['/a.css'] }],
    ['auto, a stylesheet and its map: swap the stylesheet', { mode: 'auto', changed: [sheet, map], ...quiet }, { type: 'css', paths: ['/a.css'] }],
    ['auto, a map alone: nothing', { mode: 'auto', changed: [map], ...quiet }, null],
    ['css, a stylesheet and its map: swap the stylesheet', { mode: 'css', changed: [map, sheet], ...quiet }, { type: 'css', paths: ['/a.css'] }],
    ['css, nothing changed: swap all stylesheets', { mode: 'css', changed: [], ...quiet }, { type: 'css', paths: [] }],
    ['none: nothing, whatever changed', { mode: 'none', changed: [page], ...quiet }, null],
    ['auto, nothing changed, an error showing: clear it', { mode: 'auto', changed: [], mustReload: false, isErrorShowing: true }, { type: 'clear' }],
    ['none, an error showing: clear it', { mode: 'none', changed: [], mustReload: false, isErrorShowing: true }, { type: 'clear' }],
    ['auto, a page changed, an error showing: the reload clears it', { mode: 'auto', changed: [page], mustReload: false, isErrorShowing: true }, { type: 'reload', paths: ['/index.html'] }],
    ['events lost, auto, nothing changed: reload', { mode: 'auto', changed: [], mustReload: true, isErrorShowing: false }, { type: 'reload', paths: [] }],
    ['events lost, auto, stylesheets only: reload, not swap', { mode: 'auto', changed: [sheet], mustReload: true, isErrorShowing: false }, { type: 'reload', paths: ['/a.css'] }],
    ['events lost, css: reload', { mode: 'css', changed: [sheet], mustReload: true, isErrorShowing: false }, { type: 'reload', paths: ['/a.css'] }],
    ['events lost, none: reload', { mode: 'none', changed: [], mustReload: true, isErrorShowing: false }, { type: 'reload', paths: [] }],
    ['events lost, an error showing: reload, not clear', { mode: 'auto', changed: [], mustReload: true, isErrorShowing: true }, { type: 'reload', paths: [] }]
  ]
  for (const [name, result, expected] of cases) t.same(buildMessage(result, options), expected, name)
})

t.test('buildMessage: css: false reloads a stylesheet; past MAX_PATHS a reload names nothing', async t => {
  t.same(buildMessage({ mode: 'auto', changed: [sheet], ...quiet }, { ...options, css: false }), { type: 'reload', paths: ['/a.css'] })
  const many = Array.from({ length: MAX_PATHS + 1 }, (_, i): FileChange => ({ path: `${root}/p${i}.html`, type: 'create' }))
  t.same(buildMessage({ mode: 'page', changed: many, ...quiet }, options), { type: 'reload', paths: [] })
  t.same(buildMessage({ mode: 'auto', changed: many, mustReload: true, isErrorShowing: false }, options), { type: 'reload', paths: [] })
})
