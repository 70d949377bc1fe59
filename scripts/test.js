// `npm test` after the build: lint, type check, type tests and the package check (checks.js) run
// beside the unit test files that may share the machine, which spend much of their time
// waiting; their output is printed whole once those files are done. Then the timing-sensitive
// files run alone, on an otherwise quiet machine.
import { spawn } from 'node:child_process'
import './ensure-chromium.js'
import { runAlone, runShared } from './tap-groups.js'

const checks = new Promise((resolve, reject) => {
  const child = spawn(process.execPath, [new URL('checks.js', import.meta.url).pathname, 'lint', 'typecheck', 'test:types', 'attw'])
  const output = []
  child.stdout.on('data', chunk => output.push(chunk))
  child.stderr.on('data', chunk => output.push(chunk))
  child.on('error', reject)
  child.on('close', code => resolve({ code, output: Buffer.concat(output) }))
})
const shared = await runShared()
const checked = await checks
process.stdout.write(checked.output)
const alone = await runAlone()
process.exitCode = [checked.code, shared, alone].find(code => code !== 0) ?? 0
