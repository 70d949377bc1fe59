// Runs the npm scripts named on the command line side by side, as many at a time as there are
// CPUs or as `--lanes=N` says (each is one single-threaded process: eslint, tsc, tsd, attw), and
// prints each one's output whole, in the order given. Exits non-zero if any failed.
import { spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'

const { values, positionals: names } = parseArgs({ options: { lanes: { type: 'string', default: String(availableParallelism()) } }, allowPositionals: true })
const lanes = Number(values.lanes)
if (!Number.isInteger(lanes) || lanes < 1) throw new Error(`--lanes must be a positive integer, got ${values.lanes}`)
const npm = process.env.npm_execpath // the npm that runs us, when we run from an npm script

/** Runs one npm script; resolves with its exit status and everything it printed. */
function run (name) {
  return new Promise(resolve => {
    const args = ['run', '--silent', name]
    const child = npm === undefined ? spawn('npm', args, { shell: true }) : spawn(process.execPath, [npm, ...args])
    const output = []
    child.stdout.on('data', chunk => output.push(chunk))
    child.stderr.on('data', chunk => output.push(chunk))
    child.on('close', code => resolve({ name, code, output: Buffer.concat(output).toString() }))
  })
}

const pending = [...names]
const results = new Map()
async function lane () {
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) results.set(name, await run(name))
}
await Promise.all(Array.from({ length: Math.min(lanes, names.length) }, lane))

for (const name of names) {
  const { code, output } = results.get(name)
  process.stdout.write(`> npm run ${name}${code === 0 ? '' : ` (failed: exit code ${code})`}\n${output}`)
  if (code !== 0) process.exitCode = 1
}
