// The machines of lib/pipeline: each drawing in docs/ against its table, and every transition
// of every table taken on a fake clock (the tracer of machine.ts hears each one).
import { readFileSync } from 'node:fs'
import t from 'tap'
import { BUILD_PHASES } from '../../lib/pipeline/build-run.js'
import { createBuildQueue, QUEUE_PHASES } from '../../lib/pipeline/build-queue.js'
import { createCoalescer } from '../../lib/pipeline/coalesce.js'
import { COALESCER_PHASES } from '../../lib/pipeline/coalesce-phases.js'
import { WATCHER_FORCED_FLUSH_MS, WATCHER_QUIET_MS } from '../../lib/pipeline/coalesce-rules.js'
import { createLoopBreaker, HOLD_PHASES, OBSERVE_MS } from '../../lib/pipeline/loop-breaker.js'
import { SUSPECT_AFTER } from '../../lib/pipeline/loop-evidence.js'
import { edges, ImpossibleTransition, traceTransitions, type Transitions } from '../../lib/pipeline/machine.js'
import { later } from '../../lib/pipeline/world.js'
import { DIST, fakePipeline, SRC } from '../helpers/fake-pipeline.js'
import { fakeWorld } from '../helpers/fake-world.js'
import { collectingLogger } from '../helpers/log.js'

const MACHINES: Record<string, { table: Transitions<string, string>, doc: string }> = {
  coalescer: { table: COALESCER_PHASES, doc: 'docs/coalescing.md' },
  build: { table: BUILD_PHASES, doc: 'docs/architecture.md' },
  'build queue': { table: QUEUE_PHASES, doc: 'docs/architecture.md' },
  'loop breaker': { table: HOLD_PHASES, doc: 'docs/architecture.md' }
}

/** The transitions a mermaid state diagram marked `%% machine: <name>` draws, as `from -event-> to`. */
function drawn (doc: string, name: string): string[] {
  const text = readFileSync(new URL(`../../${doc}`, import.meta.url), 'utf8')
  const start = text.indexOf(`%% machine: ${name}\n`)
  if (start === -1) return []
  const block = text.slice(start, text.indexOf('```', start))
  return [...block.matchAll(/^\s+(\w+) --> (\w+): (\w+)$/gm)].map(([, from, to, event]) => `${from} -${event}-> ${to}`).sort()
}

const tabled = (table: Transitions<string, string>): string[] => edges(table).map(([from, event, to]) => `${from} -${event}-> ${to}`).sort()

for (const [name, { table, doc }] of Object.entries(MACHINES)) {
  t.test(`the drawing of the ${name} in ${doc} is its transition table`, async t => {
    t.same(drawn(doc, name), tabled(table))
  })
}

t.test('an event a phase does not accept is an error, not a silent reassignment', async t => {
  const coalescer = createCoalescer({ quietMs: 75, maxWaitMs: 5000 }, () => {}, fakeWorld().world)
  await t.rejects(coalescer.settle(), ImpossibleTransition, 'settle with no build held')
  coalescer.hold()
  t.throws(() => coalescer.hold(), ImpossibleTransition, 'a hold during a hold')
  t.throws(() => coalescer.answered(), ImpossibleTransition, 'answered while held')
})

const taken = new Map<string, Set<string>>()
traceTransitions((machine, from, event, to) => {
  const seen = taken.get(machine) ?? new Set<string>()
  seen.add(`${from} -${event}-> ${to}`)
  taken.set(machine, seen)
})
t.teardown(() => traceTransitions(null))

const a = `${SRC}/a.md`
const b = `${SRC}/b.md`
const page = `${DIST}/index.html`

t.test('scenarios: a save, a build and its outputs, a change during it, a lost write, close in each phase', async () => {
  const p = fakePipeline()
  await p.save(page) // outputs: idle → open → idle
  await p.advance(5)
  await p.save(a) // sources: idle → open → idle; the queue and the build start
  await p.advance(5)
  const asked = p.pipeline.build() // a request while running
  p.write(page)
  await p.deliver(page) // outputs: a batch while held
  await p.save(b) // sources: open at the build's end
  await p.deliver(b) // a second batch while open
  await p.builds[0].finish() // settle, flush, answered in open
  await p.advance(500)
  p.write(page)
  await p.builds[1].finish() // answered in idle
  p.write(`${SRC}/c.md`) // seen, never delivered: flushed from the activity in idle
  await p.advance(WATCHER_FORCED_FLUSH_MS + WATCHER_QUIET_MS + 10)
  await p.builds[2].finish()
  await asked
  await p.close()
})

t.test('scenarios: a build superseded, another cut off by close', async () => {
  const p = fakePipeline({ supersede: true })
  await p.save(a)
  await p.advance(5)
  await p.save(b)
  await p.advance(500) // b supersedes the first build
  await p.close() // the second is cut off; the coalescers close held and idle
})

t.test('scenarios: outputs open when a build starts, and closes in open and settling', async () => {
  const fake = fakeWorld()
  const outputs = createCoalescer({ quietMs: 75, maxWaitMs: 5000 }, () => {}, fake.world)
  const feed = outputs.feed()
  feed.onReady()
  fake.write('/out/x.html')
  feed.onActivity('/out/x.html', 'rename') // a new file: a burst's, which waits
  outputs.push([{ path: '/out/x.html', type: 'create' }])
  fake.turn()
  outputs.hold() // open → held
  const settled = outputs.settle()
  outputs.push([{ path: '/out/y.html', type: 'create' }]) // a batch while settling, before its decision
  fake.turn()
  await settled
  const open = createCoalescer({ quietMs: 75, maxWaitMs: 5000 }, () => {}, fake.world)
  open.push([{ path: '/out/z.html', type: 'create' }])
  fake.turn()
  open.close() // in open
  const settling = createCoalescer({ quietMs: 75, maxWaitMs: 5000 }, () => {}, fake.world)
  settling.hold()
  const never = settling.settle()
  settling.close() // in settling: its settle resolves with nothing
  await never
})

t.test('scenarios: the loop breaker holds, releases, and is reset and closed in each phase', async () => {
  const fake = fakeWorld()
  const { log } = collectingLogger()
  const breaker = createLoopBreaker({ log, display: path => path, onRelease: () => {}, now: fake.world.wallNow, files: fake.world.files, later: (fn, ms) => later(fake.world, fn, ms) })
  const suspects = ['/src/gen.txt', '/src/gen2.txt']
  const admitAll = (): void => { for (const path of suspects) breaker.admit([{ path, type: 'update' }]) }
  /** SUSPECT_AFTER builds that rewrite both files, judged during each build, or (the last) after it. */
  const rewrite = (last: 'during' | 'after'): void => {
    breaker.reset() // nothing suspected before
    for (let i = 1; i <= SUSPECT_AFTER; i++) {
      breaker.buildStarted()
      fake.advance(10)
      for (const path of suspects) fake.write(path)
      breaker.builderDone()
      if (i < SUSPECT_AFTER || last === 'during') admitAll()
      fake.advance(5)
      if (i < SUSPECT_AFTER || last === 'after') breaker.buildEnded()
    }
    if (last === 'after') admitAll() // free → pending → holding, then holding → holding
  }
  rewrite('during') // free → pending, pending → pending
  breaker.buildEnded() // pending → holding
  breaker.reset() // holding → free
  breaker.close() // free → free
  rewrite('after')
  fake.advance(OBSERVE_MS) // holding → free: released
  rewrite('after')
  breaker.buildStarted() // holding → free: a build runs anyway
  breaker.buildEnded()
  rewrite('during')
  breaker.reset() // pending → free
  breaker.buildEnded()
  rewrite('during')
  breaker.close() // pending → free
  breaker.buildEnded()
  rewrite('after')
  breaker.close() // holding → free
})

t.test('the build queue: a request while idle, one while running, a superseded build, served, drained', async () => {
  let isFirst = true
  const queue = createBuildQueue<string>(async () => {
    if (isFirst) {
      isFirst = false
      return null
    }
    return 'report'
  }, () => 'closed', new AbortController().signal)
  await Promise.all([queue.request(false), queue.request(false)])
})

t.test('every transition of every table was taken by the scenarios above', async t => {
  for (const [name, { table }] of Object.entries(MACHINES)) {
    const missing = tabled(table).filter(edge => !(taken.get(name)?.has(edge) ?? false))
    t.same(missing, [], `${name}: every transition taken`)
  }
})
