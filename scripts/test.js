// `npm test` after the build: first every test process that may share the machine, several at a
// time, then test/serial/, its two processes beside nothing else of the tests' (tap-groups.js says
// which process is which). Lint, type check, type tests and the package check (checks.js) run from
// the start, one at a time, at the lowest CPU priority: in the CPU the tests leave idle. Their
// output is printed whole once the tests are done.
import { runChecks } from './checks.js'
import './ensure-tools.js'
import { runAlone, runShared } from './tap-groups.js'

const checking = runChecks(['lint', 'typecheck', 'test:types', 'attw'], 1)
const shared = await runShared()
const alone = await runAlone()
const checked = await checking
process.stdout.write(checked.output)
process.exitCode = [checked.code, shared, alone].find(code => code !== 0) ?? 0
