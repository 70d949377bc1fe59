// `npm test` after the build: first every test process that may share the machine, several at a
// time; attw and the check of types/' declarations run beside tap's own rebuild and the tests'
// transpiling, which come first and leave a CPU (attw's `npm pack` skips the scripts: `prepare`
// would delete and rebuild dist/ under the tests). Then test/serial/, its processes beside nothing
// else, which use about one CPU; lint and the type check of the code (types/*.test-d.ts with it)
// run meanwhile, side by side (checks.js): one after the other they ended 20 s after the serial
// processes (2026-11-28); the serial files passed beside both and a loaded CI run's two busy
// loops, four runs in a row. The checks' output is printed whole once the tests are done.
// tap-groups.js says which process is which. What failed is said again last, where a log's tail
// shows it.
import { availableParallelism } from 'node:os'
import { runChecks } from './checks.js'
import './ensure-tools.js'
import { failureReport, runAlone, runShared } from './tap-groups.js'

const began = Date.now()
const since = () => `${((Date.now() - began) / 1000).toFixed(1)} s`
const early = runChecks(['attw', 'typecheck:types'], 1, began)
const shared = await runShared()
const sharedEnded = since()
let serialEnded
const serial = runAlone().then(code => { serialEnded = since(); return code })
const [first, checked, alone] = await Promise.all([early, runChecks(['lint', 'typecheck:code'], availableParallelism(), began), serial])
process.stdout.write(`# the shared test processes ended at ${sharedEnded}, the serial ones at ${serialEnded}, the checks at ${since()} (since scripts/test.js began)\n`)
process.stdout.write(checked.output + first.output)
process.stdout.write(failureReport())
const failed = [...checked.failed, ...first.failed]
if (failed.length > 0) process.stdout.write(`\n# checks failed: ${failed.join(', ')}\n`)
process.exitCode = [checked.code, first.code, shared, alone].find(code => code !== 0) ?? 0
