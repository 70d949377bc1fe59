// Which stylesheets of a page a `css` message names (lib/client/match.ts): URL paths whole, file
// paths by their trailing names. A table, no browser: each sheet is the decoded URL paths of its
// own sheet and of the sheets it imports.
import t from 'tap'
import { matchSheets } from '../../lib/client/match.js'

const matched = (paths: string[], sheets: string[][], isFiles?: boolean): number[] =>
  [...matchSheets(paths, sheets.map((urls, index) => ({ urls, index })), sheet => sheet.urls, isFiles)].map(sheet => sheet.index).sort()

t.test('URL paths name the sheets at exactly that path, an imported one included', async t => {
  const sheets = [['/css/site.css'], ['/site.css'], ['/main.css', '/parts/title.css'], ['/other.css']]
  t.same(matched(['/css/site.css'], sheets), [0], 'not /site.css, which ends the same')
  t.same(matched(['/parts/title.css'], sheets), [2], 'the sheet that imports it')
  t.same(matched(['/css/site.css', '/other.css'], sheets), [0, 3], 'each path its own')
  t.same(matched(['/gone.css'], sheets), [], 'none: the caller swaps them all')
  t.same(matched(['/x.css'], [['/x.css'], ['/x.css']]), [0, 1], 'every sheet at that path')
})

t.test('a file path names the sheets whose URL ends with the most of its names', async t => {
  const cases: Array<[string, string[], string[][], number[]]> = [
    ['under another prefix: the names after it', ['public/css/site.css'], [['/static/css/site.css'], ['/static/css/print.css']], [0]],
    ['more names in common win over the file name alone', ['public/css/site.css'], [['/site.css'], ['/assets/css/site.css'], ['/other/site.css']], [1]],
    ['the file name alone is the last resort', ['views/theme/site.css'], [['/static/site.css'], ['/static/app.css']], [0]],
    ['sheets that tie are all swapped', ['public/site.css'], [['/a/site.css'], ['/b/site.css'], ['/c/app.css']], [0, 1]],
    ['the whole path, when the URL is the file\'s own', ['css/site.css'], [['/css/site.css'], ['/x/site.css']], [0]],
    ['an imported sheet counts for the sheet that imports it', ['src/styles/parts/title.css'], [['/static/main.css', '/static/parts/title.css'], ['/static/other.css']], [0]],
    ['names are compared whole, not as text', ['public/my-site.css'], [['/static/site.css']], []],
    ['and with their case', ['public/Site.css'], [['/static/site.css']], []],
    ['a directory name alone is no match', ['public/css/site.css'], [['/css/other.css']], []],
    ['each file its own best sheets', ['public/css/a.css', 'public/b.css'], [['/s/css/a.css'], ['/s/a.css'], ['/s/b.css']], [0, 2]],
    ['one file matches, another does not: the one that does', ['public/a.css', 'public/nowhere.css'], [['/s/a.css'], ['/s/b.css']], [0]],
    ['nothing on the page', ['public/a.css'], [], []],
    ['a file outside the working directory, from ~', ['~/shared/css/a.css'], [['/shared/css/a.css'], ['/a.css']], [0]]
  ]
  for (const [name, paths, sheets, expected] of cases) t.same(matched(paths, sheets, true), expected, name)
})
