// The whole pipeline on a fake clock (test/helpers/fake-pipeline.ts): a watcher batch to a
// browser message, with builds held and ended by the test. No real timer, file or watcher.
import t from 'tap'
import { BURST_QUIET_MS, EARLY_MS } from '../../lib/pipeline/coalesce-rules.js'
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
  await p.save(b)
  await p.advance(EARLY_MS)
  t.same(p.built(), [['a.md'], ['b.md']])
  t.equal(p.builds[1].startedAt - at, EARLY_MS, 'its build starts after a save\'s quiet, not a burst\'s')
})

const during = [
  { name: 'while the build waits for its onBuildStart hook', at: 0 },
  { name: 'while the builder runs', at: 90 }
]
for (const { name, at } of during) {
  t.test(`a change ${name} goes with the follow-up build`, async t => {
    const p = fakePipeline()
    t.teardown(p.close)
    await p.save(a)
    await p.advance(EARLY_MS + at)
    await p.save(b)
    await p.advance(4 * BURST_QUIET_MS)
    p.write(page)
    await p.builds[0].finish()
    await p.advance(4 * BURST_QUIET_MS)
    t.same(p.built(), [['a.md'], ['b.md']])
  })
}
