// The unit tests in two tap runs: first every file that may share the machine, several at a
// time, then the timing-sensitive files that .taprc lists under `serial` (it says why beside
// each), one at a time. `npx tap` alone honours `serial` too, but stops at each serial file until
// the files started before it end, with a core idle meanwhile. The second run is a `--save` run:
// it runs the files of its list only and keeps the first run's coverage (tap deletes it
// otherwise), so its report covers the whole suite.
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { precompile } from '../test/loader/transpile.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const tap = fileURLToPath(new URL('../node_modules/tap/dist/esm/run.mjs', import.meta.url))
const SAVE_FILE = '.tap/serial-tests'

const taprc = readFileSync(new URL('../.taprc', import.meta.url), 'utf8')
const serial = /^serial:\n((?:[ \t]+- .*\n?)+)/m.exec(taprc)?.[1].match(/test\/\S+\.test\.ts/g) ?? []
if (serial.length === 0) throw new Error('.taprc lists no serial test files: expected a `serial:` list of test/*.test.ts')

/** Runs tap with these arguments (and ours) from the project root; resolves with its exit status. */
function run (args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tap, ...args, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
    child.on('error', reject)
    child.on('close', (code, signal) => resolve(signal === null ? code : 1))
  })
}

/**
 * Every file but the serial ones, several at a time; resolves with tap's exit status. First, every
 * TypeScript file the tests load is transpiled in this one process, so no test process loads a
 * compiler (test/loader/transpile.mjs).
 */
export async function runShared () {
  await precompile()
  // No report of its own: its coverage is part of the second run's, and thresholds of 0 keep tap
  // from calling this part incomplete.
  const partial = ['--coverage-report=none', '--statements=0', '--branches=0', '--functions=0', '--lines=0']
  // As many files as CPUs: measured on 2 cores, this group alone with three files at a time took
  // 221 s of wall and 375 s of CPU, with two 129 s and 198 s (one run each, a noisy machine).
  const jobs = `--jobs=${availableParallelism()}`
  return await run([jobs, ...partial, ...serial.map(file => `--exclude=${file}`)])
}

/** The serial files, one at a time, with the coverage report of the whole suite; resolves with tap's exit status. */
export function runAlone () {
  mkdirSync(new URL('../.tap', import.meta.url), { recursive: true })
  writeFileSync(new URL(`../${SAVE_FILE}`, import.meta.url), `${serial.join('\n')}\n`)
  return run(['--jobs=1', `--save=${SAVE_FILE}`])
}
