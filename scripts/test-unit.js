// `npm run test:unit`: the test processes that may share the machine, then test/serial/ alone.
import './ensure-tools.js'
import { runAlone, runShared } from './tap-groups.js'

const shared = await runShared()
const alone = await runAlone()
process.exitCode = shared !== 0 ? shared : alone
