// `npm test` after the build: first the unit test files that may share the machine, several at a
// time. Then the timing-sensitive files, one at a time, which use about one CPU; lint, type check,
// type tests and the package check (checks.js) take the others meanwhile (one on 2 cores), and
// their output is printed whole once the tests are done.
import { availableParallelism } from 'node:os'
import { runChecks } from './checks.js'
import './ensure-chromium.js'
import { runAlone, runShared } from './tap-groups.js'

const shared = await runShared()
const [checked, alone] = await Promise.all([runChecks(['lint', 'typecheck', 'test:types', 'attw'], Math.max(1, availableParallelism() - 1)), runAlone()])
process.stdout.write(checked.output)
process.exitCode = [checked.code, shared, alone].find(code => code !== 0) ?? 0
