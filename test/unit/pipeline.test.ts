// The whole pipeline on a fake clock (test/helpers/fake-pipeline.ts): a watcher batch to a
// browser message, with builds held and ended by the test. No real timer, file or watcher.
import t from 'tap'
import type { BuildOutcome } from '../../types/index.js'
import { BURST_QUIET_MS, EARLY_MS, WATCHER_QUIET_MS } from '../../lib/pipeline/coalesce-rules.js'
import { LOOP_LIMIT, OBSERVE_MS } from '../../lib/pipeline/loop-breaker.js'
import { DIST, fakePipeline, SRC } from '../helpers/fake-pipeline.js'

const a = `${SRC}/a.md`
const b = `${SRC}/b.md`
const page = `${DIST}/index.html`

t.test('a save is built after a save\'s couple of quiet milliseconds, and its build ends in one reload', async t => {
  const p = fakePipeline()
  t.teardown(p.close)
  await p.save(a)
  await p.advance(EARLY_MS)
  t.same(p.built(), [['a.md']])
  p.write(page)
  await p.builds[0].finish()
  t.same(p.types(), ['building', 'reload'])
})

t.test('a save right after a build is as prompt as a save after an idle spell', async t => {
  const p = fakePipeline()
  t.teardown(p.close)
  await p.save(a)
  await p.advance(EARLY_MS)
  await p.advance(50) // the build runs
  p.write(page)
  await p.builds[0].finish()
  await p.advance(30)
  const at = p.fake.now
  p.write(b) // the watcher holds it for its quiet: its last batch came less than its forced flush ago
  await p.advance(EARLY_MS)
  t.same(p.built(), [['a.md'], ['b.md']])
  t.equal(p.builds[1].startedAt - at, EARLY_MS, 'its build starts after a save\'s quiet, not a burst\'s, nor the watcher\'s')
  await p.advance(WATCHER_QUIET_MS - EARLY_MS)
  await p.deliver(b) // its copy, late: stale
  await p.advance(1000)
  t.equal(p.builds.length, 2, 'no build for the watcher\'s copy')
})

const during = [
  { name: 'while the build waits for its onBuildStart hook', at: 0, isBusy: false },
  { name: 'while the builder runs', at: 90, isBusy: false },
  { name: 'while the builder runs, on a machine whose CPUs stay busy', at: 90, isBusy: true }
]
for (const { name, at, isBusy } of during) {
  t.test(`a change ${name} goes with the follow-up build`, async t => {
    const p = fakePipeline()
    t.teardown(p.close)
    p.fake.contend(isBusy)
    await p.save(a)
    await p.advanceUntil(() => p.builds.length > 0, 1000) // its build starts (fake time)
    await p.advance(at)
    const written = p.fake.now
    await p.save(b)
    await p.advance(4 * BURST_QUIET_MS)
    p.write(page)
    await p.builds[0].finish()
    await p.advanceUntil(() => p.builds.length > 1, 1500)
    t.same(p.built(), [['a.md'], ['b.md']])
    // On the fake clock: the bound, as the pipeline decides it, whatever the machine's load.
    t.ok(p.builds[1].startedAt - written < 1500, `its build started ${p.builds[1].startedAt - written} fake ms after its write`)
  })
}

t.test('saves paced against builds, each written while the last one\'s build runs, are each in the next build', async t => {
  const p = fakePipeline()
  t.teardown(p.close)
  await p.save(a, 'a 0')
  await p.advance(EARLY_MS)
  for (let round = 1; round <= 12; round++) {
    await p.advance(90)
    await p.save(round % 2 === 0 ? a : b, `edit ${round}`) // during the running build
    await p.advance(20)
    p.write(page, `page ${round}`)
    await p.builds.at(-1)!.finish()
    await p.advance(300)
    t.equal(p.builds.length, round + 1, `round ${round}: its follow-up build started`)
  }
})

type FakePipeline = ReturnType<typeof fakePipeline>
type Step = (p: FakePipeline) => Promise<void> | void

// The steps a scenario is written in: what the watcher, the builder and time do.
const saved = (path: string): Step => async p => { await p.save(path); await p.advance(EARLY_MS) }
const written = (path: string): Step => p => { p.write(path) }
const delivered = (path: string): Step => async p => { await p.deliver(path) }
const finished = (build: number, outcome?: BuildOutcome): Step => async p => { await p.builds[build].finish(outcome) }
const failed = (build: number): Step => async p => { await p.builds[build].fail(new Error('syntax error in a.md')) }
const waited = (ms: number): Step => async p => { await p.advance(ms) }
const outputLost: Step = p => { p.pipeline.resync('output') }
const closed: Step = async p => { await p.close() }

const scenarios: Array<{ name: string, options?: Parameters<typeof fakePipeline>[0], steps: Step[], messages: string[], built: string[][] }> = [
  { name: 'a change during a build supersedes it, with supersede: the next build carries both, and one reload ends them', options: { supersede: true }, steps: [saved(a), written(page), saved(b), waited(4 * BURST_QUIET_MS), written(page), finished(1)], messages: ['building', 'building', 'reload'], built: [['a.md'], ['a.md', 'b.md']] },
  { name: 'without supersede, the build runs on and a follow-up build carries the change', steps: [saved(a), saved(b), waited(4 * BURST_QUIET_MS), written(page), finished(0), written(`${DIST}/about.html`), finished(1)], messages: ['building', 'reload', 'building', 'reload'], built: [['a.md'], ['b.md']] },
  { name: 'a build\'s own output writes, delivered late by the watcher, are no second reload', steps: [saved(a), written(page), finished(0), delivered(page), waited(500)], messages: ['building', 'reload'], built: [['a.md']] },
  { name: 'a failed build shows its error; the next that changes nothing clears it', steps: [saved(a), failed(0), saved(a), finished(1)], messages: ['building', 'error', 'building', 'clear'], built: [['a.md'], ['a.md']] },
  { name: 'a build that writes nothing new still ends its building notice: clear', steps: [saved(a), finished(0)], messages: ['building', 'clear'], built: [['a.md']] },
  { name: 'events lost in the output during a build make its one message a reload', steps: [saved(a), outputLost, finished(0, { reload: 'css' })], messages: ['building', 'reload'], built: [['a.md']] },
  { name: 'a stylesheet the builder names is swapped, not reloaded', steps: [saved(a), finished(0, { outputs: [`${DIST}/site.css`] })], messages: ['building', 'css'], built: [['a.md']] },
  { name: 'an output change with no build is one message once quiet', steps: [saved(`${DIST}/site.css`)], messages: ['css'], built: [] },
  { name: 'without a builder, a source change reloads', options: { hasBuilder: false }, steps: [saved(a)], messages: ['reload'], built: [] },
  { name: 'close during a build cuts it off: no message after the building notice', steps: [saved(a), closed], messages: ['building'], built: [['a.md']] }
]

for (const { name, options, steps, messages, built } of scenarios) {
  t.test(name, async t => {
    const p = fakePipeline(options)
    t.teardown(p.close)
    for (const step of steps) await step(p)
    t.same(p.types(), messages)
    t.same(p.built(), built)
  })
}

t.test('a builder that rewrites its source on every build is held to be observed, then paused; the next save builds at once', async t => {
  const p = fakePipeline()
  t.teardown(p.close)
  const generated = `${SRC}/c.md`
  await saved(a)(p)
  for (let i = 0; i < 40 && !p.pipeline.stats().paused; i++) {
    await p.advance(OBSERVE_MS) // held builds start again
    const build = p.running()
    if (build === undefined) continue
    await p.advance(10)
    await p.save(generated, `stamp ${i}`) // the builder's own write, during its build
    p.write(page, `page ${i}`)
    await build.finish()
  }
  t.ok(p.pipeline.stats().paused, 'paused')
  t.ok(p.builds.length <= LOOP_LIMIT, `within ${LOOP_LIMIT} builds: ${p.builds.length}`)
  const before = p.builds.length
  await saved(a)(p)
  t.equal(p.builds.length, before + 1, 'a person\'s save builds at once')
  t.same(p.built().at(-1), ['a.md', 'c.md'], 'with the held rewrite')
})
