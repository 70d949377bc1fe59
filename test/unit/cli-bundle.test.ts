// The command's bundle (scripts/build.js) leaves out what it never runs: Fastify's way to its
// schema compilers and @fastify/static's glob, about 1 MB compiled at each start otherwise. In
// their place, a module that throws, naming what reached it.
import { readFileSync } from 'node:fs'
import t from 'tap'

const dist = new URL('../../dist/', import.meta.url)
const bundle = readFileSync(new URL('cli-run.cjs', dist), 'utf8')

t.test('no module of Ajv, fast-json-stringify\'s compiler or glob is in the command\'s bundle', async t => {
  t.ok(bundle.includes('// node_modules/fastify/fastify.js'), 'the bundle holds Fastify (esbuild marks each module it bundles)')
  for (const name of ['ajv', 'ajv-formats', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'glob']) {
    t.notOk(bundle.includes(`// node_modules/${name}/`), `${name} left out`)
  }
  t.notOk(bundle.includes('// node_modules/fast-json-stringify/index.js'), 'fast-json-stringify left out (its serializer, which Fastify\'s error replies use, stays)')
  for (const name of ['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'glob']) {
    t.ok(bundle.includes(`left ${name} out of its bundle`), `${name}: a module that says so if it is ever reached`)
  }
})
