// runBuilder (lib/builders/run.ts): a generator's own watch mode, a real process
// (fixtures/builders/watch-generator.mjs) watching real files, kept running by the plugin; each
// rebuild it prints is one build, seen by a real WebSocket client.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { runBuilder } from '../lib/index.js'
import type { RunBuilderOptions } from '../types/index.js'
import { channelClient, serveCommand } from './helpers/cli.js'
import { eventually } from './helpers/eventually.js'
import { fixture, saveWhole } from './helpers/fixture.js'
import { harness } from './helpers/harness.js'
import { logLines } from './helpers/log.js'
import { isAlive } from './helpers/process.js'

const GENERATOR = fileURLToPath(new URL('fixtures/builders/watch-generator.mjs', import.meta.url))
const COMMAND = `"${process.execPath}" "${GENERATOR}" src _site --watch`

/** A site whose sources the generator watches, served from `_site` by an app on a free port. */
async function site (t: Test, { env = {}, options = {}, command = COMMAND }: { env?: Record<string, string>, options?: RunBuilderOptions, command?: string } = {}) {
  const log = logLines('info')
  const { dir, app, origin: url } = await harness(t, {
    files: { src: { 'index.html': '<h1>one</h1>\n', 'about.html': '<h1>about</h1>\n' }, _site: {} },
    options: dir => ({ root: join(dir, '_site'), builder: runBuilder(command, { cwd: dir, env, ...options }) }),
    fastify: { logger: log.logger }
  })
  return { dir, app, url, log, client: await channelClient(t, url) }
}

/** The types of the messages `client` got after its hello. */
const types = (client: { messages: Array<{ type: string }> }): string[] => client.messages.slice(1).map(message => message.type)

t.test('started once, ready on its first build; each save is one rebuild: building, then one reload after all its writes', async t => {
  const { dir, app, client, log } = await site(t)
  t.match(await readFile(join(dir, '_site/index.html'), 'utf8'), /<h1>one<\/h1>/, 'app.ready() waited for the first build')
  t.equal(app.liveReload.stats().builds, 1)
  for (const text of ['two', 'three']) {
    await saveWhole(join(dir, 'src/index.html'), `<h1>${text}</h1>\n`)
    const reload = await client.next('reload')
    t.same(reload.paths.sort(), ['/feed.xml', '/index.html'], 'both files the rebuild wrote, in one message')
    t.match(await readFile(join(dir, '_site/index.html'), 'utf8'), new RegExp(text))
  }
  t.same(types(client), ['building', 'reload', 'building', 'reload'], 'nothing between the rebuilds: their writes were theirs')
  t.equal(log.lines.filter(line => line.msg.startsWith('started `')).length, 1, 'the generator started once')
  t.ok(log.lines.some(line => line.msg === '[11ty] Watching…'), 'its output is in the log')
})

t.test('a rebuild that fails: its output in the overlay at its file and line; the next good rebuild clears it', async t => {
  const { dir, app, client } = await site(t)
  await saveWhole(join(dir, 'src/about.html'), '<h1>about</h1>\n{{ broken }}\n')
  const { errors } = await client.next('error')
  t.equal(errors.length, 1)
  t.match(errors[0], { line: 2, column: 1 })
  t.ok(errors[0].file?.endsWith('src/about.html'), `the template: ${String(errors[0].file)}`)
  t.match(errors[0].message, /Problem writing Eleventy templates/)
  t.equal(app.liveReload.stats().failures, 1)
  await saveWhole(join(dir, 'src/about.html'), '<h1>about us</h1>\n')
  await client.next('reload')
  t.equal(app.liveReload.stats().lastErrors, null)
  t.same(types(client), ['building', 'error', 'building', 'reload'])
})

t.test('esbuild\'s lines by default, colours stripped; a pattern of the user\'s for a tool of its own', async t => {
  await t.test('esbuild', async t => {
    const { dir, client } = await site(t, { env: { GENERATOR_STYLE: 'esbuild' } })
    await saveWhole(join(dir, 'src/index.html'), '{{ broken }}\n')
    const { errors } = await client.next('error')
    t.match(errors[0], { line: 1, message: /✘ \[ERROR\] Unexpected "broken"/ })
    t.notOk(errors[0].message.includes('\u001b'), 'no escape codes')
    await saveWhole(join(dir, 'src/index.html'), 'fixed\n')
    await client.next('reload')
  })
  await t.test('plain, with patterns (a global flag does not make every other line miss)', async t => {
    const options = { begins: /^gen: begin/g, ends: /^gen: done/g, errors: /FAILED/g }
    const { dir, client } = await site(t, { env: { GENERATOR_STYLE: 'plain' }, options })
    for (const text of ['a', 'b', 'c']) {
      await saveWhole(join(dir, 'src/index.html'), `${text}\n`)
      await client.next('reload')
    }
    await saveWhole(join(dir, 'src/index.html'), '{{ broken }}\n')
    t.match((await client.next('error')).errors[0].message, /gen: FAILED at src\/index.html:1/)
    t.same(types(client), ['building', 'reload', 'building', 'reload', 'building', 'reload', 'building', 'error'])
  })
})

t.test('a rebuild whose end never shows fails after timeout; the next one is a build of its own', async t => {
  const options = { begins: /^gen: begin/, ends: /^no tool prints this$/, timeout: 300 }
  const { dir, client, app, log } = await site(t, { env: { GENERATOR_STYLE: 'plain' }, options })
  t.match(app.liveReload.stats().lastErrors?.[0].message, /printed no end of this rebuild in 300 ms, nor any line that begins or ends one: give its own to `begins` and `ends`/, 'its start, too, with what to do: no line of the tool\'s has matched yet')
  // Its start gave up on before the generator had built (and was watching): now it is.
  if (!log.lines.some(line => line.msg === 'gen: done')) await log.next(line => line.msg === 'gen: done')
  for (const text of ['a', 'b']) {
    await saveWhole(join(dir, 'src/index.html'), `${text}\n`)
    await client.next('building')
    t.match((await client.next('error')).errors[0].message, /printed no end of this rebuild in 300 ms\n\ngen: begin/)
  }
})

t.test('the generator killed: its death is in the overlay, it starts again at once, and its build clears it', async t => {
  const { dir: siteDir, client, log } = await site(t, { env: { GENERATOR_PID_FILE: 'pids.json' } })
  const pidFile = join(siteDir, 'pids.json')
  const first = JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number }
  process.kill(first.pid, 'SIGKILL')
  t.match((await client.next('error')).errors[0].message, /exited with code 137 \(SIGKILL\)/)
  await client.next('clear') // its start's build wrote the same bytes: nothing to reload, the error gone
  t.not((JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number }).pid, first.pid, 'a new process')
  await writeFile(join(siteDir, 'src/index.html'), 'after\n')
  await client.next('reload')
  t.equal(log.lines.filter(line => line.msg.startsWith('started `')).length, 2)
})

t.test('close takes the generator\'s whole process group with it', async t => {
  const { dir, app } = await site(t, { env: { GENERATOR_PID_FILE: 'pids.json' } })
  const { pid, helper } = JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')) as { pid: number, helper: number }
  await app.close()
  await eventually(() => !isAlive(pid), 60_000, 'the generator gone')
  await eventually(() => !isAlive(helper), 60_000, 'the process it started gone')
})

t.test('a server that dies without closing (SIGKILL) takes the generator\'s group with it', async t => {
  const dir = fixture(t, { src: { 'index.html': 'one\n' }, _site: {} })
  const host = fork(fileURLToPath(new URL('fixtures/builders/run-host.mjs', import.meta.url)), [dir], { env: { ...process.env, GENERATOR_PID_FILE: join(dir, 'pids.json') }, execArgv: [] })
  t.teardown(() => host.kill('SIGKILL'))
  await once(host, 'message')
  const { pid, helper } = JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')) as { pid: number, helper: number }
  host.kill('SIGKILL')
  await once(host, 'exit')
  await eventually(() => !isAlive(pid), 60_000, 'the generator gone')
  await eventually(() => !isAlive(helper), 60_000, 'the process it started gone')
})

t.test('a command without its watch flag: one build, a warning that it is not watching, no restart', async t => {
  const { dir, app, log } = await site(t, { command: `"${process.execPath}" "${GENERATOR}" src _site` })
  await eventually(() => log.lines.some(line => line.msg.includes('is not watching')), 5000, 'the warning')
  t.match(await readFile(join(dir, '_site/index.html'), 'utf8'), /one/)
  t.equal(app.liveReload.stats().failures, 0)
  t.equal(log.lines.filter(line => line.msg.startsWith('started `')).length, 1)
})

t.test('app.liveReload.build() with no rebuild under way reloads, as without a builder', async t => {
  const { app, client } = await site(t)
  t.match(await app.liveReload.build(), { ok: true, sent: 'reload' })
  await client.next('reload')
  t.match(await app.liveReload.build({ full: true }), { ok: true, full: true, sent: 'reload' }, 'a full one, later: a build of its own, not the start\'s report')
  t.equal(app.liveReload.stats().builds, 3)
})

t.test('a first build longer than Fastify\'s pluginTimeout: the app starts anyway, and the build\'s message comes when it ends', async t => {
  let finish!: () => void
  const finished = new Promise<void>(resolve => { finish = resolve })
  const log = logLines('info')
  const { app, origin: url } = await harness(t, {
    files: {},
    options: { builder: async () => { await finished; return { reload: 'page' } } },
    // Long enough for the register's own work on a loaded machine, which the timeout counts too.
    fastify: { logger: log.logger, pluginTimeout: 2000 }
  })
  t.ok(log.lines.some(line => line.level === 40 && line.msg.startsWith('the first build is still running')), 'said so')
  t.equal(app.liveReload.stats().building, true)
  const client = await channelClient(t, url)
  finish()
  await client.next('reload')
})

t.test('without buildOnStart (the command\'s way), a full build asked for after the start is a build of its own', async t => {
  const { app, origin } = await harness(t, {
    files: { src: { 'index.html': 'one\n' }, _site: {} },
    options: dir => ({ root: join(dir, '_site'), buildOnStart: false, builder: runBuilder(COMMAND, { cwd: dir }) })
  })
  const client = await channelClient(t, origin)
  if (app.liveReload.stats().builds === 0) await client.next('reload') // the generator's start
  t.match(await app.liveReload.build({ full: true }), { full: true, sent: 'reload' })
})

t.test('options are checked when the builder is made', async t => {
  for (const [command, options, name] of [
    ['', {}, 'runBuilder.command'],
    ['gen --watch', { begins: '^go' }, 'runBuilder.begins'],
    ['gen --watch', { timeout: 0 }, 'runBuilder.timeout'],
    ['gen --watch', { cwd: '' }, 'runBuilder.cwd'],
    ['gen --watch', { watch: true }, 'runBuilder.watch']
  ] as const) {
    t.throws(() => runBuilder(command, options as RunBuilderOptions), { code: 'FST_LIVERELOAD_INVALID_OPTION', message: new RegExp(name.replace('.', '\\.')) })
  }
})

t.test('the command: --run-begins and --run-ends frame the rebuilds of a tool whose lines are its own', async t => {
  const dir = fixture(t, { src: { 'index.html': '<h1>one</h1>\n' }, _site: {} })
  const command = await serveCommand(t, ['_site', '--run', COMMAND, '--run-begins', '^gen: begin$', '--run-ends', '^gen: done$', '--port', '0', '--no-open'], { cwd: dir, env: { GENERATOR_STYLE: 'plain' } })
  await command.line(/gen: done/) // its first build over: the next message is the save's
  const client = await channelClient(t, command.url)
  await saveWhole(join(dir, 'src/index.html'), '<h1>two</h1>\n')
  await client.next('building') // `gen: begin`: a rebuild, which the output's own writes would not announce
  await client.next('reload')
  t.match(await (await fetch(`${command.url}/index.html`)).text(), /two/)
})

t.test('the command: --run serves the directory its generator writes, and reloads per rebuild', async t => {
  const dir = fixture(t, { src: { 'index.html': '<h1>one</h1>\n' }, _site: {} })
  const command = await serveCommand(t, ['_site', '--run', COMMAND, '--port', '0', '--no-open'], { cwd: dir })
  // The generator's first build ends after the URL is printed (the command listens first), and
  // sends a reload of its own: connected before it, the client would take it for the save's.
  await command.line(/built in \d+ ms/)
  const client = await channelClient(t, command.url)
  await saveWhole(join(dir, 'src/index.html'), '<h1>two</h1>\n')
  await client.next('reload')
  t.match(await (await fetch(`${command.url}/index.html`)).text(), /two/)
  await command.line(/Watching/)
})
