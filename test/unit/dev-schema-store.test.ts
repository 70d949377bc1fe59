// The schemas' code kept on disk between starts of the dev server (lib/dev/schema-store.ts): read
// back only for the compilers that wrote it, from the nearest node_modules above the app; anything
// else found there (no file, not JSON, not entries, too large) reads as nothing.
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import t, { type Test } from 'tap'
import { schemaStore, type SchemaStore } from '../../lib/dev/schema-store.js'
import { fixture } from '../helpers/fixture.js'

const COMPILERS = '@fastify/ajv-compiler@4.0.0 ajv@8.0.0'
const ENTRIES = { vKey: 'module.exports = () => true', sKey: 'module.exports = () => "{}"' }

/** A store of an app of its own, written once: the store, its directory and its file. */
async function written (t: Test): Promise<{ store: SchemaStore, cache: string, file: string }> {
  const dir = fixture(t, { node_modules: {}, 'app.js': '' })
  const store = schemaStore(join(dir, 'app.js'), COMPILERS)!
  await store.write(ENTRIES)
  const cache = join(dir, 'node_modules/.cache/fastify-livereload')
  return { store, cache, file: join(cache, readdirSync(cache)[0]!) }
}

t.test('what one start wrote, the next reads, for the same compilers and entry only', async t => {
  const dir = fixture(t, { node_modules: {}, src: { 'app.js': '' }, other: { 'app.js': '' } })
  const entry = join(dir, 'src/app.js')
  const store = schemaStore(entry, COMPILERS)
  if (store === null) throw new Error('a node_modules above the app: a store')
  t.same(store.read(), {}, 'nothing before the first write')
  await store.write(ENTRIES)
  t.same(schemaStore(entry, COMPILERS)?.read(), ENTRIES)
  t.same(readdirSync(join(dir, 'node_modules/.cache/fastify-livereload')).length, 1, 'one file, no temporary one left')
  t.same(schemaStore(entry, '@fastify/ajv-compiler@4.0.1 ajv@8.0.0')?.read(), {}, 'code another version wrote is not read')
  const [name] = readdirSync(join(dir, 'node_modules/.cache/fastify-livereload'))
  const file = join(dir, 'node_modules/.cache/fastify-livereload', name!)
  const written = readFileSync(file, 'utf8')
  writeFileSync(file, JSON.stringify({ compilers: COMPILERS, entries: ENTRIES })) // as the first store wrote it, before a format's code was left out
  t.same(store.read(), {}, 'code kept by other rules of what may be kept is not read')
  writeFileSync(file, written)
  t.same(schemaStore(join(dir, 'other/app.js'), COMPILERS)?.read(), {}, 'each entry its own file')
  await store.write({ vKey: ENTRIES.vKey })
  t.same(store.read(), { vKey: ENTRIES.vKey }, 'replaced whole')
})

t.test('no node_modules above the app, or caches of compiled code turned off: no store', async t => {
  t.equal(schemaStore('/app.js', COMPILERS), null)
  const dir = fixture(t, { node_modules: {}, 'app.js': '' })
  process.env.NODE_DISABLE_COMPILE_CACHE = '1'
  t.teardown(() => { delete process.env.NODE_DISABLE_COMPILE_CACHE })
  t.equal(schemaStore(join(dir, 'app.js'), COMPILERS), null)
})

t.test('code someone else could have written is not read: a file or a directory others may write, a link', async t => {
  const { store, cache, file } = await written(t)
  t.same(store.read(), ENTRIES, 'as written: the file 0600 in a directory 0700')
  chmodSync(file, 0o666)
  t.same(store.read(), {}, 'a file others may write')
  chmodSync(file, 0o600)
  chmodSync(cache, 0o777)
  t.same(store.read(), {}, 'a directory others may write')
  chmodSync(cache, 0o700)
  renameSync(file, `${file}.real`)
  symlinkSync(`${file}.real`, file)
  t.same(store.read(), {}, 'a link')
})

t.test('a file that is not what a start writes reads as nothing', async t => {
  const { store, file } = await written(t)
  for (const [content, why] of [
    ['{ "compilers": ', 'not JSON'],
    ['[]', 'not an object'],
    [JSON.stringify({ compilers: COMPILERS, entries: ['code'] }), 'entries not by key'],
    [JSON.stringify({ compilers: COMPILERS, entries: { vKey: 1 } }), 'an entry that is not code']
  ]) {
    writeFileSync(file, content!)
    t.same(store.read(), {}, why)
  }
  writeFileSync(file, JSON.stringify({ compilers: COMPILERS, entries: ENTRIES }))
  truncateSync(file, 16 * 1024 * 1024 + 1) // past the bound: not even parsed
  t.same(store.read(), {}, 'too large')
})

t.test('a store that cannot be written leaves the start as it was, and no file behind', async t => {
  const dir = fixture(t, { node_modules: { '.cache': '' }, 'app.js': '' }) // .cache a file: no directory there
  const store = schemaStore(join(dir, 'app.js'), COMPILERS)!
  await store.write(ENTRIES)
  t.same(store.read(), {})
  // Written, but not renamed into place (a directory is there): the temporary file goes.
  const second = await written(t)
  rmSync(second.file)
  mkdirSync(join(second.file, 'in-the-way'), { recursive: true })
  await second.store.write(ENTRIES)
  t.same(readdirSync(second.cache), [basename(second.file)], 'no temporary file left')
})

t.test('a FIFO where the file would be: read at once, as nothing; a directory others made and may write: nothing written there', async t => {
  const { store, cache, file } = await written(t)
  rmSync(file)
  execFileSync('mkfifo', ['-m', '600', file])
  t.same(store.read(), {}, 'no writer waited for')
  rmSync(file)
  chmodSync(cache, 0o777)
  await store.write(ENTRIES)
  t.same(readdirSync(cache), [], 'nothing written')
})
