import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import type { BuildContext, BuildErrorInfo, BuildOutcome, FileChange } from '../types/index.js'
import { isolatedBuilder } from '../lib/builders/isolated.js'
import { eventually } from './helpers/eventually.js'
import { fixture as testdir } from './helpers/fixture.js'
import { collectingLogger } from './helpers/log.js'
import { describeProcess, groupPids, isAlive } from './helpers/process.js'

// Three tests at a time: each has a builder and child processes of its own, and most of their time
// is spent waiting for a timeout or a kill grace period to pass, not computing.
t.jobs = 3

const fixture = (name: string) => new URL(`./fixtures/builders/${name}`, import.meta.url)

function ctx (how?: string, signal = new AbortController().signal) {
  const { log, lines, next } = collectingLogger()
  const changes: FileChange[] = how === undefined ? [] : [{ path: how, type: 'update' }]
  /** The pid of the child, once the build has started in it (crash.js logs it). */
  const started = async () => (await next(line => line.msg === 'build started')).builderPid as number
  return { changes, full: false, signal, log, lines, started } satisfies BuildContext & Record<string, unknown>
}

type Built = Omit<BuildOutcome, 'errors'> & { errors?: BuildErrorInfo[] }
const build = async (builder: ReturnType<typeof isolatedBuilder>, c: BuildContext) => (await builder.build(c)) as Built

t.test('a warm child runs every build and forwards its log lines', async t => {
  const builder = isolatedBuilder(fixture('ok.js'))
  t.teardown(() => builder.close?.())
  const first = ctx('/a.html')
  t.same(await build(builder, first), { reload: 'page', outputs: ['/a.html'], errors: [] })
  t.match(first.lines, [{ msg: 'fixture build', builds: 1 }])
  t.match(await build(builder, ctx('/b.css')), { reload: 'css' }, 'the same child: its counter went on')
})

t.test('each way a builder can die fails that build, and the next build recovers', async t => {
  // Only 'hang' ends by the timeout, which counts from the start of the build, a fresh child's
  // start included (seconds, on a loaded machine): the other cases get a long one. 'hang' idles
  // in a child of its own builder until then, so it runs beside the others.
  const patient = isolatedBuilder(fixture('crash.js'), { timeout: 30_000, maxMemory: 32 })
  const hasty = isolatedBuilder(fixture('crash.js'), { timeout: 6000, maxMemory: 32 })
  t.teardown(() => patient.close?.())
  t.teardown(() => hasty.close?.())
  /** Fails a build in the way `how` names, then builds again; resolves to the pid of the child that recovered. */
  const dieAndRecover = async (how: string, expected: RegExp, builder: typeof patient) => {
    const failed = await build(builder, ctx(how))
    t.match(failed.errors?.[0], { message: expected }, how)
    const ok = await build(builder, ctx('ok'))
    t.same(ok.errors, undefined, `recovered after ${how}`)
    return ok.outputs?.[0] ?? ''
  }
  const hung = dieAndRecover('hang', /timed out after 6000 ms/, hasty)
  const cases: Array<[string, RegExp]> = [
    ['throw', /bad input/],
    ['exit', /exited with code 3/],
    ['uncaught', /exited with code 1/],
    ['oom', /ran out of memory|killed by SIG/],
    ['segv', /killed by SIGSEGV/]
  ]
  const pids = new Set<string>()
  for (const [how, expected] of cases) pids.add(await dieAndRecover(how, expected, patient))
  pids.add(await hung)
  t.equal((await build(patient, ctx('throw'))).errors?.[0].file, 'src/a.md', 'thrown errors keep their location')
  t.ok(pids.size >= 5, 'a fresh child after each death')
})

t.test('a crash is told by its own build\'s stderr, not by what an earlier build printed', async t => {
  const builder = isolatedBuilder(fixture('crash.js'), { timeout: 30_000 })
  t.teardown(() => builder.close?.())
  t.same((await build(builder, ctx('noisy'))).errors, undefined, 'a build that warns and succeeds')
  t.match((await build(builder, ctx('exit'))).errors?.[0], { message: /exited with code 3 before the build finished/ }, 'the next one\'s exit, as it is')
})

t.test('an abort reaches the build in the child, and a build that ignores it is killed with its child', async t => {
  const builder = isolatedBuilder(fixture('crash.js'))
  t.teardown(() => builder.close?.())
  const heeds = new AbortController()
  const abortable = ctx('abortable', heeds.signal)
  const heeded = build(builder, abortable)
  const pid = await abortable.started()
  heeds.abort()
  t.same((await heeded).errors, [{ message: `aborted in ${pid}` }], 'the build in the child saw the abort and ended')
  t.same((await build(builder, ctx('ok'))).outputs, [`/pid/${pid}`], 'that child lives on for the next build')

  const ignores = new AbortController()
  const hung = ctx('hang', ignores.signal)
  const result = build(builder, hung)
  t.equal(await hung.started(), pid, 'the hung build runs in the same child')
  ignores.abort()
  t.match((await result).errors?.[0], { message: 'the builder process was killed by SIGKILL' }, 'killed after the grace period')
  t.notOk(isAlive(pid), 'the child is gone')
  t.same((await build(builder, ctx('ok'))).errors, undefined, 'the next build runs in a fresh child')
})

t.test('a module that does not load fails the build with a clear message', async t => {
  const builder = isolatedBuilder(fixture('broken.js'))
  t.teardown(() => builder.close?.())
  t.ok((await build(builder, ctx())).errors?.[0].message)
  const missing = isolatedBuilder(fixture('missing.js'))
  t.teardown(() => missing.close?.())
  t.match((await build(missing, ctx())).errors?.[0].message, /Cannot find module|ERR_MODULE_NOT_FOUND|not find/)
})

t.test('close is idempotent and ends the child', async t => {
  const builder = isolatedBuilder(fixture('pid.js'))
  const pid = Number((await build(builder, ctx())).outputs?.[0].split('/').pop())
  await Promise.all([builder.close?.(), builder.close?.()])
  t.throws(() => process.kill(pid, 0), { code: 'ESRCH' })
  await builder.close?.()
  const unused = isolatedBuilder(fixture('pid.js'))
  await unused.close?.()
  t.pass('closing a builder that never built resolves')
})

/** A build of spawner.js: its builder process starts a sleep; resolves once both run. */
async function spawned (t: Test, builder: ReturnType<typeof isolatedBuilder>, { hang = false, signal = new AbortController().signal } = {}) {
  const pidFile = join(testdir(t), 'pids')
  const changes: FileChange[] = [{ path: pidFile, type: 'update' }, ...(hang ? [{ path: 'hang', type: 'update' as const }] : [])]
  const result = build(builder, { ...ctx(undefined, signal), changes })
  const pids = await groupPids(pidFile, 30_000)
  t.teardown(() => { for (const pid of pids) { try { process.kill(pid, 'SIGKILL') } catch {} } })
  return { result, pids }
}

async function treeGone (t: Test, [builder, sleeper]: number[]): Promise<void> {
  // A bound on a hang, not a speed check: here it takes 5-20 ms, with two busy loops and coverage
  // too, but on CI's loaded runs it took over 5 s once and over 20 s once (the failure now says
  // which process stayed, and in what state).
  const since = Date.now()
  const gone = eventually(() => !isAlive(builder) && !isAlive(sleeper), 60_000, 'the builder process and its own child gone')
  await gone.catch(err => { throw new Error(`${(err as Error).message}; still there: ${[builder, sleeper].filter(isAlive).map(describeProcess).join('; ')}`) })
  t.pass(`builder process ${builder} and its child ${sleeper} are gone (${Date.now() - since} ms)`)
}

t.test('a timeout kills the builder process and the children it started', async t => {
  const builder = isolatedBuilder(fixture('spawner.js'), { timeout: 6000 })
  t.teardown(() => builder.close?.())
  const { result, pids } = await spawned(t, builder, { hang: true })
  t.match((await result).errors?.[0], { message: /timed out after 6000 ms/ })
  await treeGone(t, pids)
})

t.test('close ends the builder process and kills the children it left running', async t => {
  const builder = isolatedBuilder(fixture('spawner.js'))
  const { result, pids } = await spawned(t, builder)
  t.same((await result).errors, undefined)
  t.ok(pids.every(isAlive), 'the builder process and its child run between builds')
  await builder.close?.()
  await treeGone(t, pids)
})

t.test('an abort that the build ignores kills the builder process and its children', async t => {
  const builder = isolatedBuilder(fixture('spawner.js'))
  t.teardown(() => builder.close?.())
  const controller = new AbortController()
  const { result, pids } = await spawned(t, builder, { hang: true, signal: controller.signal })
  controller.abort()
  t.match((await result).errors?.[0], { message: /killed by SIGKILL/ })
  await treeGone(t, pids)
})

t.test('when the server dies, the builder process and the children it started go too', async t => {
  const pidFile = join(testdir(t), 'pids')
  // A server of its own (the built package's builder module: the rest of the package, Fastify
  // and all, would cost the process half a second of CPU for nothing), killed without a chance to
  // close anything. The build ends once the server is gone: its result is sent to a dead parent
  // before the builder process has read that the channel closed (a loaded run had that failed
  // send crash the process before it could end its group, and the sleep outlived it).
  const server = spawn(process.execPath, ['--input-type=module', '-e', `
    import { isolatedBuilder } from ${JSON.stringify(new URL('../dist/builders/isolated.js', import.meta.url).href)}
    const log = { info () {}, debug () {}, warn () {}, error () {}, trace () {}, fatal () {}, child () { return log } }
    await isolatedBuilder(process.env.MODULE).build({ changes: [{ path: process.env.PIDS, type: 'update' }, { path: 'until-orphaned', type: 'update' }], full: false, signal: new AbortController().signal, log })
  `], { env: { ...process.env, MODULE: fileURLToPath(fixture('spawner.js')), PIDS: pidFile }, stdio: 'ignore' })
  t.teardown(() => { server.kill('SIGKILL') })
  const pids = await groupPids(pidFile, 30_000)
  t.teardown(() => { for (const pid of pids) { try { process.kill(pid, 'SIGKILL') } catch {} } })
  server.kill('SIGKILL')
  await treeGone(t, pids)
})

t.test('bad arguments throw a coded error', async t => {
  for (const args of [[''], [42], ['x.js', { timeout: -1 }], ['x.js', { maxMemory: 0 }]] as unknown[][]) {
    t.throws(() => (isolatedBuilder as (...a: unknown[]) => unknown)(...args), { code: 'FST_LIVERELOAD_INVALID_OPTION' })
  }
  t.ok(isolatedBuilder('test/fixtures/builders/ok.js'), 'relative paths resolve against the working directory')
  t.ok(isolatedBuilder(`file://${process.cwd()}/test/fixtures/builders/ok.js`))
})
