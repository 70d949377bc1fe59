// `npm test` after the build: every test file, one more at a time than there are CPUs (most spend
// part of their time waiting for a browser, a watcher or a socket), and beside them lint, type
// check, type tests and the package check, one after the other (each is one single-threaded
// process); their output is printed whole once the tests are done. No file runs alone: a test
// that passes alone and fails beside others is a bug in the code or the test (the coalescer
// decides from evidence, and stretches its quiet while threads wait for a CPU: docs/coalescing.md).
// Before tap starts, one process transpiles every TypeScript file the tests load, so that no test
// process has to (test/loader/transpile.mjs).
import { spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { precompile } from '../test/loader/transpile.mjs'
import './ensure-chromium.js'

const tap = new URL('../node_modules/tap/dist/esm/run.mjs', import.meta.url).pathname
const CHECKS = ['lint', 'typecheck', 'test:types', 'attw']
const npm = process.env.npm_execpath // the npm that runs us, when we run from an npm script

/** Runs a command; resolves with its exit status, and what it printed when `capture`. */
function run (command, args, { capture = false, shell = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: capture ? 'pipe' : 'inherit', shell })
    const output = []
    child.stdout?.on('data', chunk => output.push(chunk))
    child.stderr?.on('data', chunk => output.push(chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code: signal === null ? code : 1, output: Buffer.concat(output).toString() }))
  })
}

/** The checks one after the other; resolves with the first failure's status (or 0) and all they printed, each under its name. */
async function runChecks () {
  let code = 0
  let output = ''
  for (const name of CHECKS) {
    const args = ['run', '--silent', name]
    const result = npm === undefined ? await run('npm', args, { capture: true, shell: true }) : await run(process.execPath, [npm, ...args], { capture: true })
    output += `> npm run ${name}${result.code === 0 ? '' : ` (failed: exit code ${result.code})`}\n${result.output}`
    if (code === 0) code = result.code
  }
  return { code, output }
}

const [tests, checked] = await Promise.all([
  precompile().then(() => run(process.execPath, [tap, `--jobs=${availableParallelism() + 1}`, ...process.argv.slice(2)])),
  runChecks()
])
process.stdout.write(checked.output)
process.exitCode = [tests.code, checked.code].find(code => code !== 0) ?? 0
