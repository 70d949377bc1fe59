// The build pipeline on its own: changes are pushed in by hand (the watcher has its own tests,
// and test/serial/build.test.ts runs the whole chain with a real watcher), builders are in-process.
import { EventEmitter, once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { BroadcastMessage, Builder, BuildContext, BuildReport, FileChange } from '../../types/index.js'
import { LOOP_LIMIT } from '../../lib/pipeline/loop-breaker.js'
import { resolveOptions } from '../../lib/options.js'
import { createPipeline } from '../../lib/pipeline/pipeline.js'
import { fixture } from '../helpers/fixture.js'
import { collectingLogger } from '../helpers/log.js'
import { holdEventLoop } from '../helpers/loop.js'

holdEventLoop(t)

function recordingHub () {
  const events = new EventEmitter()
  const sent: BroadcastMessage[] = []
  return {
    sent,
    broadcast (message: BroadcastMessage) { sent.push(message); events.emit(`message:${message.type}`, message) },
    next: async (type: BroadcastMessage['type']) => (await once(events, `message:${type}`))[0] as BroadcastMessage,
    types: () => sent.map(m => m.type)
  }
}

function setup (t: Test, builder?: Builder | Builder['build'], extra: Record<string, unknown> = {}) {
  const root = fixture(t, { 'index.html': 'x', 'a.css': 'a' })
  const options = resolveOptions({ root, debounce: 10, builder, ...extra })
  const hub = recordingHub()
  const { log, lines } = collectingLogger()
  const pipeline = createPipeline(options, hub, log)
  t.teardown(() => pipeline.close())
  const change = (name: string, type: FileChange['type'] = 'update'): FileChange => ({ path: join(root, name), type })
  return { root, hub, pipeline, lines, change }
}

/**
 * Changes a.md, waits until `isHeld` says the first build is held, then changes b.md, which
 * supersedes it; resolves once the build that follows has sent its reload.
 */
async function supersedeFirst ({ pipeline, hub, change }: ReturnType<typeof setup>, isHeld: Promise<unknown>): Promise<void> {
  pipeline.pushSource([change('../src/a.md')])
  await isHeld
  const reload = hub.next('reload')
  pipeline.pushSource([change('../src/b.md')])
  await reload
}

/** A builder whose builds wait until the test releases them. */
function gatedBuilder (write?: (ctx: BuildContext) => void) {
  const events = new EventEmitter()
  const calls: BuildContext[] = []
  let release: (() => void) | undefined
  return {
    calls,
    started: async () => { await once(events, 'start') },
    release: () => release?.(),
    builder: {
      name: 'gated',
      async build (ctx: BuildContext) {
        calls.push(ctx)
        const gate = new Promise<void>(resolve => { release = resolve })
        events.emit('start')
        await gate
        write?.(ctx)
      }
    } satisfies Builder
  }
}

t.test('without a builder a source change reloads everything', async t => {
  const { hub, pipeline, change, lines } = setup(t)
  const reload = hub.next('reload')
  pipeline.pushSource([change('../src/view.html')])
  t.same(await reload, { type: 'reload', paths: [] })
  t.match(lines.at(-1), { level: 30, msg: /^sources changed: \S*src\/view\.html; reloading$/ }, 'the log names the file')
  const report = await pipeline.build()
  t.match(report, { ok: true, sent: 'reload' })
})

t.test('an output change is logged naming its files, the first three and how many more', async t => {
  const { hub, pipeline, change, lines } = setup(t)
  const css = hub.next('css')
  pipeline.pushOutput([change('a.css')])
  await css
  t.match(lines.at(-1), { level: 30, type: 'css', changes: 1, msg: /^output changed: \S*\/a\.css; sent css$/ })
  const reload = hub.next('reload')
  pipeline.pushOutput(['p1.html', 'p2.html', 'p3.html', 'p4.html', 'p5.html'].map(name => change(name, 'delete')))
  await reload
  t.match(lines.at(-1), { changes: 5, msg: /^output changed: \S*\/p1\.html, \S*\/p2\.html, \S*\/p3\.html and 2 more; sent reload$/ })
})

t.test('a build that reports its outputs ends in the message they call for', async t => {
  const { root, hub, pipeline, change } = setup(t, () => ({ outputs: [join(root, 'a.css')] }))
  const report = await pipeline.build({ full: true })
  t.match(report, { ok: true, full: true, sent: 'css', outputs: ['/a.css'], errors: [] })
  t.same(hub.sent, [{ type: 'building', changes: [] }, { type: 'css', paths: ['/a.css'] }])
  t.ok(report.duration >= 0)
  const second = await pipeline.build()
  t.equal(second.sent, 'none', 'byte-identical output sends no reload, swap or error')
  t.same(hub.sent.slice(2), [{ type: 'building', changes: [] }, { type: 'clear' }], 'only the clear that ends the build for the browsers')
  t.match(pipeline.stats(), { builds: 2, failures: 0, building: false, lastErrors: null })
  t.ok(change('x'))
})

t.test('a stylesheet built with its source map is a swap; outputs the ignore rules match do not count', async t => {
  const { root, hub, pipeline } = setup(t, () => {
    writeFileSync(join(root, 'a.css'), `a { color: red } /* ${Date.now()} */`)
    writeFileSync(join(root, 'a.css.map'), `{"version":3,"sources":[],"mappings":"","x":${Date.now()}}`)
    writeFileSync(join(root, 'build.log'), String(Date.now()))
    return { outputs: [join(root, 'a.css.map'), join(root, 'a.css'), join(root, 'build.log')] }
  }, { ignore: ['**/*.log'] })
  const report = await pipeline.build()
  t.match(report, { ok: true, sent: 'css', outputs: ['/a.css.map', '/a.css'] })
  t.same(hub.sent.at(-1), { type: 'css', paths: ['/a.css'] })
})

t.test('a failing build sends its errors and no reload; the fix clears them', async t => {
  let isBroken = true
  const { root, hub, pipeline } = setup(t, () => {
    if (isBroken) throw Object.assign(new Error('Unexpected token'), { file: join(process.cwd(), 'src/a.md'), line: 3, column: 1 })
    writeFileSync(join(root, 'index.html'), 'fixed')
    return { outputs: [join(root, 'index.html')] }
  })
  const failed = await pipeline.build()
  t.match(failed, { ok: false, sent: 'error', errors: [{ message: 'Unexpected token', file: 'src/a.md', line: 3, column: 1 }] })
  t.same(hub.types(), ['building', 'error'])
  t.match(pipeline.stats(), { failures: 1, lastErrors: [{ message: 'Unexpected token' }] })

  isBroken = false
  const fixed = await pipeline.build()
  t.match(fixed, { ok: true, sent: 'reload', outputs: ['/index.html'] })
  t.equal(pipeline.stats().lastErrors, null)
})

t.test('errors returned by the builder fail the build like thrown ones', async t => {
  const { pipeline } = setup(t, () => ({ errors: ['plain text', new Error('an Error')] }))
  const report = await pipeline.build()
  t.match(report, { ok: false, errors: [{ message: 'plain text' }, { message: 'an Error' }] })
})

t.test('a fixed build with unchanged output only clears the overlay', async t => {
  let calls = 0
  const { root, hub, pipeline } = setup(t, () => {
    if (++calls === 2) throw new Error('broken')
    return { outputs: [join(root, 'index.html')] }
  })
  await pipeline.build()
  await pipeline.build()
  const report = await pipeline.build()
  t.equal(report.sent, 'clear')
  t.same(hub.types(), ['building', 'reload', 'building', 'error', 'building', 'clear'])
})

t.test('changes during a build run exactly one follow-up build with all of them', async t => {
  const gated = gatedBuilder()
  const { pipeline, change } = setup(t, gated.builder)
  const first = gated.started()
  pipeline.pushSource([change('../src/a.md')])
  await first
  const second = gated.started()
  pipeline.pushSource([change('../src/b.md')])
  pipeline.pushSource([change('../src/c.md')])
  gated.release()
  await second
  const third = gated.started()
  const report = pipeline.build()
  gated.release()
  await third
  gated.release()
  t.match(await report, { ok: true, changes: [] })
  t.equal(gated.calls.length, 3, 'the first, one follow-up, and the one asked for')
  t.same(gated.calls[1].changes.map(c => c.path.split('/').pop()), ['b.md', 'c.md'])
})

t.test('without reported outputs, the build\'s own output events decide the message', async t => {
  const { root, hub, pipeline } = setup(t, { build: () => { writeFileSync(join(root, 'a.css'), 'b'); pipeline.pushOutput([{ path: join(root, 'a.css'), type: 'update' }]) } })
  const report = await pipeline.build()
  t.match(report, { sent: 'css', outputs: ['/a.css'] })
  t.same(hub.types(), ['building', 'css'])
})

t.test('output events caused by a build never produce a second message', async t => {
  const { root, hub, pipeline } = setup(t, {
    build: () => {
      writeFileSync(join(root, 'index.html'), 'y')
      pipeline.pushOutput([{ path: join(root, 'index.html'), type: 'update' }])
      return { reload: 'page' }
    }
  })
  await pipeline.build()
  // A later change of one's own makes the next message: had the build's event leaked, it would
  // have come first.
  const css = hub.next('css')
  writeFileSync(join(root, 'a.css'), 'changed')
  pipeline.pushOutput([{ path: join(root, 'a.css'), type: 'update' }])
  await css
  t.same(hub.types(), ['building', 'reload', 'css'])
})

t.test('supersede aborts the running build and restarts with all changes', async t => {
  const calls: BuildContext[] = []
  const events = new EventEmitter()
  const pipeline = setup(t, {
    build: async ctx => {
      calls.push(ctx)
      events.emit('start')
      if (calls.length === 1) await once(ctx.signal, 'abort')
      return { reload: 'page' }
    }
  }, { supersede: true })
  await supersedeFirst(pipeline, once(events, 'start'))
  const { hub } = pipeline
  t.equal(calls.length, 2)
  t.ok(calls[0].signal.aborted)
  t.same(calls[1].changes.map(c => c.path.split('/').pop()), ['a.md', 'b.md'])
  t.same(hub.types(), ['building', 'building', 'reload'], 'the aborted build sends nothing')
})

t.test('a build superseded during its onBuildStart hook never reaches the builder; the next one builds every change', async t => {
  const calls: BuildContext[] = []
  const events = new EventEmitter()
  let isFirst = true
  const pipeline = setup(t, async ctx => {
    calls.push(ctx)
    return { reload: 'page' }
  }, {
    supersede: true,
    onBuildStart: async (ctx: BuildContext) => {
      if (!isFirst) return
      isFirst = false
      events.emit('hook')
      await once(ctx.signal, 'abort') // the hook is still running when the newer change supersedes
    }
  })
  await supersedeFirst(pipeline, once(events, 'hook'))
  const { hub } = pipeline
  t.equal(calls.length, 1, 'the superseded build never ran')
  t.same(calls[0].changes.map(c => c.path.split('/').pop()), ['a.md', 'b.md'])
  t.same(hub.types(), ['building', 'building', 'reload'], 'the superseded build sends nothing')
})

t.test('a builder that keeps triggering itself is paused, named; another change builds at once, with its held rewrite', async t => {
  const ended = new EventEmitter()
  const { pipeline, lines, change } = setup(t, {
    build: () => {
      pipeline.pushSource([change('../src/generated.md')]) // writes into its own sources
      return { reload: 'none' }
    }
  }, { onBuildEnd: (report: BuildReport) => { ended.emit('end', report) } })
  pipeline.pushSource([change('../src/a.md')])
  const paused = new Promise<void>(resolve => {
    const timer = setInterval(() => { if (pipeline.stats().paused) { clearInterval(timer); resolve() } }, 5)
  })
  await paused
  t.equal(pipeline.stats().builds, LOOP_LIMIT)
  t.match(lines.filter(line => line.level === 40), [{ msg: /^builds paused: the builder rewrote \S*generated\.md/, paths: [/generated\.md$/] }])
  const withPage = new Promise<BuildReport>(resolve => {
    ended.on('end', (report: BuildReport) => { if (report.changes.some(path => path.endsWith('page.md'))) resolve(report) })
  })
  pipeline.pushSource([change('../src/page.md')])
  const report = await withPage
  t.same(report.changes.map(path => path.split('/').pop()).sort(), ['generated.md', 'page.md'], 'nothing held is lost')
  t.equal(pipeline.stats().paused, true, 'that build rewrote it again')
  t.equal((await pipeline.build()).ok, true, 'a build by hand runs')
  t.equal(pipeline.stats().paused, false, 'and resumes')
})

t.test('hooks see each build; their exceptions are logged, not thrown', async t => {
  const seen: string[] = []
  const { pipeline, lines } = setup(t, () => {}, {
    onBuildStart: (ctx: BuildContext) => { seen.push(`start ${String(ctx.full)}`); throw new Error('hook bug') },
    onBuildEnd: (report: BuildReport) => { seen.push(`end ${report.sent}`) }
  })
  await pipeline.build({ full: true })
  t.same(seen, ['start true', 'end none'])
  t.match(lines.find(line => line.level === 50), { msg: 'onBuildStart failed' })
})

t.test('close aborts a running build, closes the builder and resolves waiters', async t => {
  let closes = 0
  const events = new EventEmitter()
  const { pipeline } = setup(t, {
    build: async ctx => {
      events.emit('start')
      await once(ctx.signal, 'abort')
    },
    close: () => { closes++ }
  })
  const started = once(events, 'start')
  const running = pipeline.build()
  const queued = pipeline.build()
  await started
  await Promise.all([pipeline.close(), pipeline.close()])
  t.match(await running, { ok: false, errors: [{ message: 'the server closed' }] })
  t.match(await queued, { ok: false })
  t.equal(closes, 1)
})

t.test('resync of the sources runs one full build; without a builder it reloads', async t => {
  const ended = new EventEmitter()
  const { pipeline } = setup(t, () => {}, { onBuildEnd: (report: BuildReport) => { ended.emit('end', report) } })
  const end = once(ended, 'end')
  pipeline.resync('sources')
  t.match((await end)[0], { ok: true, full: true })

  const plain = setup(t)
  const reload = plain.hub.next('reload')
  plain.pipeline.resync('sources')
  t.same(await reload, { type: 'reload', paths: [] })
})

t.test('resync of the output reloads; during a build, that build\'s one message becomes the reload', async t => {
  const gated = gatedBuilder()
  const { hub, pipeline } = setup(t, gated.builder)
  const started = gated.started()
  const report = pipeline.build()
  await started
  pipeline.resync('output')
  t.same(hub.types(), ['building'], 'nothing while the build runs')
  gated.release()
  t.equal((await report).sent, 'reload', 'the build wrote nothing new, yet events were lost while it ran')
  const reload = hub.next('reload')
  pipeline.resync('output')
  t.same(await reload, { type: 'reload', paths: [] })
  await pipeline.close()
  pipeline.resync('sources')
  t.equal(hub.types().filter(type => type === 'reload').length, 2, 'nothing once closed')
})
