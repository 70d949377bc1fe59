// The test files in two tap runs, as processes: each long file at the top of test/ (LONGEST_FIRST)
// is a process of its own, the other files at the top are dealt into a few processes (SHORT), and
// each folder of test/ (unit/, browser/, serial/) is one process, or PARTS of them, that runs its
// files one after another. The folders of LANES are left out: each is a lane of its own (runLane).
// A test process costs about 1 s of CPU before its first test (the loader, tap, coverage): the 19
// files of test/unit/ took 27.5 s of CPU as 19 processes and 6.1 s as one, and the browser files
// of a process share one Chromium (test/helpers/browser.ts).
//
// First every process but the serial folders' (.taprc `serial`, which says why), several at a
// time; then the serial ones, side by side (their PARTS) and beside nothing else. The second run
// is a `--save` run: it runs the files of its list only and keeps the first run's coverage (tap
// deletes it otherwise), so its report covers the whole suite. `npx tap` alone runs every file in a process of its own, and honours
// `serial` too.
import { spawn } from 'node:child_process'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { precompile } from '../test/loader/transpile.mjs'
import { failureCollector } from './tap-failures.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const tap = join(root, 'node_modules/tap/dist/esm/run.mjs')
const GROUPS = '.tap/groups'
const SAVE_FILE = '.tap/serial-tests'
/**
 * Folders of test/ that `npm test` does not run, each with a script of its own: test/firefox/
 * needs Debian's firefox-esr, ~430 MB the default lane (Node and Chromium) does without
 * (`npm run test:firefox`, scripts/test-firefox.js). .taprc excludes them from `npx tap` too.
 */
export const LANES = ['test/firefox']
/**
 * The shared processes that take longest, about longest first. tap starts processes in the order of
 * their paths, and a long one started last would end the run alone: these get entries in
 * .tap/groups/ whose names sort first, in this order (measured 2026-11-26 on 2 cores, four at a
 * time, a simulation of that run put the end 26 s sooner). An order only: a wrong or stale one
 * costs time, never a result; a file not named here runs after these, in path order. `test`
 * names the processes of the short files (SHORT), 15–20 s each idle (2026-11-29), and test/unit
 * (7–12 s) comes after load: started after the longer ones, not among the last, so that the run
 * does not end on one or two of them (a sampler of the processes every second showed its last
 * 10 s so before).
 */
const LONGEST_FIRST = ['test/browser', 'test/dev.test.ts', 'test/shard-queue.test.ts', 'test/cluster.test.ts',
  'test/cluster-failover.test.ts', 'test/cli.test.ts', 'test', 'test/cli-https.test.ts', 'test/load.test.ts', 'test/unit']

/**
 * Folders of test/ that run as this many processes, their files dealt by SECONDS: the browser
 * files took 50 s as one process alone and 81 s in a whole run, longer than any other process;
 * test/serial took 60 s as one process (27 s of CPU: it waits out saves and builds paced as people
 * make them), 35 s as two; as three, about 23 s each, about as long as the checks beside them.
 */
const PARTS = new Map([['test/browser', 2], ['test/serial', 3]])
/**
 * Files at the top of test/ that run in a process of their own, short as they are: shutdown counts
 * the process's handles, timers and sockets before and after a close, which another file's
 * teardown still under way changes (a server of plugin-https's closing on a loaded machine).
 */
const OWN_PROCESS = ['test/shutdown.test.ts']
/**
 * A file that sets `t.jobs` sets it on the process's root, where every file of a shared process
 * adds its tests: all of them would then run that many at a time, and a test that sets an
 * environment variable for its own use (LAUNCH_EDITOR in editor.test.ts) would hand it to another
 * one running meanwhile (a loaded run opened the other test's missing editor). Such a file runs
 * in a process of its own.
 */
const setsRootJobs = async path => /^t\.jobs = /m.test(await readFile(join(root, path), 'utf8'))
/**
 * The processes the short files at the top of test/ (those not in LONGEST_FIRST nor OWN_PROCESS, and
 * setting no root jobs; 0.1–19 s each) are
 * dealt into by SECONDS: as 29 processes they took 68 s of CPU, as four 38 s (2026-11-26).
 * Their tests then share a process: a test that changes what is the process's (the working
 * directory, an environment variable) puts it back before it ends, and tap's fixtures move the
 * working directory when a test ends outside it, so none changes that one.
 */
const SHORT = 4

/**
 * What the files that take longest took, in seconds (the sum of their tests' times in one whole
 * `npm test` on a fresh clone, idle, 2026-11-27; test/serial/'s on 2026-11-29, bursts.test.ts's
 * as the time of the process it ran in alone), for dealing files into processes that end together.
 * A plan only, as LONGEST_FIRST is: a file not named counts as one second, and a stale figure
 * costs time, never a result. (A file with `t.jobs` runs in a process of its own: none here.)
 */
const SECONDS = new Map(Object.entries({
  'test/browser/sync.test.ts': 38,
  'test/browser/cli-proxy.test.ts': 21,
  'test/browser/page-names.test.ts': 20,
  'test/browser/client.test.ts': 17,
  'test/browser/fallback.test.ts': 14,
  'test/browser/dev.test.ts': 13,
  'test/browser/clean-rebuild.test.ts': 7,
  'test/browser/lr7.test.ts': 6,
  'test/browser/patch.test.ts': 6,
  'test/browser/editor.test.ts': 4,
  'test/browser/navigation-page.test.ts': 3,
  'test/browser/inject.test.ts': 3,
  'test/serial/bursts.test.ts': 23.7,
  'test/serial/loop.test.ts': 17.6,
  'test/serial/build.test.ts': 16.6,
  'test/serial/watch-faults.test.ts': 10,
  'test/serial/pipeline.test.ts': 7,
  'test/serial/testing.test.ts': 5,
  'test/serial/plugin.test.ts': 2.4,
  'test/serial/safe-write.test.ts': 1.8,
  'test/serial/poll.test.ts': 0.8,
  'test/cluster-lease.test.ts': 9,
  'test/sharded-builder.test.ts': 8,
  'test/run-builder.test.ts': 8,
  'test/cluster-setup.test.ts': 5,
  'test/metrics.test.ts': 5,
  'test/no-warnings.test.ts': 4,
  'test/cluster-metrics.test.ts': 4,
  'test/clean-rebuild.test.ts': 3,
  'test/examples.test.ts': 2,
  'test/inject-property.test.ts': 2
}))

/** Deals `files` into `count` lists: longest first (SECONDS), each to the list with the fewest seconds so far; each list by name. */
function deal (files, count) {
  const lists = Array.from({ length: count }, () => ({ files: [], seconds: 0 }))
  const seconds = file => SECONDS.get(file) ?? 1
  for (const file of [...files].sort((a, b) => seconds(b) - seconds(a) || a.localeCompare(b))) {
    const least = lists.reduce((fewest, list) => list.seconds < fewest.seconds ? list : fewest)
    least.files.push(file)
    least.seconds += seconds(file)
  }
  return lists.map(list => list.files.sort()).filter(list => list.length > 0)
}

/**
 * tap builds its Test class for the plugins .taprc lists (`tap build`). A fresh install has the
 * class of tap's default plugins, and tap rebuilds it only once a run has begun: that first run's
 * test processes still load every default plugin, ts-node among them (.taprc says what each
 * costs). The fresh clones CI runs on hit exactly that, so the build comes first, when it is due.
 */
async function buildTap () {
  // In this order: @tapjs/config loads @tapjs/core, which must load before @tapjs/test (the two
  // import each other; imported first, or at once, @tapjs/test fails in core's module). Both
  // are tap's own, installed beside it; where they cannot be found, tap's own rebuild stays.
  let isBuilt
  try {
    const { TapConfig } = await import('@tapjs/config')
    const { signature } = await import('@tapjs/test')
    isBuilt = (await TapConfig.load()).pluginSignature === signature
  } catch (err) {
    console.error(`tap-groups: tap's plugin signature unknown (${err.message}): tap rebuilds itself if it must`)
    return
  }
  if (isBuilt) return
  await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tap, 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
    child.on('error', reject)
    child.on('close', code => { code === 0 ? resolve() : reject(new Error(`tap build exited with ${code}`)) })
  })
}
let built
const buildTapOnce = () => (built ??= buildTap())

/** What each run of tap so far failed, by its title. */
const collectors = []

/**
 * Runs tap with these arguments (and ours) from the project root; resolves with its exit status.
 * Into a log (no terminal), its TAP passes through and its failures are kept under `title` for
 * failureReport(); a terminal gets tap's own reporter, which sums up the failures itself.
 */
function run (title, args) {
  return new Promise((resolve, reject) => {
    const terminal = process.stdout.isTTY === true
    // Into a log, TAP itself, whatever tap would pick from the environment (FORCE_COLOR, a CI's own).
    const reporter = terminal ? [] : ['--reporter=tap']
    const child = spawn(process.execPath, [tap, ...reporter, ...args, ...process.argv.slice(2)], { cwd: root, stdio: ['inherit', terminal ? 'inherit' : 'pipe', 'inherit'] })
    const failures = failureCollector()
    collectors.push([title, failures])
    let partial = ''
    child.stdout?.on('data', chunk => {
      process.stdout.write(chunk)
      const lines = (partial + chunk.toString()).split('\n')
      partial = lines.pop()
      for (const text of lines) failures.line(text)
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      failures.line(partial)
      resolve(signal === null ? code : 1)
    })
  })
}

/** Every failure of the runs so far, for the end of the log; '' when none failed. */
export const failureReport = () => collectors.map(([title, failures]) => failures.report(title)).join('')

/** The folders .taprc lists under `serial`, as `test/<name>`. */
async function serialFolders () {
  const taprc = await readFile(join(root, '.taprc'), 'utf8')
  const listed = /^serial:\n((?:[ \t]+- .*\n?)+)/m.exec(taprc)?.[1].match(/(?<=- )\S+/g) ?? []
  const odd = listed.filter(path => !/^test\/[^/]+$/.test(path))
  if (listed.length === 0 || odd.length > 0) throw new Error(`.taprc: expected \`serial:\` to list folders of test/ (test/<name>), found ${JSON.stringify(listed)}`)
  return listed
}

/**
 * The entry of a process, written to .tap/groups/: it imports `files` (test/<name> paths) inside
 * one test, so that the root, where the files add their tests meanwhile, cannot end while a file
 * is still loading; and it gives the process the timeout of that many files. `name` is `what`'s
 * (a folder of test/, one file, or `test` for short files) and `part`'s, after its place in
 * LONGEST_FIRST when it has one.
 */
async function entryOf (what, files, part = '') {
  const rank = LONGEST_FIRST.indexOf(what)
  const name = (what === 'test' ? 'short' : what.slice('test/'.length).replace(/\.test\.ts$/, '')) + part
  const entry = `${GROUPS}/${rank === -1 ? '' : `${String(rank).padStart(2, '0')}-`}${name}.test.mjs`
  const imports = files.map(file => `  await import(${JSON.stringify(pathToFileURL(join(root, file)).href)})`)
  await writeFile(join(root, entry), [
    `// ${what} in one process${files.length > 1 ? `, its ${files.length} test files` : ''}: written by scripts/tap-groups.js.`,
    "import t from 'tap'",
    `t.setTimeout(${files.length} * Number(process.env.TAP_TIMEOUT ?? 30) * 1000)`,
    `await t.test('load ${what}', async t => {`,
    ...imports,
    '  t.pass()',
    '})',
    ''
  ].join('\n'))
  return entry
}

/** The test files of a folder of test/, by name. */
async function testFiles (folder) {
  return (await readdir(join(root, folder))).filter(name => name.endsWith('.test.ts')).sort()
}

/** What each run starts: the shared processes (files and folder entries) and the serial ones. */
async function processes () {
  const serial = await serialFolders()
  await mkdir(join(root, GROUPS), { recursive: true })
  const shared = []
  const alone = []
  const short = []
  const found = new Set() // folders with test files
  for (const dirent of await readdir(join(root, 'test'), { withFileTypes: true })) {
    const path = `test/${dirent.name}`
    if (dirent.isFile() && dirent.name.endsWith('.test.ts')) {
      if (LONGEST_FIRST.includes(path) || OWN_PROCESS.includes(path) || await setsRootJobs(path)) shared.push(await entryOf(path, [path]))
      else short.push(path)
    }
    if (!dirent.isDirectory() || LANES.includes(path)) continue
    const files = (await testFiles(path)).map(file => `${path}/${file}`)
    if (files.length === 0) continue
    found.add(path)
    const parallel = (await Promise.all(files.map(async file => await setsRootJobs(file) ? [file] : []))).flat()
    if (parallel.length > 0) throw new Error(`${parallel.join(', ')}: \`t.jobs\` on the root would run every file of ${path}'s shared process that many at a time; give it to a subtest (t.test(name, { jobs }, …))`)
    const parts = deal(files, PARTS.get(path) ?? 1)
    const entries = await Promise.all(parts.map(async (list, i) => await entryOf(path, list, parts.length > 1 ? `-${i + 1}` : '')))
    if (serial.includes(path)) alone.push(...entries)
    else shared.push(...entries)
  }
  const shorts = deal(short.sort(), SHORT)
  shared.push(...await Promise.all(shorts.map(async (list, i) => await entryOf('test', list, `-${i + 1}`))))
  const missing = serial.filter(folder => !found.has(folder))
  if (missing.length > 0) throw new Error(`.taprc lists ${missing.join(', ')} under \`serial\`: no test files there`)
  return { shared: shared.sort(), alone }
}

/** The processes, found and their entries written once for both runs. */
let planned
const processesOnce = () => (planned ??= processes())

/**
 * Every process but the serial ones, several at a time; resolves with tap's exit status. First,
 * every TypeScript file the tests load is transpiled in this one process, so no test process
 * loads a compiler (test/loader/transpile.mjs).
 */
export async function runShared () {
  const [{ shared }] = await Promise.all([processesOnce(), precompile(), buildTapOnce()])
  // No report of its own: its coverage is part of the second run's, and thresholds of 0 keep tap
  // from calling this part incomplete.
  const partial = ['--coverage-report=none', '--statements=0', '--branches=0', '--functions=0', '--lines=0']
  // Two a CPU: the processes wait on timers, child processes and Redis more than they compute.
  // Measured on 2 cores, idle (one run each, 2026-11-26): two at a time 211 s (119 % of a CPU for
  // the whole npm test), three 179 s, four 163 s (139 %).
  return await run('the shared test processes', [`--jobs=${2 * availableParallelism()}`, ...partial, ...shared])
}

/** The serial processes, side by side, with the coverage report of the whole suite; resolves with tap's exit status. */
export async function runAlone () {
  const [{ alone }] = await Promise.all([processesOnce(), buildTapOnce()])
  await writeFile(join(root, SAVE_FILE), `${alone.join('\n')}\n`)
  return await run('the serial test processes', [`--jobs=${alone.length}`, `--save=${SAVE_FILE}`, ...alone])
}

/**
 * A folder of LANES as one process (its files share one browser), without coverage: the default
 * run measures lib/, and these tests add nothing to it but the time. Resolves with tap's exit status.
 */
export async function runLane (folder) {
  if (!LANES.includes(folder)) throw new Error(`${folder} is not a lane of its own (LANES in scripts/tap-groups.js)`)
  await Promise.all([mkdir(join(root, GROUPS), { recursive: true }), buildTapOnce()])
  return await run(folder, ['--disable-coverage', await entryOf(folder, (await testFiles(folder)).map(file => `${folder}/${file}`))])
}
