// A save right after a build, and a change during one (issue 38): how long from a source's write
// to the start of the build that carries it, for a save after an idle spell and for a save made
// within 100 ms of a build's end; and whether a file written while another's build runs always
// goes with the follow-up build (within 1.5 s).
// Plain script: `npm run build` first, then `node bench/save-after-build.js` (about 70 s).
// BENCH_TRIALS sets the trials of each case (default 20). On disk, the OS temp dir unless
// BENCH_TMP names another place. One run; p50 and p95 in ms.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import liveReload from '../dist/index.js'

const TRIALS = Number(process.env.BENCH_TRIALS ?? 20)
/** Past the watcher's forced flush and the longest quiet a burst asks: the next write is a save. */
const IDLE_MS = 700
/** A change not built within this long is counted lost. */
const LOST_AFTER_MS = 1500
const base = process.env.BENCH_TMP ?? tmpdir()
const deadline = setTimeout(() => { console.error('save-after-build: deadline passed, run failed'); process.exit(2) }, (TRIALS * 8 + 60) * 1000)

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

/** A project whose function builder takes `buildMs` and writes dist/index.html. */
async function start (buildMs) {
  const dir = realpathSync(mkdtempSync(join(base, 'after-build-')))
  const [src, dist] = ['src', 'dist'].map(name => join(dir, name))
  for (const [path, content] of [[src], [dist], [join(src, 'a.txt'), 'x'], [join(src, 'b.txt'), 'x'], [join(dist, 'index.html'), '<p>0</p>']]) {
    if (content === undefined) mkdirSync(path)
    else writeFileSync(path, content)
  }
  const builds = []
  let waiter = null
  const app = Fastify()
  let n = 0
  await app.register(liveReload, {
    root: dist,
    watch: src,
    buildOnStart: false,
    builder: async ctx => {
      const build = { started: performance.now(), ended: null, files: ctx.changes.map(change => change.path.slice(src.length + 1)) }
      builds.push(build)
      waiter?.()
      await sleep(buildMs)
      writeFileSync(join(dist, 'index.html'), `<p>${++n}</p>`)
    },
    onBuildEnd: () => {
      builds.at(-1).ended = performance.now()
      waiter?.()
    }
  })
  await app.ready()
  /** Resolves once `test()` holds for the builds, or with false after `ms`. */
  async function until (test, ms) {
    const bound = performance.now() + ms
    for (let i = 0; i < 10_000 && !test(); i++) {
      const left = bound - performance.now()
      if (left <= 0) return false
      await new Promise(resolve => { waiter = resolve; setTimeout(resolve, left) })
      waiter = null
    }
    return test()
  }
  /** The build that carried `file` written at `at`, when it started; null: none within LOST_AFTER_MS. */
  async function builtAt (file, at) {
    const carries = () => builds.find(build => build.started >= at && build.files.includes(file))
    return await until(() => carries() !== undefined, LOST_AFTER_MS) ? carries().started : null
  }
  const idle = async () => {
    await until(() => builds.every(build => build.ended !== null), 5000)
    await sleep(IDLE_MS)
  }
  const write = (name, content) => { writeFileSync(join(src, name), content) }
  const stop = async () => {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return { builds, until, builtAt, idle, write, stop }
}

function percentiles (values) {
  const sorted = values.filter(value => value !== null).sort((a, b) => a - b)
  const at = p => sorted.length === 0 ? null : Number(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1))
  return { p50: at(0.5), p95: at(0.95), n: sorted.length }
}

/** A save after an idle spell, and a save made 0–95 ms after the end of the build of another. */
async function saves () {
  const run = await start(50)
  const alone = []
  const afterBuild = []
  for (let i = 0; i < TRIALS; i++) {
    await run.idle()
    const at = performance.now()
    run.write('a.txt', `alone ${i}`)
    const started = await run.builtAt('a.txt', at)
    alone.push(started === null ? null : started - at)
  }
  for (let i = 0; i < TRIALS; i++) {
    await run.idle()
    const first = performance.now()
    run.write('a.txt', `first ${i}`)
    await run.until(() => run.builds.some(build => build.started >= first && build.ended !== null), 5000)
    await sleep((i * 5) % 100)
    const at = performance.now()
    run.write('b.txt', `after ${i}`)
    const started = await run.builtAt('b.txt', at)
    afterBuild.push(started === null ? null : started - at)
  }
  await run.stop()
  return [
    { case: 'save after an idle spell → its build starts (50 ms builder)', ...percentiles(alone), lost: alone.filter(v => v === null).length },
    { case: 'save 0–95 ms after a build ends → its build starts', ...percentiles(afterBuild), lost: afterBuild.filter(v => v === null).length }
  ]
}

/** A file written 90 ms after another, while that one's build (200 ms) runs: in the follow-up build? */
async function changeDuringBuild () {
  const run = await start(200)
  const latencies = []
  for (let i = 0; i < TRIALS; i++) {
    await run.idle()
    run.write('a.txt', `first ${i}`)
    await sleep(90)
    const at = performance.now()
    run.write('b.txt', `during ${i}`)
    const started = await run.builtAt('b.txt', at)
    latencies.push(started === null ? null : started - at)
  }
  await run.stop()
  return [{ case: 'change 90 ms into another\'s build → the build that carries it starts (200 ms builder)', ...percentiles(latencies), lost: latencies.filter(v => v === null).length }]
}

const results = [...await saves(), ...await changeDuringBuild()]
for (const result of results) console.log(JSON.stringify(result))
clearTimeout(deadline)
