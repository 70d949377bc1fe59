// The real world's timers: a wait shorter than Node's timers can time is waited on the loop's turns.
import t from 'tap'
import { realWorld } from '../../lib/world.js'

/** Resolves with the ms waited once the world's timer of `ms` runs (the process kept alive meanwhile: its timers of a millisecond or more are unref'd). */
const after = (ms: number): Promise<number> => new Promise(resolve => {
  const alive = setInterval(() => {}, 60_000)
  const from = realWorld.now()
  realWorld.setTimer(() => {
    clearInterval(alive)
    resolve(realWorld.now() - from)
  }, ms)
})

t.test('a fraction of a millisecond is waited out, never cut short', async t => {
  for (const ms of [0, 0.05, 0.3, 0.9]) {
    const waited = await after(ms)
    t.ok(waited >= ms, `${ms} ms asked, ${waited.toFixed(3)} ms waited`)
  }
})

t.test('a wait cleared never runs, a fraction of a millisecond or a timer\'s', async t => {
  const ran: number[] = []
  for (const ms of [0.5, 5]) realWorld.clearTimer(realWorld.setTimer(() => ran.push(ms), ms))
  await after(0.5) // set after each, run after each: each of the same kind
  await after(5)
  t.same(ran, [], 'neither ran')
})

t.test('…nor a fraction of a millisecond cleared while its turns go on', async t => {
  // The wait's first turn comes before the turn queued after it: unless that first turn was
  // already late (a thread kept off its CPU that long), the wait is under way when it is cleared.
  let tries = 0
  let ran = false
  let isUnderWay = false
  for (; tries < 20 && !isUnderWay; tries++) {
    let hasRun = false
    const timer = realWorld.setTimer(() => { hasRun = true }, 0.99)
    await new Promise<void>(resolve => setImmediate(() => {
      isUnderWay = !hasRun
      realWorld.clearTimer(timer)
      resolve()
    }))
    await after(1)
    ran ||= isUnderWay && hasRun
  }
  t.ok(isUnderWay, `cleared under way (${tries} tries)`)
  t.notOk(ran, 'it never ran')
})

t.test('a millisecond or more is Node\'s timer, which keeps no process alive', async t => {
  const timer = realWorld.setTimer(() => {}, 1) as NodeJS.Timeout
  t.equal(timer.hasRef(), false, 'unref\'d')
  realWorld.clearTimer(timer)
})
