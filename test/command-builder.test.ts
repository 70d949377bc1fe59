import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { BuildContext, BuildErrorInfo, BuildOutcome } from '../types/index.js'
import { commandBuilder, commandError } from '../lib/builders/command.js'
import { collectingLogger } from './helpers/log.js'

function ctx (signal = new AbortController().signal): BuildContext {
  return { changes: [], full: false, signal, log: collectingLogger().log }
}

type Built = Omit<BuildOutcome, 'errors'> & { errors?: BuildErrorInfo[] }
const outcome = async (promise: unknown) => (await promise) as Built

t.test('commands run in order and a success reloads as the output says', async t => {
  const dir = t.testdir({})
  const builder = commandBuilder(['echo one > a.txt', 'cat a.txt > b.txt'], { cwd: dir })
  t.same(await builder.build(ctx()), { reload: 'auto' })
  t.equal(readFileSync(join(dir, 'b.txt'), 'utf8'), 'one\n')
})

t.test('a failing step stops the chain with its exit code, output and location', async t => {
  const dir = t.testdir({})
  const builder = commandBuilder(['echo "src/a.ts:3:7 - error TS1005: \';\' expected." >&2; exit 2', 'touch after'], { cwd: dir })
  const result = await outcome(builder.build(ctx()))
  t.match(result.errors?.[0], { message: /exited with code 2[\s\S]*TS1005/, file: 'src/a.ts', line: 3, column: 7 })
  t.notOk(existsSync(join(dir, 'after')), 'the next step did not run')
})

t.test('commandError reads tsc-style locations too', async t => {
  t.match(commandError('tsc', 'exited with code 1', 'lib/x.ts(12,5): error TS2322'), { file: 'lib/x.ts', line: 12, column: 5 })
  t.same(commandError('x', 'exited with code 1', ''), { message: '`x` exited with code 1' })
})

t.test('a timeout kills the whole process group, grandchildren included', async t => {
  const dir = t.testdir({})
  const builder = commandBuilder('sleep 1000 & echo $! > pid; wait', { cwd: dir, timeout: 300 })
  const result = await outcome(builder.build(ctx()))
  t.match(result.errors?.[0].message, /timed out after 300 ms/)
  const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'))
  // SIGTERM reached the group; the grandchild is gone or going: wait for it, bounded.
  const deadline = Date.now() + 5000
  while (isAlive(pid) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  t.notOk(isAlive(pid), 'the grandchild sleep is gone')
})

t.test('an abort stops the command at once', async t => {
  const controller = new AbortController()
  const builder = commandBuilder('sleep 1000')
  const result = outcome(builder.build(ctx(controller.signal)))
  setImmediate(() => controller.abort())
  t.match((await result).errors?.[0].message, /aborted/)
})

t.test('close kills a running command', async t => {
  const builder = commandBuilder('sleep 1000')
  const result = outcome(builder.build(ctx()))
  setImmediate(() => builder.close?.())
  t.ok((await result).errors)
})

t.test('an output flood keeps only the tail, with memory bounded', async t => {
  const before = process.memoryUsage().rss
  const builder = commandBuilder('head -c 100000000 /dev/zero | tr "\\0" x; printf "\\377\\376 end"; exit 1', { maxOutput: 1000 })
  const result = await outcome(builder.build(ctx()))
  const message = result.errors?.[0].message ?? ''
  t.ok(message.length < 1200, `message of ${message.length} chars`)
  t.match(message, /end$/, 'the tail is kept, invalid UTF-8 replaced')
  const grown = (process.memoryUsage().rss - before) / 1024 / 1024
  t.ok(grown < 60, `RSS grew ${grown.toFixed(1)} MB for 100 MB of output`)
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

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
