// `npm run test:unit`: the files that may share the machine, then the timing-sensitive ones alone.
import { precompile } from '../test/loader/transpile.mjs'
import './ensure-chromium.js'
import { runAlone, runShared } from './tap-groups.js'

await precompile() // every TypeScript file the tests load, once, in this process: no test process loads a compiler
const shared = await runShared()
const alone = await runAlone()
process.exitCode = shared !== 0 ? shared : alone
