// The command's bundle (scripts/build.js) leaves out what it never runs: Fastify's way to its
// schema compilers and @fastify/static's glob, about 1 MB compiled at each start otherwise. In
// their place, a module that throws, naming what reached it.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
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

// The bundle has no import() (its code runs from V8's code cache: lib/cli/code-cache.ts), so esbuild
// makes each import() of a package `__toESM(require(pkg), 1)`, which gives the package's
// `module.exports` as its default: right for CommonJS, wrong for an ES module, whose namespace
// would be the default (`open` was: run.ts now requires it). No ES-module package goes that way.
t.test('every package the command\'s bundle imports through esbuild\'s CommonJS interop is CommonJS', async t => {
  const wrapped = [...new Set([...bundle.matchAll(/__toESM\(require\("([^"]+)"\), 1\)/g)].map(match => match[1]!))].filter(name => !name.startsWith('node:'))
  t.ok(wrapped.length > 0, `some are: ${wrapped.join(', ')}`)
  const require = createRequire(new URL('cli-run.cjs', dist))
  for (const name of wrapped) {
    // The package.json nearest to the file require() loads says what that file is.
    let dir = dirname(require.resolve(name))
    while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir)
    const { type } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: string }
    t.not(type, 'module', `${name} is CommonJS`)
  }
})
