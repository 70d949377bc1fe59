// The machines of lib/ (the pipeline's, and the cluster's lease): each drawing in docs/ against
// its table, and every transition of every table taken on a fake clock (the tracer of machine.ts
// hears each one); the lease's Redis is a fake link whose replies the test gives, in the order it
// chooses (test/cluster-lease.test.ts has the real one).
import { readFileSync } from 'node:fs'
import t from 'tap'
import { createLease, LEASE_PHASES, leaseTimings } from '../../lib/cluster/lease.js'
import { createTerms, TERM_PHASES, type Term } from '../../lib/cluster/terms.js'
import type { RedisLink } from '../../lib/cluster/redis.js'
import { BUILD_PHASES } from '../../lib/pipeline/build-run.js'
import { createBuildQueue, QUEUE_PHASES } from '../../lib/pipeline/build-queue.js'
import { createCoalescer } from '../../lib/pipeline/coalesce.js'
import { COALESCER_PHASES } from '../../lib/pipeline/coalesce-phases.js'
import { WATCHER_FORCED_FLUSH_MS, WATCHER_QUIET_MS } from '../../lib/pipeline/coalesce-rules.js'
import { createLoopBreaker, HOLD_PHASES, OBSERVE_MS } from '../../lib/pipeline/loop-breaker.js'
import { SUSPECT_AFTER } from '../../lib/pipeline/loop-evidence.js'
import { edges, ImpossibleTransition, traceTransitions, type Transitions } from '../../lib/pipeline/machine.js'
import { later } from '../../lib/world.js'
import { DIST, fakePipeline, SRC } from '../helpers/fake-pipeline.js'
import { fakeWorld } from '../helpers/fake-world.js'
import { collectingLogger } from '../helpers/log.js'

const MACHINES: Record<string, { table: Transitions<string, string>, doc: string }> = {
  coalescer: { table: COALESCER_PHASES, doc: 'docs/coalescing.md' },
  build: { table: BUILD_PHASES, doc: 'docs/architecture.md' },
  'build queue': { table: QUEUE_PHASES, doc: 'docs/architecture.md' },
  'loop breaker': { table: HOLD_PHASES, doc: 'docs/architecture.md' },
  lease: { table: LEASE_PHASES, doc: 'docs/cluster.md' },
  term: { table: TERM_PHASES, doc: 'docs/cluster.md' }
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

const TTL = 3000
const { renewMs, stepDownMs } = leaseTimings(TTL)

/** A reply the test has not given yet: one command sent to the fake Redis. */
interface Sent { name: 'acquire' | 'renew' | 'release', answer: (value: unknown) => void, fail: (err: Error) => void }

/**
 * A lease on a fake clock and a fake Redis link: each command waits for the test's answer. With
 * `isTurnHeld`, what the lease defers to the end of its event-loop turn waits for the test's
 * endTurn(), so that replies can come between a timer and what it decides.
 */
function fakeLease (isTurnHeld = false) {
  const fake = fakeWorld()
  const deferred: Array<() => void> = []
  const world = isTurnHeld ? { ...fake.world, defer: (fn: () => void) => { deferred.push(fn) } } : fake.world
  const sent: Sent[] = []
  const heard: string[] = []
  const send = (name: Sent['name']) => async () => await new Promise((resolve, reject) => { sent.push({ name, answer: resolve, fail: reject }) })
  const link = {
    isUp: true,
    commands: { lrAcquire: send('acquire'), lrRenew: send('renew'), lrRelease: send('release') },
    succeeded: () => {},
    failed: () => {}
  }
  const lease = createLease(link as unknown as RedisLink, { lease: 'l', epoch: 'e' }, 'me', TTL, {
    onAcquired: (epoch, isLate) => heard.push(`acquired ${epoch}${isLate ? ' late' : ''}`),
    onLost: reason => heard.push(`lost: ${reason}`),
    onLeader: leader => heard.push(`leader ${leader}`)
  }, world)
  const endTurn = (): void => { for (const fn of deferred.splice(0)) fn() }
  /** The oldest reply not given yet, which must be to `name`. */
  function next (name: Sent['name']): Sent {
    const first = sent.shift()
    if (first?.name !== name) throw new Error(`expected ${name}, sent: ${[first, ...sent].map(one => one?.name).join(', ')}`)
    return first
  }
  /** Lets the replies given reach the lease. */
  const replies = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve() }
  /** Takes the lease (following → trying → leading), then lets two renewals go out unanswered. */
  const leadWithTwoRenewals = async (): Promise<[Sent, Sent]> => {
    lease.resume()
    next('acquire').answer([1, 1])
    await replies()
    fake.advance(2 * renewMs)
    return [next('renew'), next('renew')]
  }
  return { fake, link, lease, sent, heard, next, replies, leadWithTwoRenewals, endTurn }
}

t.test('scenarios: the lease taken, renewed, found taken, held by another, tried again when asked during a try', async t => {
  const l = fakeLease()
  l.lease.resume() // following → trying
  l.next('acquire').answer([1, 1])
  await l.replies() // trying → leading
  l.lease.tryNow() // leading → leading: nothing sent
  t.equal(l.sent.length, 0)
  l.fake.advance(renewMs)
  l.next('renew').answer(1)
  await l.replies() // leading → leading: renewed
  l.fake.advance(renewMs)
  l.next('renew').answer(0)
  await l.replies() // leading → following: taken
  t.notOk(l.lease.isLeader)
  l.fake.advance(0) // the try at once: who holds it now
  l.lease.tryNow() // trying → trying: asked again
  l.next('acquire').answer([0, 'other', 2000])
  await l.replies() // trying → following: held; the try asked for goes at once
  l.fake.advance(0)
  l.next('acquire').answer([0, 'other', 1500])
  await l.replies()
  l.fake.advance(1500)
  t.equal(l.sent.length, 0, 'not before the key expires')
  l.fake.advance(1)
  t.equal(l.next('acquire').name, 'acquire', 'when it expires, as Redis said')
  t.same(l.heard, ['leader me', 'acquired 1', 'leader null', 'lost: the lease was found taken', 'leader other'])
})

t.test('scenarios: renewals unanswered until the deadline; their late answers, and a failed try', async t => {
  const l = fakeLease()
  l.lease.resume()
  l.next('acquire').answer([1, 2])
  await l.replies()
  l.fake.advance(stepDownMs) // two renewals out, then leading → following: expiring; the try at once
  const [first, second] = [l.next('renew'), l.next('renew')]
  const attempt = l.next('acquire')
  first.answer(1)
  await l.replies() // trying → trying: renewed
  second.answer(0)
  await l.replies() // trying → trying: taken
  attempt.fail(new Error('Command timed out'))
  await l.replies() // trying → following: failed; again a renewal's time later
  l.fake.advance(renewMs)
  l.next('acquire').answer([1, 2])
  await l.replies()
  t.same(l.heard, ['leader me', 'acquired 2', 'leader null', `lost: the lease could not be renewed for ${stepDownMs} ms`, 'leader me', 'acquired 2 late'])
})

t.test('scenarios: a loop held past the deadline reads the renewal answered meanwhile before it decides', async t => {
  const l = fakeLease(true)
  l.lease.resume()
  l.next('acquire').answer([1, 3])
  await l.replies()
  // The deadline's timer ran, the loop held since the second renewal went out. The first had no
  // answer (the link's command timeout, renewMs, failed it); the second's came in time, and is
  // read in this turn's I/O, before its own command timeout would fail it.
  l.fake.advance(stepDownMs)
  const [first, second] = [l.next('renew'), l.next('renew')]
  first.fail(new Error('Command timed out'))
  second.answer(1)
  await l.replies()
  l.endTurn()
  t.ok(l.lease.isLeader, 'renewed in time: still leading')
  l.fake.advance(stepDownMs) // no renewal answered since: the deadline decides
  l.endTurn()
  t.notOk(l.lease.isLeader)
  t.same(l.heard, ['leader me', 'acquired 3', 'leader null', `lost: the lease could not be renewed for ${stepDownMs} ms`])

  const closing = fakeLease(true)
  closing.lease.resume()
  closing.next('acquire').answer([1, 4])
  await closing.replies()
  closing.fake.advance(stepDownMs)
  closing.next('renew')
  closing.next('renew')
  const released = closing.lease.close() // closed before the deadline's decision
  closing.next('release').answer(1)
  t.equal(await released, true)
  closing.endTurn()
  t.same(closing.heard, ['leader me', 'acquired 4'], 'a closed lease decides nothing')
})

t.test('scenarios: late renewals after a step-down; Redis lost and back', async t => {
  const l = fakeLease()
  const [first, second] = await l.leadWithTwoRenewals()
  first.answer(0)
  await l.replies() // leading → following: taken (its try not yet due)
  second.answer(1)
  await l.replies() // following → following: renewed
  l.link.isUp = false
  l.lease.pause()
  l.fake.advance(TTL)
  t.equal(l.sent.length, 0, 'nothing sent while Redis is lost')
  l.link.isUp = true
  l.lease.resume()
  l.next('acquire').answer([0, 'other', 100])
  await l.replies()
  const again = fakeLease()
  const [one, two] = await again.leadWithTwoRenewals()
  one.answer(0)
  await again.replies()
  two.answer(0)
  await again.replies() // following → following: taken
  t.notOk(again.lease.isLeader)
})

t.test('scenarios: close in each phase; what answers after it changes nothing, and a lease taken after it is given back', async t => {
  const idle = fakeLease()
  t.equal(await idle.lease.close(), false, 'nothing to give back') // following → closed
  idle.lease.tryNow() // closed → closed: nothing sent
  t.equal(idle.sent.length, 0)

  const leading = fakeLease()
  const [first, second] = await leading.leadWithTwoRenewals()
  const closed = leading.lease.close() // leading → closed: the key deleted
  leading.next('release').answer(1)
  t.equal(await closed, true, 'a held lease given back')
  first.answer(1) // closed → closed: renewed
  second.answer(0) // closed → closed: taken
  await leading.replies()
  leading.fake.advance(TTL)
  t.equal(leading.sent.length, 0, 'no renewal after close')

  for (const reply of ['won', 'held', 'failed'] as const) {
    const trying = fakeLease()
    trying.lease.resume()
    const attempt = trying.next('acquire')
    const closing = trying.lease.close() // trying → closed: it waits for the try's answer
    if (reply === 'won') attempt.answer([1, 1])
    else if (reply === 'held') attempt.answer([0, 'other', 100])
    else attempt.fail(new Error('Connection is closed.'))
    await trying.replies()
    if (reply === 'won') trying.next('release').answer(1) // a lease taken after close is given back before close resolves
    t.equal(await closing, reply === 'won', `${reply} after close: ${reply === 'won' ? 'given back, and close says so' : 'nothing to give back'}`)
    trying.fake.advance(TTL)
    t.equal(trying.sent.length, 0, `${reply} after close: nothing more sent`)
    t.notOk(trying.heard.some(line => line.startsWith('acquired')), `${reply} after close: not acquired`)
  }
})

/**
 * A leader's terms on fakes: each term's start waits for the test's word (`started`, `failed`),
 * its close ends at once; what they build and send, and what they log, are kept.
 */
function fakeTerms ({ hasBuilder = true, buildOnStart = false } = {}) {
  const { log, lines } = collectingLogger()
  const starts: Array<{ started: () => void, failed: (err: Error) => void }> = []
  const built: unknown[] = []
  const sent: unknown[] = []
  let closed = 0
  const leader = { is: true }
  const term: Term = {
    pipeline: { build: async options => { built.push(options); return { ok: true, full: true, changes: [], outputs: [], errors: [], duration: 0, sent: 'reload' } }, stats: () => ({ builds: 0, failures: 0, building: false, paused: false, lastDuration: null, lastErrors: null }) },
    watched: ['/site'],
    close: async () => { closed++ }
  }
  const terms = createTerms({
    hasBuilder,
    buildOnStart,
    log,
    startTerm: async () => await new Promise<Term>((resolve, reject) => { starts.push({ started: () => resolve(term), failed: reject }) }),
    broadcast: message => { sent.push(message) },
    isLeader: () => leader.is,
    onBuildRejected: () => {}
  })
  return { terms, starts, built, sent, lines, leader, closed: () => closed }
}

/** Lets the terms' queued steps run as far as they can. */
const turn = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

t.test('scenarios: a term taken over builds everything; lost, it stops; one that cannot start says so', async t => {
  const f = fakeTerms()
  f.terms.lead(2, false) // idle → starting: a takeover (epoch 2)
  await turn()
  t.equal(f.terms.phase, 'starting')
  f.starts[0]!.started() // starting → running
  t.equal(await f.terms.settled(), f.terms.current, 'the term runs')
  t.same(f.built, [{ full: true }], 'the takeover builds everything')
  f.terms.follow() // running → stopping → idle
  t.equal(await f.terms.settled(), null)
  t.equal(f.closed(), 1, 'its watchers closed, its build aborted')
  f.terms.lead(3, false)
  await turn()
  f.starts[1]!.failed(new Error('EMFILE: too many open files, watch')) // starting → idle: failed
  t.equal(await f.terms.settled(), null, 'no term')
  t.equal(f.terms.phase, 'idle')
  t.match(f.lines.at(-1), { level: 50, msg: /term could not start/ }, 'an error in the log')
})

t.test('scenarios: a first leader builds only when asked to; with no builder a takeover reloads; the steps run in turn', async t => {
  const first = fakeTerms({ buildOnStart: true })
  first.terms.lead(1, false)
  await turn()
  first.starts[0]!.started()
  await first.terms.settled()
  t.same(first.built, [{ full: true }], 'buildOnStart: built')
  const f = fakeTerms({ hasBuilder: false })
  f.terms.lead(1, false) // the first leader the cluster has: not a takeover
  f.terms.follow() // queued behind the start
  await turn()
  f.starts[0]!.started()
  t.equal(await f.terms.settled(), null, 'started, then stopped: in turn')
  t.equal(f.closed(), 1)
  t.same(f.sent, [], 'a first leader with no builder sends nothing')
  f.terms.sawLeader() // another process led meanwhile
  f.terms.lead(1, false) // Redis restarted empty: epoch 1 again, a takeover all the same
  await turn()
  f.starts[1]!.started()
  await f.terms.settled()
  t.same(f.sent, [{ type: 'reload', paths: [] }], 'a takeover with no builder: one reload')
  const late = fakeTerms({ hasBuilder: false })
  late.terms.lead(1, true) // held unknowingly while nobody watched
  await turn()
  late.starts[0]!.started()
  await late.terms.settled()
  t.same(late.sent, [{ type: 'reload', paths: [] }], 'a late lead is a takeover')
})

t.test('scenarios: a lead no longer held when its turn comes starts nothing; close stops a term starting, and no term starts after it', async t => {
  const f = fakeTerms()
  f.leader.is = false
  f.terms.lead(2, false)
  t.equal(await f.terms.settled(), null)
  t.equal(f.starts.length, 0, 'no start')
  f.leader.is = true
  f.terms.lead(2, false)
  await turn()
  const closing = f.terms.close() // while starting
  f.starts[0]!.started()
  await closing
  t.equal(f.closed(), 1, 'the term that started is stopped')
  t.equal(f.terms.phase, 'idle')
  f.terms.lead(3, false)
  t.equal(await f.terms.settled(), null)
  t.equal(f.starts.length, 1, 'no term starts after close')
})

t.test('every transition of every table was taken by the scenarios above', async t => {
  for (const [name, { table }] of Object.entries(MACHINES)) {
    const missing = tabled(table).filter(edge => !(taken.get(name)?.has(edge) ?? false))
    t.same(missing, [], `${name}: every transition taken`)
  }
})
