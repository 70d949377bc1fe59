// `npm test` after the build: first the unit test files that may share the machine, several at a
// time. Then the timing-sensitive files, one at a time, which use about one CPU; lint, type check,
// type tests and the package check (checks.js) take the others meanwhile (one on 2 cores), and
// their output is printed whole once the tests are done.
import { spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'
import './ensure-chromium.js'
import { runAlone, runShared } from './tap-groups.js'

function runChecks () {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL('checks.js', import.meta.url).pathname, `--lanes=${Math.max(1, availableParallelism() - 1)}`, 'lint', 'typecheck', 'test:types', 'attw'])
    const output = []
    child.stdout.on('data', chunk => output.push(chunk))
    child.stderr.on('data', chunk => output.push(chunk))
    child.on('error', reject)
    child.on('close', code => resolve({ code, output: Buffer.concat(output) }))
  })
}

const shared = await runShared()
const [checked, alone] = await Promise.all([runChecks(), runAlone()])
process.stdout.write(checked.output)
process.exitCode = [checked.code, shared, alone].find(code => code !== 0) ?? 0
