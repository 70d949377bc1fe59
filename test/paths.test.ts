import { writeFile } from 'node:fs/promises'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { displayPath, scrubPaths } from '../lib/paths.js'
import { connectLiveReload } from '../lib/testing.js'
import { harness } from './helpers/harness.js'

const cwd = '/work/site'
const home = homedir()

t.test('displayPath: relative inside the working directory, from ~ in the home directory, absolute elsewhere', async t => {
  const cases: Array<[string, string]> = [
    [cwd, '.'],
    [join(cwd, 'dist', 'x.html'), 'dist/x.html'],
    [join(cwd, '..cache', 'x'), '..cache/x'],
    [`file://${cwd}/src/a.js`, 'src/a.js'],
    ['src/x.md', 'src/x.md'],
    [join(home, 'projects', 'site', 'notes.txt'), '~/projects/site/notes.txt'],
    [`file://${home}/x.js`, '~/x.js'],
    [home, '~'],
    ['/elsewhere/x', '/elsewhere/x'],
    ['/work/sites/x', '/work/sites/x']
  ]
  for (const [path, expected] of cases) t.equal(displayPath(path, cwd), expected, path)
  t.equal(displayPath(join(process.cwd(), 'x.md')), 'x.md', 'the working directory by default')
})

t.test('scrubPaths: a message or stack loses the working directory and the home directory', async t => {
  t.equal(scrubPaths(`at build (file://${cwd}/build.js:3:9) and ${cwd}/src/a.md, see ${home}/notes.txt`, cwd),
    'at build (build.js:3:9) and src/a.md, see ~/notes.txt')
})

t.test('building messages, reports and stats show a source outside the working directory as errors do: from ~', async t => {
  // The source lies in the home directory (a temp dir, made the home), outside the working
  // directory (the checkout, where the test's own fixtures lie). No chdir: the working directory
  // is the process's, and tap's fixtures move it when a test ends with it elsewhere.
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'flr-home-')))
  mkdirSync(join(dir, 'src'))
  writeFileSync(join(dir, 'src', 'a.md'), '# a')
  const home = process.env.HOME
  process.env.HOME = dir
  const source = join(dir, 'src', 'a.md')
  let onReport = (_changes: string[]): void => {}
  const reported = new Promise<string[]>(resolve => { onReport = resolve })
  const { app } = await harness(t, {
    setup: () => { // once the app exists, before the plugin: as it was, right after testApp
      t.teardown(() => { // after the app's close (teardowns run in the order they were added)
        process.env.HOME = home
        rmSync(dir, { recursive: true, force: true })
      })
    },
    options: {
      watch: join(dir, 'src'),
      buildOnStart: false,
      builder: () => { throw Object.assign(new Error(`cannot read ${source}`), { file: source }) },
      onBuildEnd: report => { onReport(report.changes) }
    },
    listen: false
  })
  const client = await connectLiveReload(app)
  const shown = '~/src'

  const [building, error] = await client.trigger(() => writeFile(source, '# b'))
  t.same(building, { type: 'building', changes: [`${shown}/a.md`] })
  t.match(error, { type: 'error', errors: [{ message: `cannot read ${shown}/a.md`, file: `${shown}/a.md` }] })
  t.same(await reported, [`${shown}/a.md`], 'the build report')
  t.same(app.liveReload.stats().watched, [shown], 'the stats')
  t.notOk(JSON.stringify([client.messages, app.liveReload.stats()]).includes(dir), 'the home directory is never spelled out')
})
