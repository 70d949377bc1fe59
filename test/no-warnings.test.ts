import { writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import t, { type Test } from 'tap'
import { connectLiveReload } from '../lib/testing.js'
import { copyBuilder } from './helpers/copy-builder.js'
import { harness } from './helpers/harness.js'
import { stall } from './helpers/loop.js'
import { writeFromThread } from './helpers/writer-thread.js'

/** Saves, each a dozen decisions or so of the coalescer, a millisecond or two from their due time. */
const SAVES = 12
/** How long (ms) our event loop is kept busy after each write, before the save is decided. */
const STALL_MS = 20

/** The process's warnings from now until the test ends. */
function collectWarnings (t: Test): Error[] {
  const warnings: Error[] = []
  const onWarning = (warning: Error): void => { warnings.push(warning) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  return warnings
}

/**
 * Two threads per CPU, each spinning until the test ends: more threads want a CPU than there are,
 * as on a machine busy with other work. The coalescer then decides from contention (short waits,
 * looked at again and again), and the scheduler takes our thread off its CPU at any moment:
 * between a decision's reading of the clock and the timer it arms too, which is where a wait
 * went negative. (No env: a thread would load NODE_OPTIONS' imports, tap's tracker among them.)
 */
function busyMachine (t: Test): void {
  const spinners = Array.from({ length: 2 * availableParallelism() }, () => new Worker('for (;;);', { eval: true, env: {} }))
  t.teardown(async () => { await Promise.all(spinners.map(async spinner => await spinner.terminate())) })
}

// The stalls: a decision is one synchronous call, so a stall cannot land inside one; but a thread
// that has just used its CPU is the one the scheduler takes off it next. Measured on 2 cores
// before the coalescer's fix (Node 24): without the stalls, 1 run in 6 warned; with them, 4 in 4.
t.test('saves, builds, a burst and close on a busy machine make the process emit no warning', async t => {
  const warnings = collectWarnings(t)
  const { app, dir } = await harness(t, {
    files: { src: { 'page.txt': 'zero' }, dist: { 'site.css': 'body {}' } },
    options: dir => ({ root: join(dir, 'dist'), watch: [join(dir, 'src')], builder: copyBuilder(join(dir, 'src'), join(dir, 'dist')) })
  })
  const src = join(dir, 'src')
  const dist = join(dir, 'dist')
  const client = await connectLiveReload(app, { transport: 'socket' })
  busyMachine(t)

  for (let i = 0; i < SAVES; i++) {
    const outcome = client.next(['reload', 'css'])
    // A source (a build, then a reload) or an output written by hand (a stylesheet: a swap).
    await writeFile(i % 2 === 0 ? join(src, 'page.txt') : join(dist, 'site.css'), `${i}`)
    stall(STALL_MS)
    await outcome
  }
  const burst = client.next('reload')
  await writeFromThread(Array.from({ length: 300 }, (_, i) => [join(src, `burst-${i}.txt`), `${i}`]))
  await burst
  await app.close()
  await new Promise(resolve => setImmediate(resolve)) // process.emitWarning emits on the next tick

  t.same(warnings.map(warning => `${warning.name}: ${warning.message}`), [])
})
