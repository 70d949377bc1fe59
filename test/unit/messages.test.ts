import { homedir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { BroadcastMessage, FileChange } from '../../types/index.js'
import { filePath, MAX_PATHS, messageFor, sourceMessage, urlPath } from '../../lib/pipeline/messages.js'

const root = '/site/dist'

t.test('urlPath maps output files to URL paths under the prefix', async t => {
  const cases: Array<[string, string, string]> = [
    ['/site/dist/index.html', '/', '/index.html'],
    ['/site/dist/css/site.css', '/', '/css/site.css'],
    ['/site/dist/css/site.css', '/docs', '/docs/css/site.css'],
    ['/site/dist/css/site.css', '/docs/', '/docs/css/site.css'],
    ['/site/dist/a b/é.html', '/', '/a%20b/%C3%A9.html'],
    // What a server does not decode in a path stays as it is: `/q%26a.html` is not `/q&a.html`.
    ['/site/dist/c++.html', '/', '/c++.html'],
    ['/site/dist/q&a.html', '/', '/q&a.html'],
    ['/site/dist/12:30.html', '/', '/12:30.html'],
    ['/site/dist/a,b;c=d@e$f.html', '/', '/a,b;c=d@e$f.html'],
    ['/site/dist/[id]/x.html', '/', '/%5Bid%5D/x.html'],
    ['/site/dist/100%.html', '/', '/100%25.html'],
    ['/site/dist/a#b?c.html', '/', '/a%23b%3Fc.html'],
    ["/site/dist/it's (1)!*~.html", '/', "/it's%20(1)!*~.html"]
  ]
  for (const [file, prefix, expected] of cases) {
    t.equal(urlPath(file, { root, prefix }), expected, `${file} under ${prefix}`)
  }
})

t.test('messageFor decides between a swap and a reload', async t => {
  const options = { root, prefix: '/', css: true }
  const cases: Array<[string, FileChange[], BroadcastMessage | null]> = [
    ['stylesheets only: css', [{ path: `${root}/a.css`, type: 'update' }, { path: `${root}/b.css`, type: 'create' }],
      { type: 'css', paths: ['/a.css', '/b.css'] }],
    ['images only: img', [{ path: `${root}/a.PNG`, type: 'update' }, { path: `${root}/b.svg`, type: 'create' }],
      { type: 'img', paths: ['/a.PNG', '/b.svg'] }],
    ['a stylesheet and an image: reload', [{ path: `${root}/a.css`, type: 'update' }, { path: `${root}/b.svg`, type: 'create' }],
      { type: 'reload', paths: ['/a.css', '/b.svg'] }],
    ['a page: reload', [{ path: `${root}/index.html`, type: 'update' }], { type: 'reload', paths: ['/index.html'] }],
    ['a stylesheet and a page: reload', [{ path: `${root}/a.css`, type: 'update' }, { path: `${root}/i.html`, type: 'update' }],
      { type: 'reload', paths: ['/a.css', '/i.html'] }],
    ['a deleted stylesheet: reload', [{ path: `${root}/a.css`, type: 'delete' }], { type: 'reload', paths: ['/a.css'] }],
    ['a stylesheet and its source map: css, the stylesheet', [{ path: `${root}/a.css.map`, type: 'update' }, { path: `${root}/a.css`, type: 'update' }],
      { type: 'css', paths: ['/a.css'] }],
    ['an image and a map: img', [{ path: `${root}/a.png`, type: 'update' }, { path: `${root}/app.js.map`, type: 'update' }],
      { type: 'img', paths: ['/a.png'] }],
    ['a script and its map: reload, the script', [{ path: `${root}/app.js`, type: 'update' }, { path: `${root}/app.js.MAP`, type: 'update' }],
      { type: 'reload', paths: ['/app.js'] }],
    ['a stylesheet and a deleted map: css', [{ path: `${root}/a.css`, type: 'update' }, { path: `${root}/a.css.map`, type: 'delete' }],
      { type: 'css', paths: ['/a.css'] }],
    ['the root itself (it came back, or was rescanned), with the deletions it joins: everything',
      [{ path: `${root}/index.html`, type: 'delete' }, { path: root, type: 'update' }], { type: 'reload', paths: [] }]
  ]
  for (const [name, changes, expected] of cases) t.same(messageFor(changes, options), expected, name)
  t.equal(messageFor([{ path: `${root}/a.css.map`, type: 'update' }], options), null, 'a source map alone changes nothing a page shows: no message')
  t.same(messageFor([{ path: `${root}/a.css`, type: 'update' }], { ...options, css: false }),
    { type: 'reload', paths: ['/a.css'] }, 'css: false reloads')
})

t.test('a reload of more than MAX_PATHS files names no paths: everything', async t => {
  const changes = Array.from({ length: MAX_PATHS + 1 }, (_, i) => ({ path: `${root}/p${i}.html`, type: 'create' as const }))
  t.same(messageFor(changes, { root, prefix: '/', css: true }), { type: 'reload', paths: [] })
})

t.test('sourceMessage: stylesheets alone under watch, with no builder, are a css of file paths; anything else reloads', async t => {
  const cwd = process.cwd()
  const options = { css: true }
  const cases: Array<[string, FileChange[], BroadcastMessage]> = [
    ['stylesheets created or updated: css, files: true, relative to the working directory',
      [{ path: join(cwd, 'public/css/site.css'), type: 'update' }, { path: join(cwd, 'public/b.CSS'), type: 'create' }],
      { type: 'css', paths: ['public/css/site.css', 'public/b.CSS'], files: true }],
    ['a stylesheet and its source map: css, the stylesheet', [{ path: join(cwd, 'a.css.map'), type: 'update' }, { path: join(cwd, 'a.css'), type: 'update' }],
      { type: 'css', paths: ['a.css'], files: true }],
    ['a deleted stylesheet: reload', [{ path: join(cwd, 'a.css'), type: 'delete' }], { type: 'reload', paths: [] }],
    ['a stylesheet and a template: reload', [{ path: join(cwd, 'a.css'), type: 'update' }, { path: join(cwd, 'views/i.html'), type: 'update' }],
      { type: 'reload', paths: [] }],
    ['an image: reload (its URL is not known either, and no img of file paths exists)', [{ path: join(cwd, 'logo.png'), type: 'update' }], { type: 'reload', paths: [] }],
    ['a source map alone: reload, as before', [{ path: join(cwd, 'a.css.map'), type: 'update' }], { type: 'reload', paths: [] }]
  ]
  for (const [name, changes, expected] of cases) t.same(sourceMessage(changes, options), expected, name)
  t.same(sourceMessage([{ path: join(cwd, 'a.css'), type: 'update' }], { css: false }), { type: 'reload', paths: [] }, 'css: false reloads')
  const many = Array.from({ length: MAX_PATHS + 1 }, (_, i) => ({ path: join(cwd, `s${i}.css`), type: 'update' as const }))
  t.same(sourceMessage(many, options), { type: 'reload', paths: [] }, `more than ${MAX_PATHS} stylesheets: reload`)
})

t.test('filePath: a source file as a css message names it, encoded as URL paths are, with no disk layout', async t => {
  const cwd = process.cwd()
  t.equal(filePath(join(cwd, 'public/css/site.css')), 'public/css/site.css')
  t.equal(filePath(join(cwd, 'a b/[x]/100%.css')), 'a%20b/%5Bx%5D/100%25.css', 'names encoded as in a URL path')
  t.equal(filePath(join(cwd, 'c++/q&a.css')), 'c++/q&a.css', 'what a server does not decode stays')
  t.equal(filePath(join(homedir(), 'elsewhere-for-the-test/site.css')), '~/elsewhere-for-the-test/site.css', 'outside the working directory: from ~')
})
