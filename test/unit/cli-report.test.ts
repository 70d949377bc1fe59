// The command's terminal output (lib/cli/report.ts): the plugin's log lines as a person reads them.
import { PassThrough } from 'node:stream'
import t from 'tap'
import { createReport } from '../../lib/cli/report.js'

const ESC = '\u001b'

/** A report into a string; `isTTY` as a terminal says. */
function capture ({ isTTY = false, isQuiet = false, env = {} as NodeJS.ProcessEnv, browsers = 2 } = {}) {
  const out = Object.assign(new PassThrough(), { isTTY })
  let text = ''
  out.on('data', chunk => { text += String(chunk) })
  const report = createReport({ out, isQuiet, browsers: () => browsers, env })
  const log = (line: object): void => { report.stream.write(`${JSON.stringify({ level: 30, plugin: 'livereload', ...line })}\n`) }
  /** What was printed, each line without its time. */
  const lines = (): string[] => text.split('\n').filter(Boolean).map(line => line.replace(/^\d\d:\d\d:\d\d /, ''))
  return { report, log, lines, text: () => text }
}

t.test('each change, build and failure is one line', async t => {
  const { log, lines, report } = capture()
  log({ msg: 'output changed: css/site.css; sent css', type: 'css', files: 'css/site.css' })
  log({ msg: 'output changed: index.html; sent reload', type: 'reload', files: 'index.html' })
  log({ msg: 'sources changed: src/a.md; reloading', files: 'src/a.md' })
  log({ msg: 'sources changed: public/site.css; swapping stylesheets', type: 'css', files: 'public/site.css' })
  log({ msg: 'build started', files: 'src/a.md, src/b.md and 3 more' })
  log({ msg: 'build started' })
  log({ msg: 'build finished', ms: 240, sent: 'reload' })
  log({ msg: 'build finished', ms: 12, sent: 'none' })
  log({ level: 50, msg: 'build failed', err: { message: 'Unexpected token\n  at line 3', file: 'src/a.md', line: 3, column: 1 } })
  log({ level: 50, msg: 'build failed', err: { message: 'exited with code 1' } })
  log({ level: 40, msg: 'not watching yet: the directory does not exist; watching starts when it does' })
  log({ msg: 'rescanning: reloading' })
  report.line('serving site')
  report.warn('careful')
  report.error('broken')
  t.same(lines(), [
    'css    css/site.css → 2 browsers',
    'reload index.html → 2 browsers',
    'reload src/a.md → 2 browsers',
    'css    public/site.css → 2 browsers',
    'building… src/a.md, src/b.md and 3 more',
    'building…',
    'built in 240 ms, reload → 2 browsers',
    'built in 12 ms',
    'error build failed: src/a.md:3:1 Unexpected token',
    'error build failed: exited with code 1',
    'warn  not watching yet: the directory does not exist; watching starts when it does',
    'rescanning: reloading',
    'serving site',
    'warn  careful',
    'error broken'
  ])
})

t.test('one browser is one browser', async t => {
  const { log, lines } = capture({ browsers: 1 })
  log({ msg: 'output changed: a.png; sent img', type: 'img', files: 'a.png' })
  t.same(lines(), ['img    a.png → 1 browser'])
})

t.test('Fastify\'s own lines, and what is not a log line, are left out', async t => {
  const { report, lines } = capture()
  report.stream.write(`${JSON.stringify({ level: 30, msg: 'Server listening at http://127.0.0.1:8080' })}\n`)
  report.stream.write(`${JSON.stringify({ level: 30, plugin: 'livereload' })}\nnot json\n${JSON.stringify({ msg: 'no level' })}\n\n`)
  t.same(lines(), [])
})

t.test('quiet: warnings and errors only', async t => {
  const { log, lines, report } = capture({ isQuiet: true })
  log({ msg: 'output changed: index.html; sent reload', type: 'reload', files: 'index.html' })
  report.line('serving site')
  log({ level: 40, msg: 'polling for changes every 500 ms' })
  t.same(lines(), ['warn  polling for changes every 500 ms'])
})

t.test('colour on a terminal, never with NO_COLOR, never off a terminal', async t => {
  const terminal = capture({ isTTY: true })
  terminal.report.warn('w')
  t.ok(terminal.text().includes(`${ESC}[33mwarn${ESC}[39m`), 'yellow')
  t.equal(terminal.report.strong('url'), `${ESC}[1murl${ESC}[22m`)
  const noColour = capture({ isTTY: true, env: { NO_COLOR: '1' } })
  noColour.report.warn('w')
  t.notOk(noColour.text().includes(ESC))
  t.equal(noColour.report.strong('url'), 'url')
  const piped = capture()
  piped.report.warn('w')
  t.notOk(piped.text().includes(ESC))
})
