// `npm test` after the build: first every test process that may share the machine, several at a
// time. Then test/serial/, its processes beside nothing else, which use about one CPU; lint, the
// type check (types/*.test-d.ts with it) and the package check (checks.js) take the others
// meanwhile (one on 2 cores), and their output is printed whole once the tests are done.
// tap-groups.js says which process is which. What failed is said again last, where a log's tail
// shows it.
import { availableParallelism } from 'node:os'
import { runChecks } from './checks.js'
import './ensure-tools.js'
import { failureReport, runAlone, runShared } from './tap-groups.js'

const shared = await runShared()
const [checked, alone] = await Promise.all([runChecks(['lint', 'typecheck', 'attw'], Math.max(1, availableParallelism() - 1)), runAlone()])
process.stdout.write(checked.output)
process.stdout.write(failureReport())
if (checked.code !== 0) process.stdout.write(`\n# checks failed: ${checked.failed.join(', ')}\n`)
process.exitCode = [checked.code, shared, alone].find(code => code !== 0) ?? 0
