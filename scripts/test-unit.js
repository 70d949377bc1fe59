// `npm run test:unit`: the test processes that may share the machine, then test/serial/ alone.
// What failed is said again last.
import './ensure-tools.js'
import { failureReport, runAlone, runShared } from './tap-groups.js'

const shared = await runShared()
const alone = await runAlone()
process.stdout.write(failureReport())
process.exitCode = shared !== 0 ? shared : alone
