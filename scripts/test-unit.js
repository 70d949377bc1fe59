// The unit tests in two tap runs: first every file that may share the machine, several at a
// time, then the timing-sensitive files that .taprc lists under `serial` (it says why beside
// each), one at a time. `npx tap` alone honours `serial` too, but stops at each serial file until
// the files started before it end, with a core idle meanwhile. The second run is a `--save` run:
// it runs the files of its list only and keeps the first run's coverage (tap deletes it
// otherwise), so its report covers the whole suite.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const tap = fileURLToPath(new URL('../node_modules/tap/dist/esm/run.mjs', import.meta.url))
const SAVE_FILE = '.tap/serial-tests'

const taprc = readFileSync(new URL('../.taprc', import.meta.url), 'utf8')
const serial = /^serial:\n((?:[ \t]+- .*\n?)+)/m.exec(taprc)?.[1].match(/test\/\S+\.test\.ts/g) ?? []
if (serial.length === 0) throw new Error('.taprc lists no serial test files: expected a `serial:` list of test/*.test.ts')

/** Runs tap with these arguments from the project root; returns its exit status. */
function run (args) {
  const { status, signal, error } = spawnSync(process.execPath, [tap, ...args, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
  if (error !== undefined) throw error
  return signal === null ? status : 1
}

// No report of its own: its coverage is part of the second run's, and thresholds of 0 keep tap
// from calling this part incomplete.
const partial = ['--coverage-report=none', '--statements=0', '--branches=0', '--functions=0', '--lines=0']
// One more file than CPUs: most of these files spend their time waiting (on pages, timeouts,
// child processes), not computing.
const jobs = `--jobs=${availableParallelism() + 1}`
const parallel = run([jobs, ...partial, ...serial.map(file => `--exclude=${file}`)])
mkdirSync(new URL('../.tap', import.meta.url), { recursive: true })
writeFileSync(new URL(`../${SAVE_FILE}`, import.meta.url), `${serial.join('\n')}\n`)
const alone = run(['--jobs=1', `--save=${SAVE_FILE}`])
process.exitCode = parallel !== 0 ? parallel : alone
