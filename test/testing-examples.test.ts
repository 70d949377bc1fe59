// docs/testing.md shows examples/testing/ in full, and both of its test files run here, each
// in its own process as a user would run it: the docs' code is the code that passes.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import t from 'tap'

// Both examples at once: each test waits for a process of its own.
t.jobs = 2

const root = new URL('..', import.meta.url)
const read = (path: string) => readFileSync(new URL(path, root), 'utf8')

/** Runs node with these arguments from the repository root, outside tap's own instrumentation. */
async function run (args: string[]): Promise<{ code: number | null, output: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(TAP|_TAPJS|NODE_OPTIONS)/.test(key)))
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', chunk => { output += chunk })
  child.stderr.on('data', chunk => { output += chunk })
  const [code] = await once(child, 'exit') as [number | null]
  return { code, output }
}

t.test('docs/testing.md shows the example files exactly', async t => {
  const doc = read('docs/testing.md')
  const blocks = [...doc.matchAll(/<!-- file: (\S+) -->\n```js\n([\s\S]*?)```\n/g)]
  t.same(blocks.map(([, path]) => path), ['examples/testing/app.js', 'examples/testing/tap.test.js', 'examples/testing/node.test.js'])
  for (const [, path, code] of blocks) t.equal(code, read(path), path)
})

t.test('the tap example passes', async t => {
  const { code, output } = await run(['examples/testing/tap.test.js'])
  t.equal(code, 0, code === 0 ? 'exits 0' : output)
  t.match(output, /# \{ total: 7, pass: 7 \}/)
})

t.test('the node:test example passes', async t => {
  const { code, output } = await run(['--test', '--test-reporter=tap', 'examples/testing/node.test.js'])
  t.equal(code, 0, code === 0 ? 'exits 0' : output)
  t.match(output, /# pass 2\n# fail 0/)
})
