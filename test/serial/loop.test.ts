// The loop breaker with real parts: a real watcher on temp dirs, a real server on a loopback
// port and a real WebSocket client. A person saving steadily is never paused; a builder that
// rewrites a watched file on every build is stopped, and edits made meanwhile are built.
import { EventEmitter, once } from 'node:events'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { setTimeout as pace } from 'node:timers/promises'
import { basename, join } from 'node:path'
import t, { type Test } from 'tap'
import { LOOP_LIMIT } from '../../lib/pipeline/loop-breaker.js'
import { connectLiveReload } from '../../lib/testing.js'
import type { BuildReport } from '../../types/index.js'
import { eventually, within } from '../helpers/eventually.js'
import { harness, type Harness } from '../helpers/harness.js'
import { logLines } from '../helpers/log.js'
import { saveFromThread } from '../helpers/writer-thread.js'

/** Each steady test saves at least this often, and on until more than LOOP_LIMIT builds have run. */
const EDITS = LOOP_LIMIT + 2
/** A bound on a steady test's saves: a loaded machine folds more saves into each build. */
const MAX_EDITS = 8 * EDITS

/** Editors save by rename: a build never reads a file half written. */
async function save (file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp~`, text)
  await rename(`${file}.tmp~`, file)
}

interface Build { read: string, changes: string[], wasPaused: boolean, sent?: BuildReport['sent'] }

/** src/index.txt → dist/index.html, by a builder that takes `buildMs` (the work of a larger site) and may write into src/. */
async function project (t: Test, buildMs: number, stamp = false) {
  const log = logLines('info')
  const builds: Build[] = []
  const reports: BuildReport[] = []
  const ended = new EventEmitter()
  // Annotated: the builder reads `app`, whose builds come only once harness() has returned (buildOnStart: false).
  const { app, dir, origin }: Harness = await harness(t, {
    files: { src: { 'index.txt': 'edit -1' }, dist: {} },
    options: dir => {
      const src = join(dir, 'src')
      return {
        root: join(dir, 'dist'),
        watch: src,
        buildOnStart: false,
        builder: async ({ changes }) => {
          const read = await readFile(join(src, 'index.txt'), 'utf8')
          builds.push({ read, changes: changes.map(change => basename(change.path)), wasPaused: app.liveReload.stats().paused })
          if (buildMs > 0) await pace(buildMs)
          if (stamp) await writeFile(join(src, 'generated.txt'), `build ${builds.length}`)
          const page = join(dir, 'dist', 'index.html')
          await writeFile(page, `<html><head></head><body>${read}</body></html>`)
          // Said, not left to the output watcher's timing: each build's message is then certain.
          return { outputs: [page] }
        },
        onBuildEnd: (report: BuildReport) => {
          const build = builds.at(-1)
          if (build !== undefined) build.sent = report.sent
          reports.push(report)
          ended.emit('end')
        }
      }
    },
    fastify: { logger: log.logger }
  })
  const src = join(dir, 'src')
  const client = await connectLiveReload(app, { transport: 'socket' })
  const page = async (): Promise<string> => await (await fetch(`${origin}/index.html`)).text()
  /**
   * Resolves with the first report from the `from`-th on (past or future) that `test` accepts.
   * Each build ends, so this is bounded by the builds to come.
   */
  const report = async (test: (report: BuildReport) => boolean, from = 0): Promise<BuildReport> => {
    for (;;) {
      const found = reports.slice(from).find(test)
      if (found !== undefined) return found
      await once(ended, 'end')
    }
  }
  return { app, src, builds, client, log, page, report, reported: () => reports.length }
}
type Project = Awaited<ReturnType<typeof project>>

/**
 * Saves src/index.txt every `everyMs` at a steady pace, from a thread of its own (a person, or a
 * tool, in another process), whatever the builds do: EDITS times, and on while no more than
 * LOOP_LIMIT builds have run (a build folds in the saves it finds, more of them where the CPUs are
 * busy), up to MAX_EDITS. Returns how many.
 */
async function saveSteadily (p: Project, everyMs: number): Promise<number> {
  return await saveFromThread(join(p.src, 'index.txt'), everyMs, MAX_EDITS, saves => saves >= EDITS && p.builds.length > LOOP_LIMIT)
}

async function assertSteady (t: Test, p: Project, edits: number): Promise<void> {
  const last = `edit ${edits - 1}`
  // Bounded: were the loop breaker to hold the last edit's build, this wait would never end (seen
  // once beside two busy loops before bec8e63: paused after 11 builds of 30 steady saves).
  await within(p.report(() => p.builds.some(build => build.read === last && build.sent !== undefined)), `the last edit (${last}) built`, 30_000,
    () => `; builds read ${p.builds.map(build => build.read.split(' ')[1]).join(',')}; paused: ${p.app.liveReload.stats().paused}; warnings: ${JSON.stringify(p.log.lines.filter(line => line.level >= 40))}`)
  const reloads = p.builds.filter(build => build.sent === 'reload').length
  await eventually(() => p.client.messages.filter(message => message.type === 'reload').length === reloads, 5000, 'every reload received')
  t.match(await p.page(), last, 'the last edit is built and served')
  t.same(p.log.lines.filter(line => line.level >= 40), [], 'no warning: never paused')
  t.equal(p.builds.filter(build => build.wasPaused).length, 0)
  t.equal(p.app.liveReload.stats().paused, false)
  const versions = p.builds.map(build => Number(build.read.split(' ')[1]))
  t.same(versions, [...versions].sort((a, b) => a - b), 'builds read the edits in order')
  const fresh = p.builds.filter((build, i) => i === 0 || build.read !== p.builds[i - 1].read)
  t.same(fresh.map(build => build.sent), fresh.map(() => 'reload'), 'every build of a new edit reloads')
  t.ok(p.builds.length > LOOP_LIMIT, `${p.builds.length} builds of ${edits} edits: more than a loop would be allowed`)
}

t.test('saving the same file every 300 ms with an instant build: every edit is built and reloads, never paused', async t => {
  const p = await project(t, 0)
  await assertSteady(t, p, await saveSteadily(p, 300))
})

// The pace of issue 22's "every second during 1.5 s builds" (an Eleventy-sized site), at a sixth
// of the time: each save lands while a build runs, and each build's changes arrive during the
// build before it. bench/steady-saves.js runs it at full length.
t.test('saving the same file every 250 ms during 375 ms builds: every edit is built and reloads, never paused', async t => {
  const p = await project(t, 375)
  await assertSteady(t, p, await saveSteadily(p, 250))
})

t.test('a builder that rewrites a watched file on every build is stopped within LOOP_LIMIT builds, named; edits made meanwhile are built', async t => {
  const p = await project(t, 0, true)
  const paused = p.log.next(line => /^builds paused/.test(line.msg))
  await save(join(p.src, 'index.txt'), 'first')
  const warning = await paused
  t.match(warning, { level: 40, paths: [/src\/generated\.txt$/], msg: /the builder rewrote \S*src\/generated\.txt in each of its last/ })
  t.ok(p.builds.length <= LOOP_LIMIT, `stopped after ${p.builds.length} builds`)
  t.equal(p.app.liveReload.stats().paused, true)

  const report = p.report(report => report.changes.some(change => basename(change) === 'index.txt'), p.reported())
  await save(join(p.src, 'index.txt'), 'during the pause')
  t.same((await report).changes.map(change => basename(change)).sort(), ['generated.txt', 'index.txt'], 'the edit builds at once, with the held rewrite')
  t.match(await p.page(), 'during the pause')
  t.equal(p.builds.at(-1)?.read, 'during the pause')
})
