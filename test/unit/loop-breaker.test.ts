// The loop breaker (loop-breaker.ts) on a fake clock with fake files: builds are scripted, so
// every rule runs without timers, watchers or builders.
import t from 'tap'
import type { FileChange } from '../../types/index.js'
import { createLoopBreaker, LOOP_LIMIT, MAX_JUDGED, OBSERVE_MS } from '../../lib/pipeline/loop-breaker.js'
import { SUSPECT_AFTER } from '../../lib/pipeline/loop-evidence.js'
import { collectingLogger } from '../helpers/log.js'

function scripted () {
  let now = 1_000_000
  const timers: Array<{ at: number, fn: () => void, isDone: boolean }> = []
  const files = new Map<string, { mtime: number | null, hash: string | null }>()
  const { log, lines } = collectingLogger()
  let releases = 0
  const breaker = createLoopBreaker({
    log,
    display: path => path,
    onRelease: () => { releases++ },
    now: () => now,
    files: { mtime: path => files.get(path)?.mtime ?? null, hashNow: path => files.has(path) ? files.get(path)?.hash ?? undefined : null },
    later: (fn, ms) => {
      const timer = { at: now + ms, fn, isDone: false }
      timers.push(timer)
      return () => { timer.isDone = true }
    }
  })
  const advance = (ms: number): void => {
    now += ms
    for (const timer of timers) {
      if (timer.isDone || timer.at > now) continue
      timer.isDone = true
      timer.fn()
    }
  }
  /** A write now; `null` content: too large to hash. */
  const write = (path: string, content: string | null = `${path} at ${now}`): void => { files.set(path, { mtime: now, hash: content }) }
  const admit = (...paths: string[]): boolean => breaker.admit(paths.map((path): FileChange => ({ path, type: 'update' })))
  /** One build of `ms`: `during` runs halfway through; its message goes out 5 ms after the builder. */
  const build = (ms: number, during: () => void = () => {}): void => {
    breaker.buildStarted()
    advance(ms / 2)
    during()
    advance(ms / 2)
    breaker.builderDone()
    advance(5)
    breaker.buildEnded()
  }
  return {
    breaker,
    lines,
    advance,
    write,
    admit,
    build,
    releases: () => releases,
    pending: () => timers.filter(timer => !timer.isDone).length,
    warnings: () => lines.filter(line => line.level === 40)
  }
}

/** A builder that stamps `file` on every build, run until the breaker stops it (bounded). */
function runLoop (s: ReturnType<typeof scripted>, file: string, buildMs = 10): number {
  let builds = 0
  let isWanted = true
  while (isWanted && builds < 3 * LOOP_LIMIT) {
    s.build(buildMs, () => s.write(file))
    builds++
    s.advance(20)
    isWanted = s.admit(file)
    if (!isWanted && !s.breaker.paused && s.pending() > 0) { // held to observe: nobody else writes
      const released = s.releases()
      s.advance(OBSERVE_MS)
      isWanted = s.releases() > released
    }
  }
  return builds
}

t.test('a builder that rewrites a watched file on every build is stopped within LOOP_LIMIT builds, named', async t => {
  const s = scripted()
  t.equal(runLoop(s, '/src/generated.txt'), LOOP_LIMIT)
  t.equal(s.breaker.paused, true)
  t.equal(s.warnings().length, 1)
  t.match(s.warnings()[0], { paths: ['/src/generated.txt'], builds: LOOP_LIMIT, msg: /^builds paused: the builder rewrote \/src\/generated\.txt in each of its last 10 builds/ })
  t.equal(s.releases(), 1, 'held once to observe, then the build that told')
})

t.test('once paused, the builder\'s rewrites wait; other changes build; a write from outside resumes', async t => {
  const s = scripted()
  runLoop(s, '/src/generated.txt')
  s.advance(1000)
  s.write('/src/page.md')
  t.equal(s.admit('/src/page.md'), true, 'a person\'s edit builds')
  s.build(10, () => s.write('/src/generated.txt'))
  s.advance(20)
  t.equal(s.admit('/src/generated.txt'), false, 'the builder\'s rewrite during it waits')
  t.equal(s.breaker.paused, true)
  s.advance(1000)
  s.write('/src/generated.txt', 'by hand')
  t.equal(s.admit('/src/generated.txt'), true, 'written from outside a build: builds')
  t.equal(s.breaker.paused, false)
  t.match(s.lines.at(-1), { level: 30, msg: /^builds resumed/ })
})

t.test('a person saving the same file during every long build is never paused', async t => {
  const s = scripted()
  let builds = 0
  let isWanted = true
  // Saves every 1 s during 1.5 s builds: each build is written to while it runs.
  while (isWanted && builds < 3 * LOOP_LIMIT) {
    s.build(1500, () => s.write('/src/index.md'))
    builds++
    isWanted = s.admit('/src/index.md')
    if (!isWanted) { // held to observe: the person saves again within a second
      t.equal(builds, SUSPECT_AFTER, 'held after SUSPECT_AFTER builds')
      s.advance(1000)
      s.write('/src/index.md')
      isWanted = s.admit('/src/index.md')
      t.equal(isWanted, true, 'the next save builds at once')
      builds = 0
      break
    }
  }
  t.equal(isWanted, true)
  s.build(1500, () => s.write('/src/index.md'))
  t.equal(s.pending(), 0, 'the build cancelled the observation')
  t.equal(s.admit('/src/index.md'), true, 'the streak starts over')
  t.equal(s.releases(), 0)
  t.equal(s.breaker.paused, false)
  t.same(s.warnings(), [])
})

t.test('a save during the hold counts though its report is not in when the hold ends', async t => {
  const s = scripted()
  for (let i = 0; i < SUSPECT_AFTER; i++) {
    s.build(1500, () => s.write('/src/index.md'))
    s.admit('/src/index.md')
  }
  // Saves every 250 ms under load, one open batch in the coalescer: none is admitted meanwhile.
  for (let elapsed = 0; elapsed < OBSERVE_MS * 2; elapsed += 250) {
    s.advance(250)
    s.write('/src/index.md')
  }
  t.equal(s.releases(), 1, 'the hold ends')
  s.build(1500, () => s.write('/src/index.md')) // the build it asks for, saved during too
  t.equal(s.admit('/src/index.md'), true, 'the batch, at last, builds: its saves during the hold were seen')
  t.equal(s.breaker.paused, false)
  t.same(s.warnings(), [])
})

t.test('a person who stops saving just as builds are held is built, and not paused', async t => {
  const s = scripted()
  for (let i = 0; i < SUSPECT_AFTER; i++) {
    s.build(1500, () => s.write('/src/index.md'))
    t.equal(s.admit('/src/index.md'), i < SUSPECT_AFTER - 1)
  }
  s.advance(OBSERVE_MS - 1)
  t.equal(s.releases(), 0, 'held')
  s.advance(3000 * 2)
  t.equal(s.releases(), 1, 'held for twice the last build, then the held save is built')
  s.build(1500) // the person saves no more
  s.advance(60_000)
  s.write('/src/index.md')
  t.equal(s.admit('/src/index.md'), true)
  t.equal(s.breaker.paused, false)
  t.same(s.warnings(), [])
})

t.test('observing waits for the running build to end', async t => {
  const s = scripted()
  for (let i = 0; i < SUSPECT_AFTER - 1; i++) {
    s.build(10, () => s.write('/src/g.txt'))
    s.admit('/src/g.txt')
  }
  s.breaker.buildStarted()
  s.advance(5)
  s.write('/src/g.txt')
  s.breaker.builderDone()
  t.equal(s.admit('/src/g.txt'), false, 'suspect, reported before the build ended')
  s.advance(OBSERVE_MS * 2)
  t.equal(s.releases(), 0, 'no clock while the build runs')
  s.breaker.buildEnded()
  s.advance(OBSERVE_MS * 5)
  t.equal(s.releases(), 1)
})

t.test('rewriting the same bytes build after build starts nothing and pauses nothing', async t => {
  const s = scripted()
  s.build(10, () => s.write('/src/routes.ts', 'export default []'))
  t.equal(s.admit('/src/routes.ts'), true, 'first seen: a change')
  s.build(10, () => s.write('/src/routes.ts', 'export default []'))
  t.equal(s.admit('/src/routes.ts'), false, 'the same bytes again: held, nothing to build')
  t.equal(s.breaker.paused, false)
  t.equal(s.pending(), 0)
})

t.test('files too large to hash count as changed each time', async t => {
  const s = scripted()
  t.equal(runLoop(s, '/src/big.bin'), LOOP_LIMIT)
  s.build(10, () => s.write('/src/other.bin', null))
  t.equal(s.admit('/src/other.bin'), true)
})

t.test('deletes are the build\'s when reported during it', async t => {
  const s = scripted()
  const del = (path: string): FileChange[] => [{ path, type: 'delete' }]
  s.breaker.buildStarted()
  s.breaker.notePush(del('/src/tmp.txt'))
  s.breaker.builderDone()
  s.breaker.buildEnded()
  t.equal(s.breaker.admit(del('/src/tmp.txt')), true, 'a first delete by a build is a change')
  s.breaker.notePush(del('/src/gone.txt'))
  s.advance(100)
  t.equal(s.breaker.admit(del('/src/gone.txt')), true, 'outside a build: not recorded, a change')
})

t.test('before any build, and past MAX_JUDGED, changes are not looked at', async t => {
  const s = scripted()
  t.equal(s.admit('/src/a'), true, 'no build yet')
  runLoop(s, '/src/g')
  s.build(10, () => s.write('/src/g'))
  const many = Array.from({ length: MAX_JUDGED }, () => '/src/g')
  t.equal(s.admit(...many, '/src/unjudged'), false, 'the unjudged change goes with the held ones')
})

t.test('a build asked for by hand forgets every suspicion', async t => {
  const s = scripted()
  runLoop(s, '/src/g')
  s.breaker.reset()
  t.equal(s.breaker.paused, false)
  t.match(s.lines.at(-1), { msg: 'builds resumed' })
  s.breaker.reset()
  t.equal(s.lines.filter(line => line.msg === 'builds resumed').length, 1, 'logged once')
  t.equal(runLoop(s, '/src/g'), LOOP_LIMIT, 'a loop again is stopped again')
})

t.test('a paused file the builder no longer writes resumes after two builds without it', async t => {
  const s = scripted()
  runLoop(s, '/src/g')
  for (let i = 0; i < 3; i++) {
    s.write(`/src/p${i}`)
    t.equal(s.admit(`/src/p${i}`), true)
    s.build(10)
  }
  t.equal(s.breaker.paused, false)
  t.match(s.lines.at(-1), { msg: /^builds resumed: the builder no longer/ })
  s.breaker.close()
})

t.test('close cancels a hold', async t => {
  const s = scripted()
  for (let i = 0; i < SUSPECT_AFTER; i++) {
    s.build(10, () => s.write('/src/g'))
    s.admit('/src/g')
  }
  t.equal(s.pending(), 1)
  s.breaker.close()
  t.equal(s.pending(), 0)
})

t.test('a delete reported during a build no longer remembered is a change from outside', async t => {
  const s = scripted()
  s.breaker.buildStarted()
  s.breaker.notePush([{ path: '/src/tmp~', type: 'create' }]) // created and deleted again: never flushed
  s.breaker.builderDone()
  s.breaker.buildEnded()
  for (let i = 0; i < 5; i++) s.build(10)
  t.equal(s.breaker.admit([{ path: '/src/tmp~', type: 'delete' }]), true, 'no longer the first build\'s')
})

t.test('the hold is logged at debug level with the suspects', async t => {
  const s = scripted()
  for (let i = 0; i < SUSPECT_AFTER; i++) {
    s.build(10, () => s.write('/src/g'))
    s.admit('/src/g')
  }
  t.match(s.lines.at(-1), { level: 20, paths: ['/src/g'], ms: OBSERVE_MS, msg: /holding builds to see who writes them/ })
})
