// `npm run test:firefox` after the build: the files of test/firefox/, the client in Debian's
// firefox-esr (and one Chromium tab beside it), as one process that shares one Firefox. `npm
// test` leaves the folder out (LANES in tap-groups.js). What failed is said again last.
import './ensure-firefox.js'
import { failureReport, runLane } from './tap-groups.js'

process.exitCode = await runLane('test/firefox')
process.stdout.write(failureReport())
