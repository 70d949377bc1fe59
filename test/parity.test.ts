// The contract lives in three places: lib/ (what runs), types/ (what users compile against) and
// docs/ (what they read). These tests keep them saying the same thing.
import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import * as errorsModule from '../lib/errors.js'
import { errors } from '../lib/index.js'
import { OPTIONS } from '../lib/options.js'

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')
const types = read('types/index.d.ts')
const docs = readdirSync(new URL('../docs', import.meta.url)).map(file => read(`docs/${file}`)).join('\n')
const codesIn = (text: string) => new Set(text.match(/FST_LIVERELOAD_[A-Z_]+/g))
const optionsBlock = types.slice(types.indexOf('export interface LiveReloadOptions'), types.indexOf('\n}', types.indexOf('export interface LiveReloadOptions')))

t.test('every error code is exported, declared in types/ and documented in docs/', async t => {
  const lib = Object.keys(errorsModule).sort()
  t.same(Object.keys(errors).sort(), lib, 'exported as errors')
  t.same([...codesIn(types)].sort(), lib, 'declared in types/')
  t.same([...codesIn(docs)].sort(), lib, 'documented in docs/')
  for (const code of lib) t.equal(new (errorsModule as Record<string, new (...a: unknown[]) => { code: string }>)[code]('x', 'y').code, code)
})

t.test('every option declared in lib/ has the @default types/ documents, and none another', async t => {
  const defaults = Object.fromEntries(Object.entries(OPTIONS).flatMap(([name, { documented }]) => documented === undefined ? [] : [[name, documented]]))
  const documented = new Map<string, string>()
  for (const [, value, name] of optionsBlock.matchAll(/@default (.+)\n\s+\*\/\n\s+(\w+)\?:/g)) documented.set(name, value)
  t.same(Object.fromEntries(documented), defaults)
})

t.test('every option in types/ is documented in docs/options.md', async t => {
  const options = [...optionsBlock.matchAll(/^ {2}(\w+)\?:/gm)].map(m => m[1])
  const table = read('docs/options.md')
  for (const option of options) t.match(table, `| \`${option}\` |`, option)
})

t.test('each builder: every option declared in lib/ has the @default types/ documents, and none another; every option is in docs/builders.md', async t => {
  const { COMMAND_OPTIONS } = await import('../lib/builders/command.js')
  const { RUN_OPTIONS } = await import('../lib/builders/run.js')
  const { ISOLATED_OPTIONS } = await import('../lib/builders/isolated.js')
  const { SHARDED_OPTIONS } = await import('../lib/builders/sharded/options.js')
  const builders = read('docs/builders.md')
  const declared: Array<[string, Record<string, { documented: string | undefined }>]> = [
    ['CommandBuilderOptions', COMMAND_OPTIONS],
    ['RunBuilderOptions', RUN_OPTIONS],
    ['IsolatedBuilderOptions', ISOLATED_OPTIONS],
    ['ShardedBuilderOptions', SHARDED_OPTIONS]
  ]
  for (const [name, declarations] of declared) {
    const start = types.indexOf(`export interface ${name}`)
    const block = types.slice(start, types.indexOf('\n}', start))
    const documented = new Map<string, string>()
    for (const [, value, option] of block.matchAll(/@default (.+?)(?: \*\/)?\n(?:\s+\*\/\n)?\s+(\w+)\??:/g)) documented.set(option, value)
    const defaults = Object.fromEntries(Object.entries(declarations).flatMap(([option, { documented }]) => documented === undefined ? [] : [[option, documented]]))
    t.same(Object.fromEntries(documented), defaults, `${name}: the defaults`)
    const options = [...block.matchAll(/^ {2}(\w+)\??:/gm)].map(match => match[1])
    t.same(options.sort(), Object.keys(declarations).sort(), `${name}: one declaration per option`)
    for (const option of options) t.match(builders, `| \`${option}\` |`, `${name}.${option} in docs/builders.md`)
  }
})
