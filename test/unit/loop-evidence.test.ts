// The loop breaker's evidence (loop-evidence.ts): which build wrote a change, the verdict on
// it, what a batch does. Tables, no files, no timers.
import t from 'tap'
import { attribute, decide, isWrittenOutside, judge, MTIME_SLACK_MS, SUSPECT_AFTER, type BuildWindow, type ChangeFacts, type PathRecord, type Verdict } from '../../lib/pipeline/loop-evidence.js'

const windows: BuildWindow[] = [
  { index: 3, start: 1000, builderDone: 1500, ended: 1700 },
  { index: 4, start: 1700, builderDone: 1720, ended: 1900 }
]
const running: BuildWindow[] = [...windows, { index: 5, start: 3000, builderDone: null, ended: null }]

t.test('attribute: the build whose run holds the mtime; without one, the build that holds the report', async t => {
  const cases: Array<[string, ChangeFacts, readonly BuildWindow[], number | null]> = [
    ['written during build 3', { mtimeMs: 1200, pushedAt: null }, windows, 3],
    ['written during build 4, reported late (polling)', { mtimeMs: 1710, pushedAt: null }, windows, 4],
    ['stamped a clock tick before build 3 started', { mtimeMs: 1000 - MTIME_SLACK_MS, pushedAt: null }, windows, 3],
    ['written before any build', { mtimeMs: 900, pushedAt: null }, windows, null],
    ['written after build 3\'s builder returned, while its message was sent', { mtimeMs: 1600, pushedAt: 1610 }, windows, null],
    ['written between builds', { mtimeMs: 2500, pushedAt: null }, windows, null],
    ['written while build 5 runs', { mtimeMs: 9000, pushedAt: null }, running, 5],
    ['deleted, reported during build 4', { mtimeMs: null, pushedAt: 1850 }, windows, 4],
    ['deleted, reported during build 5', { mtimeMs: null, pushedAt: 3100 }, running, 5],
    ['deleted, reported between builds', { mtimeMs: null, pushedAt: 2500 }, windows, null],
    ['deleted, reported when no build ran', { mtimeMs: null, pushedAt: null }, windows, null],
    ['no build remembered', { mtimeMs: 1200, pushedAt: 1200 }, [], null]
  ]
  for (const [name, facts, list, expected] of cases) t.equal(attribute(facts, list), expected, name)
})

t.test('isWrittenOutside: an mtime no build holds; none (gone, or whole seconds) proves nothing', async t => {
  t.equal(isWrittenOutside(2500, windows), true, 'between builds: while they were held')
  t.equal(isWrittenOutside(1200, windows), false, 'during build 3')
  t.equal(isWrittenOutside(null, windows), false)
})

t.test('judge: a streak of builds rewriting a path, its bytes, and the phases', async t => {
  const rec = (lastBuild: number, streak: number, fingerprint: string | null, phase: PathRecord['phase'] = 'watching'): PathRecord => ({ lastBuild, streak, fingerprint, phase })
  const cases: Array<[string, PathRecord | undefined, number | null, string | null, Verdict, PathRecord | undefined]> = [
    ['written outside every build: builds, forgotten', rec(4, 5, 'a'), null, 'b', 'external', undefined],
    ['first written by a build', undefined, 4, 'a', 'free', rec(4, 1, 'a')],
    ['rewritten by the next build, new bytes', rec(4, 1, 'a'), 5, 'b', 'free', rec(5, 2, 'b')],
    ['rewritten by a later build, not the next: a new streak', rec(2, 7, 'a'), 5, 'b', 'free', rec(5, 1, 'b')],
    ['written twice in one build: the streak stands', rec(5, 3, 'a'), 5, 'b', 'free', rec(5, 3, 'b')],
    ['rewritten by the next build with the same bytes: nothing to build', rec(4, 3, 'a'), 5, 'a', 'same', rec(5, 3, 'a')],
    ['same bytes, but not the next build: a change', rec(2, 3, 'a'), 5, 'a', 'free', rec(5, 1, 'a')],
    ['content unknown (large or gone): a change', rec(4, 3, null), 5, null, 'free', rec(5, 4, null)],
    [`rewritten in ${SUSPECT_AFTER} builds in a row: suspect`, rec(4, SUSPECT_AFTER - 1, 'a'), 5, 'b', 'suspect', rec(5, SUSPECT_AFTER, 'b')],
    ['observed, then rewritten by the next build: convicted', rec(4, SUSPECT_AFTER, 'a', 'observed'), 5, 'b', 'convicted', rec(5, SUSPECT_AFTER + 1, 'b', 'convicted')],
    ['observed, a late event of the same build: still suspect', rec(5, SUSPECT_AFTER, 'a', 'observed'), 5, 'b', 'suspect', rec(5, SUSPECT_AFTER, 'b', 'observed')],
    ['observed, rewritten by a later build: a new streak', rec(3, SUSPECT_AFTER, 'a', 'observed'), 5, 'b', 'free', rec(5, 1, 'b')],
    ['convicted, rewritten again: held', rec(4, 12, 'a', 'convicted'), 5, 'b', 'held', rec(5, 13, 'b', 'convicted')],
    ['convicted, written from outside: forgotten', rec(4, 12, 'a', 'convicted'), null, null, 'external', undefined]
  ]
  for (const [name, record, build, fingerprint, verdict, after] of cases) {
    t.same(judge(record, build, fingerprint), { verdict, record: after }, name)
  }
})

t.test('decide: any change not the builder\'s builds; suspects alone hold builds to observe; the rest wait', async t => {
  const cases: Array<[Verdict[], 'build' | 'observe' | 'hold']> = [
    [['external'], 'build'],
    [['free', 'held'], 'build'],
    [['suspect', 'external'], 'build'],
    [['suspect', 'free'], 'build'],
    [['suspect', 'held', 'same'], 'observe'],
    [['convicted'], 'hold'],
    [['held', 'same'], 'hold'],
    [['same'], 'hold'],
    [[], 'hold']
  ]
  for (const [verdicts, expected] of cases) t.equal(decide(verdicts), expected, verdicts.join(', ') || 'nothing')
})
