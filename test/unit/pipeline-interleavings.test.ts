// The whole pipeline on a fake clock (test/helpers/fake-pipeline.ts), in seeded random
// interleavings of what a person, the watcher and a builder do: saves at any pace, some the
// activity never sees, the watcher's batches late or twice, builds of any length that write their
// outputs. Whatever the order, every save is carried by a build that starts after it (within the
// issue's bound where the activity saw every write), and builds never overlap. A failure names its seed: SEED=<seed> SEEDS=1 replays that scenario alone (SEEDS=<n>
// runs n from SEED, 1 by default).
import t from 'tap'
import { SUSPECT_AFTER } from '../../lib/pipeline/loop-evidence.js'
import { DIST, fakePipeline, SRC } from '../helpers/fake-pipeline.js'

const SCENARIOS = Number(process.env.SEEDS ?? 150)
const FIRST = Number(process.env.SEED ?? 1)
/** A save's build starts within this much fake time (ms) of the save (issue 38: 1.5 s). */
const BOUND_MS = 1500
/** Saves per scenario: below the loop breaker's count, whose hold is a designed wait. */
const SAVES = SUSPECT_AFTER - 1
const SOURCES = ['a.md', 'b.md', 'c.md'].map(name => `${SRC}/${name}`)
const PAGE = `${DIST}/index.html`

/** A small seeded generator (mulberry32): the same seed, the same numbers. */
function random (seed: number): (below: number) => number {
  let state = seed >>> 0
  return below => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = state
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return Math.floor((((x ^ (x >>> 14)) >>> 0) / 4294967296) * below)
  }
}

/**
 * What happens at a fake time: a save's write (`isSeen`: the activity sees it; a write it misses,
 * in a directory it lost or among events the kernel dropped, reaches us through the watcher's
 * batch alone), or a batch the watcher delivers.
 */
type Happening = { at: number, kind: 'write', path: string, content: string, isSeen: boolean } | { at: number, kind: 'deliver', paths: string[] }

function scenario (seed: number): { happenings: Happening[], builds: Array<{ ms: number, outputLagMs: number }> } {
  const next = random(seed)
  const happenings: Happening[] = []
  let at = 0
  for (let i = 0; i < SAVES; i++) {
    // Paced by a person (hundreds of ms), or in quick succession (a save-all, a formatter).
    at += next(3) === 0 ? next(40) : 20 + next(700)
    const path = SOURCES[next(SOURCES.length)]
    happenings.push({ at, kind: 'write', path, content: `save ${i}`, isSeen: seed % 5 !== 0 || next(3) !== 0 })
    // The watcher's batch comes 0–80 ms later, sometimes once more (a second event of one save).
    const delivered = at + next(80)
    happenings.push({ at: delivered, kind: 'deliver', paths: [path] })
    if (next(4) === 0) happenings.push({ at: delivered + 1 + next(60), kind: 'deliver', paths: [path] })
  }
  return {
    happenings: happenings.sort((x, y) => x.at - y.at),
    // Each build's length, and how long after it ends its output batch comes (the watcher's lag), or never (-1).
    builds: Array.from({ length: 3 * SAVES }, () => ({ ms: next(3) === 0 ? next(20) : 30 + next(400), outputLagMs: next(5) === 0 ? -1 : next(100) }))
  }
}

t.test(`${SCENARIOS} seeded interleavings: every save is built after it, within ${BOUND_MS} fake ms, one build at a time`, async t => {
  for (let seed = FIRST; seed < FIRST + SCENARIOS; seed++) {
    const { happenings, builds } = scenario(seed)
    // A quarter of them on a machine whose CPUs stay busy; every third with `supersede` (a change aborts the build).
    const p = fakePipeline({ supersede: seed % 3 === 0 })
    p.fake.contend(seed % 4 === 0)
    const start = p.fake.now
    const saves: Array<{ path: string, at: number, isSeen: boolean }> = []
    const pending = happenings.map(happening => ({ ...happening, at: start + happening.at }))
    const lateOutputs: number[] = []
    let overlapped = false
    // Until every happening is done and no build runs: the next thing due, in fake time.
    for (let steps = 0; steps < 10_000; steps++) {
      const running = p.running()
      if (p.builds.filter(p.isRunning).length > 1) overlapped = true
      const build = running === undefined ? undefined : builds[p.builds.indexOf(running) % builds.length]
      const finishAt = running === undefined ? Infinity : running.startedAt + build!.ms
      const nextAt = Math.min(pending[0]?.at ?? Infinity, finishAt, lateOutputs[0] ?? Infinity)
      if (nextAt === Infinity) break
      await p.advance(Math.max(0, nextAt - p.fake.now))
      if (running !== undefined && !running.isDone && p.fake.now >= finishAt) {
        p.write(PAGE, `page of build ${p.builds.indexOf(running)}`)
        if (build!.outputLagMs >= 0) {
          lateOutputs.push(p.fake.now + build!.outputLagMs)
          lateOutputs.sort((x, y) => x - y) // the next due first, whichever build wrote it
        }
        await running.finish({ outputs: [PAGE] })
        continue
      }
      if ((lateOutputs[0] ?? Infinity) <= p.fake.now) {
        lateOutputs.shift()
        await p.deliver(PAGE)
        continue
      }
      const happening = pending.shift()!
      if (happening.kind === 'write') {
        if (happening.isSeen) p.write(happening.path, happening.content)
        else p.fake.write(happening.path, happening.content.length, happening.content)
        saves.push({ path: happening.path, at: p.fake.now, isSeen: happening.isSeen })
      } else {
        await p.deliver(...happening.paths)
      }
    }
    // What was still deciding when the last thing happened.
    await p.advance(3000)
    for (let i = 0; p.running() !== undefined && i < 10; i++) {
      await p.running()!.finish({ outputs: [PAGE] })
      await p.advance(3000)
    }
    const carries = (save: { path: string, at: number }, build: typeof p.builds[number]): boolean => build.startedAt >= save.at && build.ctx.changes.some(change => change.path === save.path)
    // Started within the bound, and (a build that a later change aborted carries it on) finished.
    // Where the activity missed writes (every fifth scenario), the watcher's batches decide, as
    // slowly as they come (its forced flush after each): built, then, whenever.
    const isBounded = saves.every(save => save.isSeen)
    const unbuilt = saves.filter(save => !p.builds.some(build => carries(save, build) && (!isBounded || build.startedAt - save.at <= BOUND_MS)) || !p.builds.some(build => carries(save, build) && !build.ctx.signal.aborted))
    const lastType = p.types().at(-1)
    await p.close()
    if (unbuilt.length > 0 || overlapped || lastType === 'building') {
      const report = { seed, unbuilt: unbuilt.map(save => ({ ...save, at: save.at - start })), overlapped, lastType, builds: p.builds.map(build => ({ at: build.startedAt - start, changes: build.ctx.changes.map(change => change.path) })) }
      t.fail(`seed ${seed}: ${JSON.stringify(report)}`)
      return
    }
  }
  t.pass(`${SCENARIOS} scenarios, each save built after it within ${BOUND_MS} fake ms`)
})
