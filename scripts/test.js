// `npm test` after the build: every test file, one more at a time than there are CPUs (most spend
// part of their time waiting for a browser, a watcher or a socket), and lint, type check, type
// tests and the package check (checks.js) beside them, one at a time; their output is printed
// whole once the tests are done. No file runs alone: a test that passes alone and fails beside
// others is a bug in the code or the test (the coalescer decides from evidence, and stretches its
// quiet while threads wait for a CPU: docs/coalescing.md).
import { spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'
import './ensure-chromium.js'

const tap = new URL('../node_modules/tap/dist/esm/run.mjs', import.meta.url).pathname
const checks = new URL('checks.js', import.meta.url).pathname

/** Runs a Node script; resolves with its exit status, and its output when `capture`. */
function run (args, { capture = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: capture ? 'pipe' : 'inherit' })
    const output = []
    child.stdout?.on('data', chunk => output.push(chunk))
    child.stderr?.on('data', chunk => output.push(chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code: signal === null ? code : 1, output: Buffer.concat(output) }))
  })
}

const [tests, checked] = await Promise.all([
  run([tap, `--jobs=${availableParallelism() + 1}`, ...process.argv.slice(2)]),
  run([checks, '--lanes=1', 'lint', 'typecheck', 'test:types', 'attw'], { capture: true })
])
process.stdout.write(checked.output)
process.exitCode = [tests.code, checked.code].find(code => code !== 0) ?? 0
