import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t, { type Test } from 'tap'
import type { BuildContext, BuildErrorInfo, BuildOutcome } from '../types/index.js'
import { commandBuilder } from '../lib/builders/command.js'
import { commandError } from '../lib/builders/tool-output.js'
import { eventually } from './helpers/eventually.js'
import { fixture } from './helpers/fixture.js'
import { collectingLogger } from './helpers/log.js'
import { groupPids, isAlive, sleepingGroup } from './helpers/process.js'

// Three tests at a time: each runs commands of its own, and most of their time is spent waiting
// for a timeout or a grace period to pass, or for a child process.
t.jobs = 3

function ctx (signal = new AbortController().signal): BuildContext {
  return { changes: [], full: false, signal, log: collectingLogger().log }
}

type Built = Omit<BuildOutcome, 'errors'> & { errors?: BuildErrorInfo[] }
const outcome = async (promise: unknown) => (await promise) as Built

t.test('commands run in order and a success reloads as the output says', async t => {
  const dir = fixture(t)
  const builder = commandBuilder(['echo one > a.txt', 'cat a.txt > b.txt'], { cwd: dir })
  t.same(await builder.build(ctx()), { reload: 'auto' })
  t.equal(readFileSync(join(dir, 'b.txt'), 'utf8'), 'one\n')
})

t.test('a failing step stops the chain with its exit code, output and location', async t => {
  const dir = fixture(t)
  const builder = commandBuilder(['echo "src/a.ts:3:7 - error TS1005: \';\' expected." >&2; exit 2', 'touch after'], { cwd: dir })
  const result = await outcome(builder.build(ctx()))
  t.match(result.errors?.[0], { message: /exited with code 2[\s\S]*TS1005/, file: 'src/a.ts', line: 3, column: 7 })
  t.notOk(existsSync(join(dir, 'after')), 'the next step did not run')
})

t.test('commandError: the code frame of the place, from the file as it is (the README\'s "file, line and code frame")', async t => {
  const dir = fixture(t, { src: { 'page.md': 'one\ntwo\nthree {{ x\nfour\nfive\nsix\n' } })
  t.equal(commandError('build', 'exited with code 1', 'src/page.md:3:7: error: unclosed tag', dir).frame, '1 | one\n2 | two\n3 | three {{ x\n  |       ^\n4 | four\n5 | five')
  t.equal(commandError('build', 'exited with code 1', 'src/page.md(1,1): error', dir).frame, '1 | one\n  | ^\n2 | two\n3 | three {{ x')
  t.equal(commandError('build', 'exited with code 1', 'src/page.md:40:1: error', dir).frame, undefined, 'no such line: no frame')
  t.match(commandError('esbuild', 'exited with code 1', '✘ [ERROR] Unexpected\n\n    src/page.md:2:0:', dir).frame, /^1 \| one\n2 \| two\n {2}\| \^\n/, 'esbuild\'s text counts columns from 0: the caret at the first')
})

t.test('commandError reads tsc-style locations too', async t => {
  t.match(commandError('tsc', 'exited with code 1', 'lib/x.ts(12,5): error TS2322'), { file: 'lib/x.ts', line: 12, column: 5 })
  t.same(commandError('x', 'exited with code 1', ''), { message: '`x` exited with code 1' })
})

t.test('commandError points at the project file the tool names, in each tool\'s format, over node_modules frames and addresses', async t => {
  const dir = fixture(t, {
    node_modules: { nunjucks: { src: { 'lib.js': '' } } },
    src: { _includes: { 'base.njk': '' }, 'index.liquid': '', 'a.scss': '', 'index.js': '', 'app.ts': '', 'a.css': '' }
  })
  const cases: Array<[string, string, string, number, number]> = [
    ['Eleventy (nunjucks): the template, not the engine', [
      '[11ty] Problem writing Eleventy templates:',
      '[11ty] 1. Having trouble rendering njk template ./src/index.njk (via TemplateContentRenderError)',
      '[11ty] 2. (./src/_includes/base.njk) [Line 3, Column 62]',
      '[11ty]   unknown block tag: endblok (via Template render error)',
      `[11ty]     at Object._prettifyError (${dir}/node_modules/nunjucks/src/lib.js:74:17)`
    ].join('\n'), 'src/_includes/base.njk', 3, 62],
    ['the engine frame first in the output', `Error at ${dir}/node_modules/nunjucks/src/lib.js:74:17\n(./src/_includes/base.njk) [Line 3, Column 62]`, 'src/_includes/base.njk', 3, 62],
    ['liquidjs', 'ParseError: tag "foo" not found, file:./src/index.liquid, line:1, col:5', 'src/index.liquid', 1, 5],
    ['sass', 'Error: expected ";".\n  ╷\n3 │ a { color: red }\n  │                 ^\n  ╵\n  src/a.scss 3:18  root stylesheet', 'src/a.scss', 3, 18],
    ['webpack', 'ERROR in ./src/index.js 3:10\nModule parse failed: Unexpected token (3:10)', 'src/index.js', 3, 10],
    ['esbuild', '✘ [ERROR] Expected ";" but found "}"\n\n    src/app.ts:3:10:\n      3 │ let a = }\n', 'src/app.ts', 3, 10],
    ['postcss', `CssSyntaxError: ${dir}/src/a.css:3:10: Unknown word`, 'src/a.css', 3, 10],
    ['an address before the location', 'Server at http://127.0.0.1:8080/\nsrc/app.ts:3:7 - error TS1005', 'src/app.ts', 3, 7],
    ['tsc --pretty, in colour, a .d.ts in node_modules first', [
      '\x1b[96mnode_modules/nunjucks/src/lib.js\x1b[0m:\x1b[93m3\x1b[0m:\x1b[93m5\x1b[0m - \x1b[91merror\x1b[0m\x1b[90m TS2300: \x1b[0mDuplicate identifier',
      '\x1b[96msrc/app.ts\x1b[0m:\x1b[93m2\x1b[0m:\x1b[93m7\x1b[0m - \x1b[91merror\x1b[0m\x1b[90m TS1005: \x1b[0m\';\' expected.',
      'Found 2 errors in 2 files.', '', 'Errors  Files', '     1  \x1b[90mnode_modules/nunjucks/src/lib.js\x1b[0m\x1b[90m:3\x1b[0m', '     1  \x1b[90msrc/app.ts\x1b[0m\x1b[90m:2\x1b[0m'
    ].join('\n'), 'src/app.ts', 2, 7]
  ]
  for (const [name, output, file, line, column] of cases) {
    const error = commandError('build', 'exited with code 1', output, dir)
    t.match(error, { line, column }, name)
    t.notOk(error.message.includes('\x1b'), `${name}: no escape codes in the message`)
    t.ok(error.file?.endsWith(file), `${name}: ${String(error.file)} is ${file}`)
  }
  t.match(commandError('build', 'exited with code 1', `at ${dir}/node_modules/nunjucks/src/lib.js:74:17`, dir), { file: /node_modules\/nunjucks\/src\/lib\.js$/, line: 74 },
    'only an engine frame: that one')
})

t.test('commandError on Eleventy 3.1.8\'s real output: a front-matter error heads with the template, a template\'s line counts its front matter, and the output is shown once', async t => {
  const dir = fixture(t, {
    content: { blog: { 'firstpost.md': '---\ntitle: "x\nlayout: y: z\n---\n# hi\n' }, 'tpl.njk': '---\ntitle: t\n---\n<p>one</p>\n<p>two</p>\n{% if %}\n' },
    node_modules: { 'js-yaml': { dist: { 'js-yaml.mjs': '' } }, nunjucks: { src: { 'lib.js': '', 'parser.js': '' } }, 'gray-matter': { lib: { 'parse.js': '' } } }
  })
  /** What `npx @11ty/eleventy --input=content --output=_site` printed for this fixture, run in `dir`. */
  const output = (name: string): string => readFileSync(new URL(`./fixtures/eleventy/${name}`, import.meta.url), 'utf8').replaceAll('{dir}', dir)
  const count = (text: string, part: string): number => text.split(part).length - 1

  const yaml = commandError('npx @11ty/eleventy', 'exited with code 1', output('front-matter-error.txt'), dir)
  t.ok(yaml.file?.endsWith('/content/blog/firstpost.md'), `the template, not js-yaml's frame: ${String(yaml.file)}`)
  t.equal(yaml.line, undefined, 'no line: the YAML parser\'s is the front matter\'s, not the file\'s')
  t.equal(count(yaml.message, 'Having trouble reading front matter'), 1, 'said once (Eleventy prints it twice)')
  t.equal(count(yaml.message, 'js-yaml.mjs:1140:12'), 1, 'its stack once')

  const njk = commandError('npx @11ty/eleventy', 'exited with code 1', output('template-error.txt'), dir)
  t.match(njk, { file: 'content/tpl.njk', line: 6, column: 7 }, 'nunjucks says line 3: it counts from after the three lines of front matter')
  t.equal(count(njk.message, 'unexpected token: %}'), 2, 'the error and its stack\'s first line, once each')
  t.match(njk.message, /Wrote 0 files in [\d.]+ seconds[\s\S]*Eleventy Fatal Error \(CLI\):/, 'the lines that differ are kept')
})

/** A build of a command that runs a shell and a grandchild until stopped; resolves once both run. */
async function runningGroup (t: Test, options: { timeout?: number, signal?: AbortSignal } = {}) {
  const pidFile = join(fixture(t), 'pids')
  const builder = commandBuilder(sleepingGroup(pidFile), { timeout: options.timeout })
  const result = outcome(builder.build(ctx(options.signal)))
  const pids = await groupPids(pidFile)
  t.ok(pids.every(isAlive), 'the shell and its grandchild run')
  return { builder, result, pids }
}

/** SIGTERM reached the whole group: the shell and the grandchild are gone, or going (bounded). */
async function groupGone (t: Test, pids: number[]): Promise<void> {
  await eventually(() => !pids.some(isAlive), 5000, 'the process group gone')
  t.pass(`shell ${pids[0]} and grandchild ${pids[1]} are gone`)
}

t.test('a timeout kills the whole process group, grandchildren included', async t => {
  // Long enough for the shell to start its grandchild on a loaded machine: the test needs both.
  const { result, pids } = await runningGroup(t, { timeout: 2000 })
  t.match((await result).errors?.[0].message, /timed out after 2000 ms/)
  await groupGone(t, pids)
})

/** This process's children, by pid: its main thread's list in /proc (the children a spawn makes). */
const ownChildren = (): number[] => readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').split(' ').filter(pid => pid !== '').map(Number)

t.test('a command that exits in time while our event loop is held up past its timeout: built, not timed out', async t => {
  const builder = commandBuilder('exit 0', { timeout: 20 })
  const before = ownChildren()
  const built = builder.build(ctx()) // spawned before build() returns
  const [pid] = ownChildren().filter(child => !before.includes(child))
  // Held, as a long synchronous call or a starved CPU holds it, until the command has exited (a
  // zombie, not reaped while the loop is held, is not alive) and its timeout has passed; bounded.
  const due = performance.now() + 40
  const bound = performance.now() + 10_000
  while ((isAlive(pid) || performance.now() < due) && performance.now() < bound);
  t.notOk(isAlive(pid), 'the command exited while the loop was held')
  t.same(await built, { reload: 'auto' }, 'its exit read before the timeout decided')
})

t.test('an abort stops the command, grandchildren included', async t => {
  const controller = new AbortController()
  const { result, pids } = await runningGroup(t, { signal: controller.signal })
  controller.abort()
  t.match((await result).errors?.[0].message, /aborted/)
  await groupGone(t, pids)
})

t.test('close kills a running command, grandchildren included', async t => {
  const { builder, result, pids } = await runningGroup(t)
  await builder.close?.()
  t.match((await result).errors?.[0].message, /was killed by SIGTERM/)
  await groupGone(t, pids)
})

// A build ends when its command exits. Background children still in its process group die
// with it; the timeout (10 s here) must never be what ends these builds.
t.test('a build ends when the command exits, and its background children die with the group', async t => {
  const pidFile = join(fixture(t), 'pid')
  const builder = commandBuilder(`sleep 100 & echo "$!" > ${JSON.stringify(pidFile)}; echo built`, { timeout: 10_000 })
  t.same(await builder.build(ctx()), { reload: 'auto' })
  const sleeper = Number(readFileSync(pidFile, 'utf8'))
  await eventually(() => !isAlive(sleeper), 5000, 'the background sleep gone')
  t.pass(`background sleep ${sleeper} is gone`)
  t.same(await builder.build(ctx()), { reload: 'auto' }, 'the next build is not held either')
})

t.test('a failing command that leaves a background child fails at its exit, with its output', async t => {
  const builder = commandBuilder('sleep 100 & echo "src/a.ts:3:7 oops" >&2; exit 1', { timeout: 10_000 })
  t.match((await outcome(builder.build(ctx()))).errors?.[0], { message: /exited with code 1[\s\S]*oops/, file: 'src/a.ts', line: 3 })
})

t.test('a process outside the group that holds the output pipes does not hold the build', async t => {
  const dir = fixture(t)
  const pidFile = join(dir, 'pid')
  // setsid: a session (and group) of its own, out of reach of the group kill; it is the user's.
  // The shell reads its pid from a FIFO, written once it has left the group.
  const builder = commandBuilder('mkfifo started; setsid sh -c \'echo $$ > started; exec sleep 100\' & read pid < started; echo "$pid" > pid; echo built', { cwd: dir, timeout: 10_000 })
  t.teardown(() => { try { process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL') } catch {} })
  t.same(await builder.build(ctx()), { reload: 'auto' })
  t.ok(isAlive(Number(readFileSync(pidFile, 'utf8'))), 'the process that left the group still runs')
})

/**
 * Memory (bytes) that survives a full collection: what the process keeps, not the garbage it has
 * yet to collect. The flood's chunks are garbage as soon as they are read, and how much of it
 * piles up before a collection is V8's choice: RSS grew 34 MB for 100 MB on Node 20, 42 to 71 MB
 * on Node 24. The second collection finishes the first one's sweep of dead buffers, which runs
 * in the background.
 */
function keptBytes (): number {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  gc()
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return heapUsed + arrayBuffers
}

t.test('an output flood keeps only the tail, with memory bounded', async t => {
  const before = keptBytes()
  const builder = commandBuilder('head -c 100000000 /dev/zero | tr "\\0" x; printf "\\377\\376 end"; exit 1', { maxOutput: 1000 })
  const result = await outcome(builder.build(ctx()))
  const message = result.errors?.[0].message ?? ''
  t.ok(message.length < 1200, `message of ${message.length} chars`)
  t.match(message, /end$/, 'the tail is kept, invalid UTF-8 replaced')
  const kept = (keptBytes() - before) / 1024 / 1024
  t.ok(kept < 10, `${kept.toFixed(1)} MB kept of 100 MB of output`)
})

t.test('a missing working directory fails the build, not the server', async t => {
  const builder = commandBuilder('true', { cwd: '/nonexistent/dir' })
  t.match((await outcome(builder.build(ctx()))).errors?.[0].message, /could not run|exited/)
})

t.test('bad arguments throw a coded error', async t => {
  for (const args of [[''], [[]], [42], ['x', { timeout: 0 }], ['x', { maxOutput: 1.5 }], ['x', { cwd: 3 }]] as unknown[][]) {
    t.throws(() => (commandBuilder as (...a: unknown[]) => unknown)(...args), { code: 'FST_LIVERELOAD_INVALID_OPTION' })
  }
})
