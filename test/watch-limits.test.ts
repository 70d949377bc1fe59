import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { resolveOptions } from '../lib/options.js'
import { inotifyLimitOf } from '../lib/watch/inotify-limits.js'
import { createWatchContext, watchSource } from '../lib/watch/watch.js'
import { collectingLogger } from './helpers/log.js'

const run = promisify(execFile)
// Two tests at a time: most of their time is a server process of their own starting up.
t.jobs = 2
const fixture = fileURLToPath(new URL('fixtures/inotify-limit.mjs', import.meta.url))
const laterFixture = fileURLToPath(new URL('fixtures/inotify-limit-later.mjs', import.meta.url))

/**
 * Runs a real server whose inotify limit is `value`, in a user namespace of its own (the CI
 * machines run the suite as root), so the real kernel refuses the real watcher.
 */
async function serveWithLimit (t: Test, limit: string, value: number) {
  const dir = t.testdir({
    dist: { 'index.html': '<h1>served</h1>', css: {}, img: {}, js: {} },
    src: { a: {}, b: {} },
    content: { c: {} }
  })
  return await inNamespace(fixture, [limit, String(value), dir])
}

/** Runs a fixture (which lowers its limit itself) in a user namespace of its own, and reads what it printed. */
async function inNamespace (script: string, args: string[]) {
  const { stdout } = await run('unshare', ['--user', '--map-root-user', process.execPath, script, ...args], { timeout: 30_000 })
  return JSON.parse(stdout) as { status: number, body: string, lines: Array<{ level: number, msg: string, err?: { code: string, message: string } }> }
}

t.test('the inotify watch limit (ENOSPC) is one coded warning naming the sysctl and "ignore"; the server serves', async t => {
  const { status, body, lines } = await serveWithLimit(t, 'max_inotify_watches', 2)
  t.equal(status, 200)
  t.match(body, '<h1>served</h1>')
  const limited = lines.filter(line => line.err?.code === 'FST_LIVERELOAD_WATCH_LIMIT')
  t.equal(limited.length, 1, 'logged once for three directories')
  t.match(limited[0], { level: 40, err: { message: /fs\.inotify\.max_user_watches=\d+.*"ignore" option/ } })
  t.same(lines.filter(line => line !== limited[0]), [], 'nothing else went wrong')
})

// @parcel/watcher blocks the main thread for good when it cannot open an instance: without the
// check before subscribing, these servers never answer and the run times out. Watching takes two,
// this thread's event loop's (the activity's) and @parcel/watcher's: with one free, the probe once
// found it free and let the watcher hang for it.
for (const free of [0, 1]) {
  t.test(`the inotify instance limit with ${free} free is a coded warning, never a hang`, async t => {
    const { status, lines } = await serveWithLimit(t, 'max_inotify_instances', free)
    t.equal(status, 200)
    const limited = lines.filter(line => line.err?.code === 'FST_LIVERELOAD_WATCH_LIMIT')
    t.equal(limited.length, 1)
    t.match(limited[0], { err: { message: /fs\.inotify\.max_user_instances=\d+/ } })
    t.same(lines.filter(line => line !== limited[0]), [], 'nothing else went wrong')
  })
}

t.test('two instances free are enough: watching, without a word', async t => {
  const { status, lines } = await serveWithLimit(t, 'max_inotify_instances', 2)
  t.equal(status, 200)
  t.same(lines, [])
})

// Each backend of @parcel/watcher opens an instance of its own: a directory that appears once
// the last one is taken makes a new backend, which once hung on an answer asked at the start.
t.test('a directory that appears after the last instance was taken is a coded warning, never a hang', async t => {
  const { status, lines } = await inNamespace(laterFixture, [t.testdir({})])
  t.equal(status, 200, 'the server still answers')
  const limited = lines.filter(line => line.err?.code === 'FST_LIVERELOAD_WATCH_LIMIT')
  t.equal(limited.length, 1)
  t.match(limited[0], { err: { message: /fs\.inotify\.max_user_instances=\d+/ } })
  t.same(lines.filter(line => line !== limited[0]).map(line => line.msg), ['not watching yet: the directory does not exist; watching starts when it does'])
})

t.test('the probe\'s worker runs none of the app\'s --require preloads', async t => {
  // Each thread the preload runs in says so; the probe's answer is printed.
  const dir = t.testdir({ watched: {}, 'preload.cjs': "require('node:fs').appendFileSync(__dirname + '/threads', require('node:worker_threads').isMainThread ? 'main\\n' : 'worker\\n')\n" })
  const probe = `import(${JSON.stringify(new URL('../dist/watch/inotify-limits.js', import.meta.url).href)}).then(m => m.canOpenInotify(${JSON.stringify(join(dir, 'watched'))})).then(answer => process.stdout.write(String(answer)))`
  const { stdout } = await run(process.execPath, ['--require', join(dir, 'preload.cjs'), '--input-type=module', '-e', probe], { timeout: 30_000 })
  t.equal(stdout, 'true', 'an instance is free')
  t.equal(readFileSync(join(dir, 'threads'), 'utf8'), 'main\n', 'the main thread only')
})

t.test('inotifyLimitOf reads the limit from a code or from the C library\'s text', async t => {
  t.equal(inotifyLimitOf(new Error("inotify_add_watch on '/x' failed: No space left on device")), 'fs.inotify.max_user_watches')
  t.equal(inotifyLimitOf(Object.assign(new Error('x'), { code: 'EMFILE' })), 'fs.inotify.max_user_instances')
  t.equal(inotifyLimitOf(new Error('Too many open files')), 'fs.inotify.max_user_instances')
  t.equal(inotifyLimitOf('Permission denied'), null)
  t.equal(inotifyLimitOf(null), null)
})

t.test('the limit is one warning for the whole server, though each source has its own ignore rules', async t => {
  const dir = t.testdir({ out: {}, src: {}, content: {}, notes: {} })
  const { log, lines } = collectingLogger()
  const ctx = createWatchContext(resolveOptions({ poll: false }), log, {
    subscribe: async () => {
      throw new Error("inotify_add_watch on '/x' failed: No space left on device") // as @parcel/watcher says it
    }
  })
  const handlers = { onChanges () {}, onLost () {} }
  for (const source of ['src', 'content']) t.equal(await watchSource(join(dir, source), join(dir, 'out'), handlers, ctx), null, source)
  t.equal(await watchSource(join(dir, 'notes'), null, handlers, ctx), null, 'a source with the shared rules')
  const limited = lines.filter(line => (line.err as { code?: string } | undefined)?.code === 'FST_LIVERELOAD_WATCH_LIMIT')
  t.same(limited.map(line => line.level), [40, 20, 20], 'one warning, then debug lines')
})
