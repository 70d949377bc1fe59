// Which Node the suite runs on. `npm run test:node24` (scripts/node24.js) puts a Node 24 first on
// PATH, runs the suite with it and says so in NODE_LANE; a plain `npm test` runs on the Node that
// runs tap. Either way every process the tests start must run that Node too, or a lane would test
// a mix: tap starts the test processes with process.execPath, the isolated builder and the CLI
// tests fork it, a commandBuilder command and a test's `node …` find `node` on PATH.
import { exec, execFile } from 'node:child_process'
import { once } from 'node:events'
import { promisify } from 'node:util'
import { Worker } from 'node:worker_threads'
import t from 'tap'

const major = (version: string): string => version.replace(/^v/, '').split('.')[0]
const expected = process.env.NODE_LANE ?? major(process.version)

/** What each kind of process the tests start reports as its `process.version`. */
const starts: Array<[string, () => Promise<string>]> = [
  ['this test process (tap started it)', async () => process.version],
  ['a worker thread', async () => {
    const worker = new Worker('require("node:worker_threads").parentPort.postMessage(process.version)', { eval: true, env: {} })
    const [version] = await once(worker, 'message') as [string]
    return version
  }],
  ['a child started by process.execPath', async () => (await promisify(execFile)(process.execPath, ['-p', 'process.version'])).stdout],
  ['a shell command that runs `node` from PATH', async () => (await promisify(exec)('node -p process.version')).stdout]
]

for (const [name, version] of starts) {
  t.test(`${name} runs Node ${expected}`, async t => {
    t.equal(major((await version()).trim()), expected)
  })
}
