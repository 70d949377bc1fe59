// Runs npm scripts side by side, `lanes` at a time (each is one single-threaded process: eslint,
// tsc, attw), and gathers each one's output whole, in the order given, with its time and when it
// ended (since `since`, a Date.now()), for finding where `npm test`'s time goes.
import { spawn } from 'node:child_process'

const npm = process.env.npm_execpath // the npm that runs us, when we run from an npm script

/** Runs one npm script; resolves with its exit status, everything it printed, and when it started and ended. */
function run (name) {
  const started = Date.now()
  return new Promise(resolve => {
    const args = ['run', '--silent', name]
    const child = npm === undefined ? spawn('npm', args, { shell: true }) : spawn(process.execPath, [npm, ...args])
    const output = []
    child.stdout.on('data', chunk => output.push(chunk))
    child.stderr.on('data', chunk => output.push(chunk))
    child.on('close', code => resolve({ code, output: Buffer.concat(output).toString(), started, ended: Date.now() }))
  })
}

/** Runs `names`; resolves with 0 or 1 (any failed), the names that failed, and what each printed, under its name. */
export async function runChecks (names, lanes, since = Date.now()) {
  const pending = [...names]
  const results = new Map()
  const lane = async () => {
    for (let name = pending.shift(); name !== undefined; name = pending.shift()) results.set(name, await run(name))
  }
  await Promise.all(Array.from({ length: Math.min(lanes, names.length) }, lane))
  const printed = names.map(name => {
    const { code, output, started, ended } = results.get(name)
    const took = `${((ended - started) / 1000).toFixed(1)} s, ended at ${((ended - since) / 1000).toFixed(1)} s`
    return `> npm run ${name} (${code === 0 ? '' : `failed: exit code ${code}; `}${took})\n${output}`
  })
  const failed = names.filter(name => results.get(name).code !== 0)
  return { code: failed.length > 0 ? 1 : 0, failed, output: printed.join('') }
}
